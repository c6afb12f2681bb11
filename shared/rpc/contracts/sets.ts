import * as z from 'zod';
import { method, IsoDate, Bytes } from '../define.js';
import { CheckStatusSchema } from '../../domain.js';

export const SetObjectSchema = z.object({ key: z.string(), bytes: Bytes, sha256: z.string() });
export const SetSourceSchema = z.object({
  name: z.string(),
  type: z.enum(['postgres', 'mysql', 'files']),
  bytes: Bytes,
  objects: z.array(SetObjectSchema),
});
export const BackupSetSchema = z.object({
  setId: z.string(),
  plan: z.string(),
  createdAt: IsoDate,
  complete: z.boolean(),
  sources: z.array(SetSourceSchema),
});
/** `ok` is true only when the check passed; `status` also tells a failed check from one that could not be made. */
export const CheckSchema = z.object({ name: z.string(), ok: z.boolean(), status: CheckStatusSchema.optional(), message: z.string() });
export const VerifyResultSchema = z.object({ ok: z.boolean(), status: CheckStatusSchema.optional(), checks: z.array(CheckSchema) });

export const setsMethods = {
  'sets.list': method(z.object({ plan: z.string().optional() }).default({}), z.object({ sets: z.array(BackupSetSchema) })),
  'sets.verify': method(z.object({ setId: z.string().min(1), deep: z.boolean().default(false) }), VerifyResultSchema),
};

export type BackupSet = z.infer<typeof BackupSetSchema>;
export type Check = z.infer<typeof CheckSchema>;
export type VerifyResult = z.infer<typeof VerifyResultSchema>;
