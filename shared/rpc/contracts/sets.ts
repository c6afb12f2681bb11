import * as z from 'zod';
import { method, IsoDate, Bytes, ErrorInfoSchema, SaidFields } from '../define.js';
import { CheckStatusSchema } from '../../domain.js';
import { PackGcSchema } from './pack-gc.js';

export const SetObjectSchema = z.object({ key: z.string(), bytes: Bytes, sha256: z.string() });
export const SetSourceSchema = z.object({
  name: z.string(),
  type: z.enum(['postgres', 'mysql', 'files']),
  bytes: Bytes,
  objects: z.array(SetObjectSchema),
});
/** What a set in storage is (shared/domain.ts SetState): only `complete` sets are restore points. */
export const SetStateSchema = z.enum(['complete', 'incomplete', 'doubtful', 'unsigned']);
export const BackupSetSchema = z.object({
  setId: z.string(),
  plan: z.string(),
  /** the config name of the storage that holds this set */
  storage: z.string(),
  createdAt: IsoDate,
  /** when the backup finished reading (manifest finishedAt): "data as of" compares with this */
  finishedAt: IsoDate.optional(),
  state: SetStateSchema,
  /** true only for state 'complete' */
  complete: z.boolean(),
  /** why a set is not complete (English, technical detail) */
  problem: z.string().optional(),
  sources: z.array(SetSourceSchema),
});
/** A storage that did not answer the listing (down, timed out, refused): its sets are unknown, not absent. */
export const UnreachableStorageSchema = z.object({ storage: z.string(), message: z.string() });
/** `collections`: the latest pack garbage collection on each storage (from the catalog; absent before any prune) */
export const SetListSchema = z.object({ sets: z.array(BackupSetSchema), unreachable: z.array(UnreachableStorageSchema), collections: z.array(PackGcSchema).optional() });
/**
 * `ok` is true only when the check passed; `status` also tells a failed check from one that could
 * not be made. Its English name/message are the technical detail; key/params (ok and failed texts)
 * and the error behind a failure are for the console.
 */
export const CheckSchema = z.object({
  name: z.string(), ok: z.boolean(), status: CheckStatusSchema.optional(), message: z.string(), ...SaidFields, cause: ErrorInfoSchema.optional(),
});
export const VerifyResultSchema = z.object({ ok: z.boolean(), status: CheckStatusSchema.optional(), checks: z.array(CheckSchema) });

export const setsMethods = {
  'sets.list': method(z.object({ plan: z.string().optional() }).default({}), SetListSchema),
  'sets.verify': method(z.object({ setId: z.string().min(1), deep: z.boolean().default(false) }), VerifyResultSchema),
};

export type BackupSet = z.infer<typeof BackupSetSchema>;
export type SetList = z.infer<typeof SetListSchema>;
export type UnreachableStorage = z.infer<typeof UnreachableStorageSchema>;
export type Check = z.infer<typeof CheckSchema>;
export type VerifyResult = z.infer<typeof VerifyResultSchema>;
