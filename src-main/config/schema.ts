/**
 * Schema of cofre.yaml (DESIGN.md "Config contract"). Secrets are never values here: the config
 * names an environment variable or a 0600 file that holds them.
 */
import * as z from 'zod';
import { hasControlChars } from '../sources/names.js';
import { FULL_READ_EVERY_PATTERN } from '../files2/full-read.js';
import { parseRate, parseWindow, RATE_FORMS } from '../backup/bandwidth.js';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, "-" or "_", starting with a letter or digit');
const port = z.number().int().min(1).max(65535);
const databaseName = z.string().min(1).refine((v) => !hasControlChars(v), 'a database name without control characters (line breaks, tabs…)');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as CLINICA_PG_PASSWORD');

export const LocationSchema = z.strictObject({
  provider: z.string().min(1),
  region: z.string().min(1),
});

export const SshServerSchema = z.strictObject({
  /** absent means ssh */
  kind: z.literal('ssh').optional(),
  host: z.string().min(1),
  port: port.default(22),
  user: z.string().min(1),
  privateKeyFile: z.string().min(1),
  privateKeyPassphraseEnv: envName.optional(),
  hostKey: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a fingerprint like "SHA256:…" (run `cofre trust <server>`)').optional(),
  location: LocationSchema.optional(),
});

/**
 * Commands run on this machine through its POSIX shell, no SSH: the demo, or Cofre running on
 * the clinic server itself (then the storage credentials live on that server: `cofre status` says so).
 */
export const LocalServerSchema = z.strictObject({
  kind: z.literal('local'),
  location: LocationSchema.optional(),
});

export const ServerSchema = z.discriminatedUnion('kind', [SshServerSchema, LocalServerSchema]);

const dbSourceFields = {
  server: name,
  host: z.string().min(1).default('127.0.0.1'),
  user: z.string().min(1),
  passwordEnv: envName.optional(),
  passwordFile: z.string().min(1).optional(),
  databases: z.array(databaseName).min(1).optional(),
  compress: z.boolean().optional(),
};

export const PostgresSourceSchema = z.strictObject({
  type: z.literal('postgres'),
  ...dbSourceFields,
  port: port.default(5432),
});

export const MysqlSourceSchema = z.strictObject({
  type: z.literal('mysql'),
  ...dbSourceFields,
  port: port.default(3306),
});

export const FilesSourceSchema = z.strictObject({
  type: z.literal('files'),
  server: name,
  paths: z.array(z.string().startsWith('/', 'an absolute path')).min(1),
  exclude: z.array(z.string()).default([]),
  /** zstd inside packs (format `packs`); default on */
  compress: z.boolean().optional(),
  /**
   * `packs` (default): incremental-forever format 2 (only changed files are read and stored; each
   * set has an index and restore.sh); `tar`: format 1, one whole tar per set, for a site whose
   * recovery procedure must stay "age -d | tar -x" or whose backup host has no zstd
   */
  format: z.enum(['packs', 'tar']).default('packs'),
  /** plaintext size at which a pack is closed (format packs); default 64 MiB */
  packBytes: z.number().int().min(1024).optional(),
  /**
   * format packs: how often every file is read and hashed again even when its size, mtime, inode
   * and ctime are unchanged (`30d` default, `2w`, `12h`; `never` or 0 turns it off)
   */
  fullReadEvery: z.preprocess((v) => (v === 0 ? '0' : v), z.string().regex(FULL_READ_EVERY_PATTERN, 'a period such as "30d", "2w" or "12h", or "never"')).optional(),
});

export const SourceSchema = z.discriminatedUnion('type', [PostgresSourceSchema, MysqlSourceSchema, FilesSourceSchema]);

export const ObjectLockSchema = z.strictObject({
  mode: z.enum(['COMPLIANCE', 'GOVERNANCE'], 'COMPLIANCE (nobody can shorten it, not even the account root) or GOVERNANCE (users with s3:BypassGovernanceRetention can)'),
  days: z.number('a whole number of days, e.g. 35').int('a whole number of days').min(1, 'at least 1 day').max(36500, 'at most 36500 days (100 years)'),
});

export const S3StorageSchema = z.strictObject({
  type: z.literal('s3'),
  endpoint: z.url().optional(),
  region: z.string().min(1),
  bucket: z.string().min(3),
  prefix: z.string().default(''),
  forcePathStyle: z.boolean().default(false),
  accessKeyIdEnv: envName.optional(),
  secretAccessKeyEnv: envName.optional(),
  credentialsFile: z.string().optional(),
  location: LocationSchema.optional(),
  /** a listing that takes longer marks the storage unreachable (beside the others), seconds */
  timeoutSeconds: z.number().positive().default(60),
  /**
   * S3 Object Lock (storage/object-lock.ts): every object of a set, and every pack it reuses, is
   * retained until the set's time + `days`; the bucket must have been created with Object Lock.
   * `days` must cover the keepDays of every plan on this storage (references.ts).
   */
  objectLock: ObjectLockSchema.optional(),
});

export const FolderStorageSchema = z.strictObject({
  type: z.literal('folder'),
  path: z.string().min(1),
  prefix: z.string().default(''),
  location: LocationSchema.optional(),
  /** a listing that takes longer marks the storage unreachable (beside the others), seconds */
  timeoutSeconds: z.number().positive().default(60),
});

export const StorageSchema = z.discriminatedUnion('type', [S3StorageSchema, FolderStorageSchema]);

export const EncryptionSchema = z.strictObject({
  recipients: z.array(z.string().regex(/^age1[02-9ac-hj-np-z]{58}$/, 'an age public key "age1…" (see `cofre init`)')).min(1),
  identityFile: z.string().min(1).optional(),
  identityPassphraseEnv: envName.optional(),
  /** OpenSSH ed25519 private key (0600) that signs each set's manifest; backup hosts need it */
  signingKeyFile: z.string().min(1).optional(),
  /** environment variable holding the signing key's passphrase, when the key file is encrypted */
  signingKeyPassphraseEnv: envName.optional(),
  /**
   * public key lines (`ssh-ed25519 AAAA… comment`) whose signatures make a set authentic; any listed
   * signer verifies. To retire a key: add the new one, keep the old one while its sets are in the window.
   */
  signers: z.array(z.string().regex(/^ssh-ed25519 [A-Za-z0-9+/]+={0,2}( .*)?$/, 'an OpenSSH public key line "ssh-ed25519 AAAA… comment" (see `cofre init`)')).default([]),
});

export const RetentionSchema = z.strictObject({
  keepDays: z.number().int().min(1, 'at least 1 day (the clinic requires 30)').default(30),
  keepMin: z.number().int().min(1, 'at least 1 set').default(7),
  keepWeekly: z.number().int().min(0).optional(),
  keepMonthly: z.number().int().min(0).optional(),
});

/**
 * `20MiB/s`, or `{ limit: 20MiB/s, window: "07:00-19:00" }` (limited only inside the window, in the
 * plan's time zone). One custom issue whatever is wrong, naming its catalog key: load.ts reports it
 * with that key (the pt-BR text lists the accepted forms).
 */
export type BandwidthValue = string | { limit: string; window?: string | undefined };

function isBandwidth(v: unknown): v is BandwidthValue {
  if (typeof v === 'string') return parseRate(v) !== undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (Object.keys(o).some((k) => k !== 'limit' && k !== 'window')) return false;
  if (typeof o['limit'] !== 'string' || parseRate(o['limit']) === undefined) return false;
  return o['window'] === undefined || (typeof o['window'] === 'string' && parseWindow(o['window']) !== undefined);
}

export const BandwidthSchema = z.custom<BandwidthValue>(isBandwidth, { message: `expected a rate limit such as ${RATE_FORMS}`, params: { key: 'config.bandwidth' } });

export const PlanSchema = z.strictObject({
  sources: z.array(name).min(1),
  storage: name,
  schedule: z.string().min(1).default('0 2 * * *'),
  timezone: z.string().min(1).default('America/Sao_Paulo'),
  retention: RetentionSchema.default({ keepDays: 30, keepMin: 7 }),
  rpoHours: z.number().positive().default(24),
  graceHours: z.number().nonnegative().default(2),
  /**
   * a set with no manifest younger than this may be a first backup still running: retention leaves
   * it alone (and always while its backup's lease is fresh); long enough for the longest first backup
   */
  incompleteGraceHours: z.number().positive().default(48),
  requireGeoSeparation: z.boolean().default(false),
  retries: z.number().int().min(0).max(10).default(3),
  dailyReport: z.boolean().default(false),
  /** optional rate limit for the SSH read and the upload (see backup/bandwidth.ts) */
  bandwidth: BandwidthSchema.optional(),
});

const dbTarget = z.strictObject({ host: z.string().default('127.0.0.1'), port: port.optional(), user: z.string().min(1), passwordEnv: envName.optional() });

/**
 * `owner` (staging only): the role that owns every restored database and its objects, so the
 * clinic's application, connecting as that role, can read and write them (see transfer.ts).
 */
const pgTarget = dbTarget.extend({ owner: z.string().min(1).max(63).optional() });

export const RestoreTargetSchema = z.strictObject({
  kind: z.enum(['staging', 'production']),
  server: name,
  postgres: pgTarget.optional(),
  mysql: dbTarget.optional(),
  filesRoot: z.string().startsWith('/', 'an absolute path').optional(),
  /**
   * staging only: `side-by-side` (default; `side` is the same) restores under `<db>_restore_<hex>` and
   * `<filesRoot>/<setId>/`; `original` under the production names, an existing copy moved aside first
   * (src-main/restore/original-names.ts). Production targets always use the original names.
   */
  names: z.enum(['side-by-side', 'side', 'original']).optional(),
  checks: z.array(z.strictObject({
    name: z.string().min(1),
    sql: z.string().optional(),
    database: z.string().optional(),
    expect: z.string().optional(),
    http: z.url().optional(),
  })).default([]),
}).refine((t) => t.kind === 'staging' || t.names === undefined || t.names === 'original', {
  path: ['names'],
  message: 'a production target always restores under the original names: remove "names:" (or write names: original)',
}).refine((t) => t.kind === 'staging' || t.postgres?.owner === undefined, {
  path: ['postgres', 'owner'],
  message: 'a production target keeps the owners and grants of the set: remove "owner:" (it is for staging targets)',
});

export const AlertsSchema = z.strictObject({
  email: z.strictObject({
    host: z.string().min(1),
    port: port.default(587),
    secure: z.boolean().default(false),
    requireTLS: z.boolean().default(true),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
    user: z.string().optional(),
    passwordEnv: envName.optional(),
    passwordFile: z.string().optional(),
    /** extra CA certificate (PEM file) for a mail server with an internal CA */
    caFile: z.string().optional(),
  }).optional(),
  webhook: z.strictObject({ url: z.url(), headersEnv: envName.optional() }).optional(),
  desktop: z.boolean().default(true),
}).default({ desktop: true });

export const ConsoleSchema = z.strictObject({
  language: z.enum(['pt-BR', 'en']).default('pt-BR'),
  timezone: z.string().default('America/Sao_Paulo'),
}).default({ language: 'pt-BR', timezone: 'America/Sao_Paulo' });

export const DrillSchema = z.strictObject({
  target: name.optional(),
  everyMonths: z.number().int().min(1).max(12).default(3),
  /** the daemon runs the drill by itself when it is due (needs a staging target) */
  auto: z.boolean().default(true),
}).default({ everyMonths: 3, auto: true });

export const ConfigSchema = z.strictObject({
  servers: z.record(name, ServerSchema).default({}),
  sources: z.record(name, SourceSchema).default({}),
  storage: z.record(name, StorageSchema).default({}),
  encryption: EncryptionSchema.optional(),
  plans: z.record(name, PlanSchema).default({}),
  restoreTargets: z.record(name, RestoreTargetSchema).default({}),
  alerts: AlertsSchema,
  console: ConsoleSchema,
  drill: DrillSchema,
});

export type Config = z.infer<typeof ConfigSchema>;
export type ServerConfig = z.infer<typeof ServerSchema>;
export type SshServerConfig = z.infer<typeof SshServerSchema>;
export type SourceConfig = z.infer<typeof SourceSchema>;
export type PostgresSourceConfig = z.infer<typeof PostgresSourceSchema>;
export type MysqlSourceConfig = z.infer<typeof MysqlSourceSchema>;
export type FilesSourceConfig = z.infer<typeof FilesSourceSchema>;
export type StorageConfig = z.infer<typeof StorageSchema>;
export type S3StorageConfig = z.infer<typeof S3StorageSchema>;
export type FolderStorageConfig = z.infer<typeof FolderStorageSchema>;
export type ObjectLockConfig = z.infer<typeof ObjectLockSchema>;
export type PlanConfig = z.infer<typeof PlanSchema>;
export type RestoreTargetConfig = z.infer<typeof RestoreTargetSchema>;
export type AlertsConfig = z.infer<typeof AlertsSchema>;
export type Location = z.infer<typeof LocationSchema>;
