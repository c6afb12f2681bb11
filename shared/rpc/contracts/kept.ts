/**
 * The copies restores kept of what they replaced, on their targets (`cofre kept`, engine:
 * src-main/restore/kept-copies.ts): production safety folders and the `_antes_` / `_old_`
 * databases and folders of staging restores. Listed per target (one target that does not answer
 * never hides the others) and removed one at a time on purpose.
 */
import * as z from 'zod';
import { method, Empty, IsoDate, Bytes, ErrorInfoSchema } from '../define.js';

export const KeptKindSchema = z.enum(['safety', 'postgres', 'mysql', 'folder']);

/** A kept copy as a restore named it: its name on the target, what it is and what it is a copy of. */
export const KeptRefSchema = z.object({
  target: z.string(),
  /** the database name or absolute folder path */
  name: z.string(),
  kind: KeptKindSchema,
  /** the database or path it is a copy of (a safety folder: the production target) */
  of: z.string(),
});

export const KeptCopySchema = KeptRefSchema.extend({
  /** when the restore that made it started */
  madeAt: IsoDate,
  /** that restore's run (Execuções) */
  runId: z.string(),
  setId: z.string().optional(),
  /** still on the target (false: removed by hand since) */
  exists: z.boolean(),
  /** its size on the target, when it could be read */
  bytes: Bytes.optional(),
  /** the newest copy of what it replaced: the only way back from the last restore (removal needs an extra confirmation) */
  newest: z.boolean(),
});

export const KeptListSchema = z.object({
  copies: z.array(KeptCopySchema),
  /** targets with recorded copies that could not be looked at now (SSH, database), each with why */
  unreachable: z.array(z.object({ target: z.string(), error: ErrorInfoSchema })),
});

export const KeptRemoveInputSchema = z.object({
  target: z.string().min(1),
  name: z.string().min(1),
  /** the technician confirmed that removing it cannot be undone (the console's dialog) */
  confirmed: z.literal(true),
  /** the newest copy of what it replaced: confirmed a second time (the CLI's --force) */
  force: z.boolean().default(false),
});

export const keptMethods = {
  'kept.list': method(Empty, KeptListSchema),
  'kept.remove': method(KeptRemoveInputSchema, z.object({ removed: KeptCopySchema })),
};

export type KeptKind = z.infer<typeof KeptKindSchema>;
export type KeptRef = z.infer<typeof KeptRefSchema>;
export type KeptCopy = z.infer<typeof KeptCopySchema>;
export type KeptList = z.infer<typeof KeptListSchema>;
export type KeptRemoveInput = z.input<typeof KeptRemoveInputSchema>;
