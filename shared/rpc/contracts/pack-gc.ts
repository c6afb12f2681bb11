import * as z from 'zod';
import { IsoDate, Bytes, SaidFields } from '../define.js';

/**
 * What a prune's pack garbage collection did on one storage (src-main/retention/pack-gc.ts): packs
 * deleted and bytes freed, packs pending with when the first becomes deletable, or what blocked it
 * (a doubtful set, named, that `cofre forget` clears; the storage not answering; a running backup).
 */
export const PackGcSchema = z.object({
  storage: z.string(),
  /** when the prune ran */
  at: IsoDate,
  /** the backup run whose prune this was, if any */
  runId: z.string().optional(),
  packs: z.number().int().nonnegative(),
  referenced: z.number().int().nonnegative(),
  deleted: z.number().int().nonnegative(),
  bytesFreed: Bytes,
  pending: z.number().int().nonnegative(),
  pendingBytes: Bytes,
  /** when the first pending pack may go (at a later prune) */
  nextDeletableAt: IsoDate.optional(),
  /** how long a pack must stay unused, between two prunes, before it goes (hours) */
  waitHours: z.number().positive(),
  /** deletions that failed (retried by the next prune) */
  failed: z.number().int().nonnegative(),
  /** GC deleted nothing on this storage: why (English detail), the set in doubt, and the console's text by key */
  blocked: z.object({ reason: z.string(), setId: z.string().optional(), ...SaidFields }).optional(),
  /** this collection was blocked by that set, forgotten since (`cofre forget`): no warning, the next prune collects */
  blockerForgotten: z.object({ setId: z.string(), at: IsoDate }).optional(),
});

export type PackGc = z.infer<typeof PackGcSchema>;
