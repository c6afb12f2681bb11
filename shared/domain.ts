/**
 * Domain types and contracts shared by the engine (src-main) and the console (src-renderer).
 * This folder imports nothing but zod.
 */
import * as z from 'zod';

/** `YYYYMMDDTHHMMSSZ-<6 hex>`: sorts by creation time. */
export const SET_ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;
export const SetIdSchema = z.string().regex(SET_ID_PATTERN, 'a set id looks like 20261125T020000Z-a1b2c3');
export type SetId = z.infer<typeof SetIdSchema>;

export const SourceTypeSchema = z.enum(['postgres', 'mysql', 'files']);
export type SourceType = z.infer<typeof SourceTypeSchema>;

/** What a stored object holds, as named in its key: `<source>.<part>.<format>.age`. */
export const ObjectFormatSchema = z.enum(['pgdump', 'sql', 'sql.zst', 'tar', 'tar.zst']);
export type ObjectFormat = z.infer<typeof ObjectFormatSchema>;

export const ManifestObjectSchema = z.object({
  /** database name, `globals`, or `files` */
  part: z.string(),
  format: ObjectFormatSchema,
  key: z.string(),
  /** size of the stored (encrypted) object */
  bytes: z.number().int().nonnegative(),
  /** size of the plaintext dump stream */
  plainBytes: z.number().int().nonnegative(),
  /** SHA-256 (hex) of the stored object */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** per-table row counts taken in the dump's snapshot (databases only) */
  rowCounts: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /** file trees: number of entries and total file bytes */
  fileCount: z.number().int().nonnegative().optional(),
  fileBytes: z.number().int().nonnegative().optional(),
});
export type ManifestObject = z.infer<typeof ManifestObjectSchema>;

export const ManifestSourceSchema = z.object({
  name: z.string(),
  type: SourceTypeSchema,
  server: z.string(),
  tool: z.string().optional(),
  toolVersion: z.string().optional(),
  serverVersion: z.string().optional(),
  objects: z.array(ManifestObjectSchema),
});
export type ManifestSource = z.infer<typeof ManifestSourceSchema>;

export const ManifestSchema = z.object({
  format: z.literal('cofre-set/1'),
  setId: SetIdSchema,
  plan: z.string(),
  createdAt: z.string(),
  finishedAt: z.string(),
  /** age recipients (public keys) the objects are encrypted to */
  recipients: z.array(z.string()),
  sources: z.array(ManifestSourceSchema),
  cofreVersion: z.string(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** A check's outcome: passed, failed, or could not be made here (e.g. its tool is missing). */
export const CheckStatusSchema = z.enum(['ok', 'failed', 'unchecked']);
export type CheckStatus = z.infer<typeof CheckStatusSchema>;

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';
export type RpoState = 'ok' | 'late' | 'failing' | 'unknown';

/** Progress of a long operation, for the CLI and the console. */
export interface Progress {
  phase: string;
  source?: string;
  bytes: number;
  totalBytes?: number;
  bytesPerSecond: number;
  etaSeconds?: number;
}
