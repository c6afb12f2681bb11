import * as z from 'zod';
import { method, ErrorInfoSchema, IsoDate, Bytes, Empty } from '../define.js';
import { PackGcSchema } from './pack-gc.js';

export const RpoStateSchema = z.enum(['ok', 'late', 'failing', 'unknown']);
export const RunStatusSchema = z.enum(['running', 'succeeded', 'failed', 'cancelled']);

export const RunBriefSchema = z.object({
  id: z.string(),
  status: RunStatusSchema,
  startedAt: IsoDate,
  finishedAt: IsoDate.optional(),
  error: ErrorInfoSchema.optional(),
});

export const DrillBriefSchema = z.object({
  restoreId: z.string(),
  at: IsoDate,
  ok: z.boolean(),
  target: z.string(),
  rtoMs: z.number().nonnegative().optional(),
  reportPath: z.string().optional(),
  /** the catalog run (opens in Execuções) */
  runId: z.string().optional(),
  setId: z.string().optional(),
  /** why a failed drill failed */
  error: ErrorInfoSchema.optional(),
});

export const PlanStatusSchema = z.object({
  plan: z.string(),
  rpoState: RpoStateSchema,
  rpoHours: z.number().positive(),
  lastGoodSet: z.object({ setId: z.string(), createdAt: IsoDate }).optional(),
  /** age of the last good set at the time of the answer */
  ageMs: z.number().nonnegative().optional(),
  nextRunAt: IsoDate.optional(),
  storageName: z.string(),
  storageBytes: Bytes.optional(),
  /** true: separated; false: same region and provider as a server; null: a location is missing */
  geo: z.object({ separated: z.boolean().nullable(), message: z.string().optional() }),
  lastRun: RunBriefSchema.optional(),
  /** a source server is `kind: local` (this machine): warning when the storage has credentials, info for a folder */
  localServer: z.object({ level: z.enum(['warning', 'info']), servers: z.array(z.string()), storage: z.string(), message: z.string() }).optional(),
  /** the latest pack garbage collection on the plan's storage, when it was blocked (a doubtful set…): the card warns */
  packsBlocked: PackGcSchema.optional(),
});

export const StatusSchema = z.object({
  plans: z.array(PlanStatusSchema),
  lastDrill: DrillBriefSchema.optional(),
  generatedAt: IsoDate,
});

export const statusMethods = {
  'status.get': method(Empty, StatusSchema),
};

export type RpoState = z.infer<typeof RpoStateSchema>;
export type RunStatus = z.infer<typeof RunStatusSchema>;
export type PlanStatus = z.infer<typeof PlanStatusSchema>;
export type Status = z.infer<typeof StatusSchema>;
export type DrillBrief = z.infer<typeof DrillBriefSchema>;
