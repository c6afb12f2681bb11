/** Servers, sources, storage, plans: the parts of cofre.yaml the console edits. */
import * as z from 'zod';
import { method, Empty } from '../define.js';
import { CheckSchema } from './sets.js';

export const ConfigName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, "-" or "_"');
const Port = z.number().int().min(1).max(65535);
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as CLINICA_PG_PASSWORD');
export const FingerprintSchema = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a fingerprint like "SHA256:…"');
export const LocationSchema = z.object({ provider: z.string().min(1), region: z.string().min(1) });

export const ServerInputSchema = z.object({
  name: ConfigName,
  host: z.string().min(1),
  port: Port.default(22),
  user: z.string().min(1),
  privateKeyFile: z.string().min(1),
  hostKey: FingerprintSchema.optional(),
  location: LocationSchema.optional(),
});
/** `kind: local` servers are this machine: host/port/key are placeholders, nothing to pin. */
export const ServerInfoSchema = ServerInputSchema.extend({ trusted: z.boolean(), kind: z.enum(['ssh', 'local']).optional() });
/** What replacing a different pinned host key needs: the old pin as shown, and the server's name typed. */
export const HostKeyReplacementSchema = z.object({ previous: FingerprintSchema, confirmName: z.string() });

const dbFields = {
  name: ConfigName,
  server: ConfigName,
  host: z.string().min(1).default('127.0.0.1'),
  user: z.string().min(1),
  passwordEnv: EnvName.optional(),
  databases: z.array(z.string().min(1)).min(1).optional(),
};
export const SourceInputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('postgres'), ...dbFields, port: Port.default(5432) }),
  z.object({ type: z.literal('mysql'), ...dbFields, port: Port.default(3306) }),
  z.object({
    type: z.literal('files'),
    name: ConfigName,
    server: ConfigName,
    paths: z.array(z.string().startsWith('/', 'an absolute path')).min(1),
    exclude: z.array(z.string()).default([]),
  }),
]);

export const StorageInfoSchema = z.object({
  name: z.string(),
  type: z.enum(['s3', 'folder']),
  /** bucket/prefix or folder path, for display */
  where: z.string(),
  location: LocationSchema.optional(),
});

export const RetentionInputSchema = z.object({
  keepDays: z.number().int().min(1, 'at least 1 day (the clinic requires 30)'),
  keepMin: z.number().int().min(1, 'at least 1 set'),
});
/**
 * A plan's bandwidth limit as typed in the console: the rate ("20MiB/s") and, optionally, the daily
 * window it holds in ("07:00-19:00", plan's time zone). Only the engine parses it, with the config
 * loader's own schema, so the console and cofre.yaml accept exactly the same values.
 */
export const BandwidthInputSchema = z.object({ limit: z.string(), window: z.string().optional() });
export const PlanInputSchema = z.object({
  name: ConfigName,
  sources: z.array(ConfigName).min(1, 'choose at least one source'),
  storage: ConfigName,
  schedule: z.string().min(1),
  timezone: z.string().min(1),
  retention: RetentionInputSchema,
  /** absent: leave the plan's limit as it is; null: no limit (the key is removed); a value: that limit */
  bandwidth: BandwidthInputSchema.nullable().optional(),
});
export const PlanInfoSchema = PlanInputSchema.omit({ bandwidth: true }).extend({
  /** the plan's bandwidth limit as written in cofre.yaml (absent: unlimited) */
  bandwidth: BandwidthInputSchema.optional(),
  rpoHours: z.number().positive(),
  nextRunAt: z.string().optional(),
});

export const configMethods = {
  'servers.list': method(Empty, z.object({ servers: z.array(ServerInfoSchema) })),
  'servers.save': method(ServerInputSchema, z.object({ saved: z.literal(true) })),
  'servers.probe': method(
    z.object({ host: z.string().min(1), port: Port.default(22) }),
    z.object({ fingerprint: z.string(), algorithm: z.string() }),
  ),
  'servers.trust': method(
    z.object({
      name: ConfigName,
      fingerprint: FingerprintSchema,
      /** needed to replace a different pinned key: the pin the technician saw, and the server's name typed */
      replace: HostKeyReplacementSchema.optional(),
    }),
    z.object({ saved: z.literal(true) }),
  ),
  'servers.test': method(z.object({ name: ConfigName }), CheckSchema.omit({ name: true })),
  'sources.list': method(Empty, z.object({ sources: z.array(SourceInputSchema) })),
  'sources.save': method(SourceInputSchema, z.object({ saved: z.literal(true) })),
  'storage.list': method(Empty, z.object({ storage: z.array(StorageInfoSchema) })),
  'plans.list': method(Empty, z.object({ plans: z.array(PlanInfoSchema) })),
  'plans.save': method(PlanInputSchema, z.object({ saved: z.literal(true), nextRunAt: z.string().optional() })),
};

export type ServerInput = z.infer<typeof ServerInputSchema>;
export type ServerInfo = z.infer<typeof ServerInfoSchema>;
export type HostKeyReplacement = z.infer<typeof HostKeyReplacementSchema>;
export type SourceInput = z.infer<typeof SourceInputSchema>;
export type StorageInfo = z.infer<typeof StorageInfoSchema>;
export type PlanInput = z.infer<typeof PlanInputSchema>;
export type PlanInfo = z.infer<typeof PlanInfoSchema>;
export type BandwidthInput = z.infer<typeof BandwidthInputSchema>;
