import * as z from 'zod';
import { method, ErrorInfoSchema, IsoDate, Bytes, SaidFields } from '../define.js';
import { RunStatusSchema } from './status.js';
import { PackGcSchema } from './pack-gc.js';

export const RunSourceSchema = z.object({
  name: z.string(),
  bytes: Bytes,
  status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']),
});

/** backup: a plan's run; drill: a quarterly restore test (plan is empty, target names the staging target) */
export const RunKindSchema = z.enum(['backup', 'drill']);

export const RunSchema = z.object({
  id: z.string(),
  kind: RunKindSchema.optional(),
  plan: z.string(),
  target: z.string().optional(),
  reportPath: z.string().optional(),
  setId: z.string().optional(),
  status: RunStatusSchema,
  startedAt: IsoDate,
  finishedAt: IsoDate.optional(),
  bytes: Bytes,
  durationMs: z.number().nonnegative().optional(),
  error: ErrorInfoSchema.optional(),
  sources: z.array(RunSourceSchema),
});

export const LogLineSchema = z.object({
  at: IsoDate,
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
  source: z.string().optional(),
  ...SaidFields,
});

/** `packs`: the pack collection of the prune after this backup (absent when none ran or the run is older) */
export const RunDetailSchema = RunSchema.extend({ log: z.array(LogLineSchema), packs: PackGcSchema.optional() });

export const RunProgressSchema = z.object({
  runId: z.string(),
  source: z.string().optional(),
  phase: z.string(),
  bytes: Bytes,
  totalBytes: Bytes.optional(),
  bytesPerSecond: z.number().nonnegative(),
  etaSeconds: z.number().nonnegative().optional(),
  /** the plan's bandwidth limit while it holds ("limitado a 20 MB/s") */
  limitBytesPerSecond: z.number().positive().optional(),
});

export const RunFinishedSchema = z.object({
  runId: z.string(),
  plan: z.string(),
  status: RunStatusSchema,
  setId: z.string().optional(),
  error: ErrorInfoSchema.optional(),
});

export const runsMethods = {
  'runs.list': method(
    z.object({ plan: z.string().optional(), limit: z.number().int().min(1).max(500).default(50) }),
    z.object({ runs: z.array(RunSchema) }),
  ),
  'runs.get': method(z.object({ id: z.string().min(1) }), RunDetailSchema),
  'backup.start': method(z.object({ plan: z.string().min(1) }), z.object({ runId: z.string() })),
};

export const runsEvents = {
  'run.progress': RunProgressSchema,
  'run.finished': RunFinishedSchema,
};

export type RunKind = z.infer<typeof RunKindSchema>;
export type Run = z.infer<typeof RunSchema>;
export type RunDetail = z.infer<typeof RunDetailSchema>;
export type RunProgress = z.infer<typeof RunProgressSchema>;
export type RunFinished = z.infer<typeof RunFinishedSchema>;
export type LogLine = z.infer<typeof LogLineSchema>;
