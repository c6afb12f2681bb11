/** Restores, restore targets and quarterly drills. */
import * as z from 'zod';
import { method, Empty, IsoDate, Bytes, ErrorInfoSchema, SaidFields } from '../define.js';
import { CheckSchema } from './sets.js';
import { DrillBriefSchema } from './status.js';
import { KeptRefSchema } from './kept.js';

export const SourceTypeSchema = z.enum(['postgres', 'mysql', 'files']);

export const TargetSchema = z.object({
  name: z.string(),
  kind: z.enum(['staging', 'production']),
  /** the source types this target can receive (a database server or a files folder configured for it) */
  services: z.array(SourceTypeSchema).optional(),
  /** staging: the production names (what exists is moved aside) or side by side (`<db>_restore_<hex>`, the default) */
  names: z.enum(['original', 'side-by-side']).optional(),
});

/** A restore point is either a set id or a moment ("the last complete set at or before"). */
const PointSchema = z.object({
  setId: z.string().min(1).optional(),
  at: IsoDate.optional(),
  /** with setId only: the technician confirmed a set whose manifest signature is missing or wrong */
  acceptUnsigned: z.boolean().optional(),
});

export const PreflightInputSchema = PointSchema.extend({
  target: z.string().min(1),
  sources: z.array(z.string()).optional(),
  /** only these absolute server paths of the files sources (`restore --path`); databases are left out */
  paths: z.array(z.string().startsWith('/')).optional(),
}).refine((v) => v.setId !== undefined || v.at !== undefined, 'choose a set or a moment (setId or at)');

export const PreflightSchema = z.object({
  setId: z.string(),
  checks: z.array(CheckSchema),
  /** verifyMs: production reads every object whole before it starts; included in projectedMs */
  projection: z.object({ totalBytes: Bytes, projectedMs: z.number().nonnegative(), budgetMs: z.number().positive(), verifyMs: z.number().nonnegative().optional() }),
});

export const RestoreStartInputSchema = z.object({
  setId: z.string().min(1),
  target: z.string().min(1),
  sources: z.array(z.string()).optional(),
  /** only these absolute server paths of the files sources (`restore --path`); databases are left out */
  paths: z.array(z.string().startsWith('/')).optional(),
  /** production targets: the target's name typed by the technician */
  confirmName: z.string().optional(),
  /** the technician confirmed restoring this set although it is unsigned */
  acceptUnsigned: z.boolean().optional(),
});

export const RestoreProgressSchema = z.object({
  restoreId: z.string(),
  phase: z.string(),
  source: z.string().optional(),
  bytes: Bytes,
  totalBytes: Bytes,
  bytesPerSecond: z.number().nonnegative(),
  etaSeconds: z.number().nonnegative(),
  elapsedMs: z.number().nonnegative(),
});

export const ValidationSchema = z.object({ name: z.string(), ok: z.boolean(), expected: z.string(), actual: z.string(), ...SaidFields });

export const RestoreFinishedSchema = z.object({
  restoreId: z.string(),
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  validation: z.array(ValidationSchema),
  reportPath: z.string().optional(),
  rtoMs: z.number().nonnegative(),
  rpoMs: z.number().nonnegative(),
  error: ErrorInfoSchema.optional(),
  /** what this restore kept of what it replaced (safety folder, copies moved aside): listed and removed in Restaurar → Cópias guardadas */
  kept: z.array(KeptRefSchema).optional(),
});

/** The set a point in time picks (`--at`: the newest good set finished at or before it). */
export const ResolvedPointSchema = z.object({
  at: IsoDate,
  setId: z.string(),
  createdAt: IsoDate,
  finishedAt: IsoDate.optional(),
});

export const DrillsSchema = z.object({
  drills: z.array(DrillBriefSchema),
  lastResult: DrillBriefSchema.optional(),
  nextDue: IsoDate.optional(),
  target: z.string().optional(),
  /** the drill target's names: production names (what exists moved aside) or side by side */
  targetNames: z.enum(['original', 'side-by-side']).optional(),
});

export const restoreMethods = {
  'targets.list': method(Empty, z.object({ targets: z.array(TargetSchema) })),
  'restore.preflight': method(PreflightInputSchema, PreflightSchema),
  'restore.resolveAt': method(z.object({ at: IsoDate }), ResolvedPointSchema),
  'restore.start': method(RestoreStartInputSchema, z.object({ restoreId: z.string() })),
  'drills.list': method(Empty, DrillsSchema),
  'drills.start': method(z.object({ target: z.string().min(1).optional() }).default({}), z.object({ restoreId: z.string() })),
};

export const restoreEvents = {
  'restore.progress': RestoreProgressSchema,
  'restore.finished': RestoreFinishedSchema,
};

export type Target = z.infer<typeof TargetSchema>;
export type PreflightInput = z.infer<typeof PreflightInputSchema>;
export type Preflight = z.infer<typeof PreflightSchema>;
export type RestoreStartInput = z.infer<typeof RestoreStartInputSchema>;
export type RestoreProgress = z.infer<typeof RestoreProgressSchema>;
export type RestoreFinished = z.infer<typeof RestoreFinishedSchema>;
export type Validation = z.infer<typeof ValidationSchema>;
export type SourceType = z.infer<typeof SourceTypeSchema>;
export type ResolvedPoint = z.infer<typeof ResolvedPointSchema>;
export type Drills = z.infer<typeof DrillsSchema>;
