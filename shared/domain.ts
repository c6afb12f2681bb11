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

/**
 * What a stored object holds, as named in its key: `<source>.<part>.<format>.age`; `files-v2` is a
 * format-2 files source's encrypted index (`<source>.index.zst.age`, or `.index.age` uncompressed), whose contents live in packs.
 */
export const ObjectFormatSchema = z.enum(['pgdump', 'sql', 'sql.zst', 'tar', 'tar.zst', 'files-v2']);
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

const manifestFields = {
  setId: SetIdSchema,
  plan: z.string(),
  createdAt: z.string(),
  finishedAt: z.string(),
  /** age recipients (public keys) the objects are encrypted to */
  recipients: z.array(z.string()),
  sources: z.array(ManifestSourceSchema),
  cofreVersion: z.string(),
};

/** One stored object a set needs beside its own objects (format 2: a pack, the index, restore.sh). */
export const ManifestRefSchema = z.object({
  /** key relative to the storage prefix, e.g. `packs/<opaque id>.tar.zst.age` */
  key: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ManifestRef = z.infer<typeof ManifestRefSchema>;

/** Format 1: every object lives under the set's own folder. Read, verified, restored and pruned forever. */
export const ManifestV1Schema = z.object({ format: z.literal('cofre-set/1'), ...manifestFields });

/**
 * Format 2 (signed sets; incremental files): the same fields, plus the objects the set needs outside
 * its folder. `manifest.json.sig` (SSHSIG, namespace `cofre-manifest`) authenticates it. Every set is
 * complete by reference: `packs` lists each pack it needs, never another set.
 */
export const ManifestV2Schema = z.object({
  format: z.literal('cofre-set/2'),
  ...manifestFields,
  /** packs (shared file contents) this set references; absent or empty when it has no format-2 files source */
  packs: z.array(ManifestRefSchema).optional(),
  /** per files source: its encrypted index (`<source>.index.zst.age`, or `<source>.index.age` uncompressed) */
  indexes: z.record(z.string(), ManifestRefSchema).optional(),
  /** `sets/<setId>/restore.sh`, the plaintext POSIX script that rebuilds the set with sh + age + tar + zstd */
  restoreScript: ManifestRefSchema.optional(),
});

export const ManifestSchema = z.discriminatedUnion('format', [ManifestV1Schema, ManifestV2Schema]);
export type Manifest = z.infer<typeof ManifestSchema>;
/** The manifest formats this Cofre reads; a newer one marks a set doubtful (never deleted by an older Cofre). */
export const KNOWN_MANIFEST_FORMATS: readonly string[] = ['cofre-set/1', 'cofre-set/2'];

/**
 * What a set in storage is, read from storage alone (DESIGN.md "Storage layout"):
 * - complete: the manifest reads, is valid, names objects that all exist with their sizes, and is signed
 *   by a configured signer: a restore point;
 * - incomplete: no manifest at all (a backup that did not finish, or one still running);
 * - doubtful: a manifest that could not be read, is corrupt, of an unknown format, or names missing or
 *   wrong-size objects: shown, never chosen by --at, never deleted by retention;
 * - unsigned: otherwise good, but its signature is missing or wrong (or its createdAt lies in the future):
 *   shown, never chosen by --at, restorable only by id with confirmation; retention deletes it only past
 *   the window.
 */
export const SetStateSchema = z.enum(['complete', 'incomplete', 'doubtful', 'unsigned']);
export type SetState = z.infer<typeof SetStateSchema>;

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
  /** the plan's bandwidth limit, while it holds (bytes per second) */
  limitBytesPerSecond?: number;
}
