/**
 * Servers, sources, storage, plans, targets, settings and keys: read from cofre.yaml, written
 * back through editConfig (comments kept, validated before the file is replaced), each change
 * recorded in the audit log as `config.*`. Secrets never pass here: passwords are env var names.
 */
import { isMap, type Document } from 'yaml';
import { namesPolicy } from '../../restore/original-names.js';
import { CofreError, toErrorInfo } from '../../errors.js';
import { said } from '../../../shared/i18n/catalog.js';
import { editConfig } from '../../config/edit.js';
import { sshServerConfig, serverSpec } from '../../app/servers.js';
import { currentUser } from '../../remote/local.js';
import { fetchHostKeyFingerprint } from '../../remote/ssh.js';
import { connectServer } from '../../remote/connect.js';
import { nextRun, validateSchedule } from '../../scheduler/schedule.js';
import { parseRecipient } from '../../crypto/age.js';
import type { Config } from '../../config/schema.js';
import type { EngineServices } from '../services.js';
import type { ServerInfo, SourceInput, StorageInfo, PlanInfo, BandwidthInput } from '../../../shared/rpc/contracts/config.js';
import type { BandwidthValue } from '../../config/schema.js';
import type { Settings } from '../../../shared/rpc/contracts/settings.js';
import type { Runtime } from './runtime.js';
import { checkHostKeyReplacement } from '../../app/host-key-change.js';

type ConfigServices = Pick<EngineServices, 'servers' | 'sources' | 'storage' | 'plans' | 'targets' | 'settings' | 'keys'>;

/** Sets the given fields of a mapping in place (other keys and comments stay); undefined deletes. */
function setFields(doc: Document, at: string[], fields: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) {
      if (doc.hasIn([...at, key])) doc.deleteIn([...at, key]);
    } else {
      doc.setIn([...at, key], flowIfCollection(doc, value));
    }
  }
}

/** Short lists and small mappings are written inline (`[a, b]`, `{ provider: x }`), like the starter config. */
function flowIfCollection(doc: Document, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const node = doc.createNode(value);
  if (node && typeof node === 'object' && 'flow' in node) (node as { flow: boolean }).flow = true;
  return node;
}

function ensureMap(doc: Document, key: string): void {
  const node = doc.get(key);
  if (!isMap(node)) doc.set(key, doc.createNode({}));
}

function serverInfo(name: string, s: Config['servers'][string]): ServerInfo {
  if (s.kind === 'local') {
    // this machine: nothing to pin; shown with the user running Cofre
    return { name, kind: 'local', host: 'localhost', port: 22, user: currentUser(), privateKeyFile: '-', trusted: true, ...(s.location ? { location: s.location } : {}) };
  }
  return {
    kind: 'ssh',
    name, host: s.host, port: s.port, user: s.user, privateKeyFile: s.privateKeyFile,
    ...(s.hostKey ? { hostKey: s.hostKey } : {}), ...(s.location ? { location: s.location } : {}),
    trusted: s.hostKey !== undefined,
  };
}

function sourceInfo(name: string, s: Config['sources'][string]): SourceInput {
  if (s.type === 'files') return { type: 'files', name, server: s.server, paths: s.paths, exclude: s.exclude };
  return {
    type: s.type, name, server: s.server, host: s.host, port: s.port, user: s.user,
    ...(s.passwordEnv ? { passwordEnv: s.passwordEnv } : {}), ...(s.databases ? { databases: s.databases } : {}),
  };
}

export function storageInfo(name: string, s: Config['storage'][string]): StorageInfo {
  const where = s.type === 's3' ? `s3://${s.bucket}${s.prefix ? `/${s.prefix}` : ''}` : `${s.path}${s.prefix ? `/${s.prefix}` : ''}`;
  return { name, type: s.type, where, ...(s.location ? { location: s.location } : {}) };
}

function nextRunOf(schedule: string, timezone: string, now: Date): string | undefined {
  try {
    return nextRun(schedule, timezone, now).toISOString();
  } catch {
    return undefined;
  }
}

export function configServices(rt: Runtime): ConfigServices {
  const { ctx } = rt;
  const edit = (mutate: (doc: Document) => void): Config => {
    editConfig(ctx.configPath, mutate);
    return rt.reload();
  };

  return {
    servers: {
      async list() {
        return Object.entries(rt.config().servers).map(([n, s]) => serverInfo(n, s));
      },
      async save(input, call) {
        const before = rt.config().servers[input.name];
        // a pinned key belongs to host:port; moving the server drops it (it must be confirmed again)
        const moved = before !== undefined && (before.kind === 'local' || before.host !== input.host || before.port !== input.port);
        const pinned = before !== undefined && before.kind !== 'local' ? before.hostKey : undefined;
        if (!moved && pinned !== undefined && input.hostKey !== undefined && input.hostKey !== pinned) {
          throw new CofreError('CONFIRMATION_REQUIRED', `saving ${input.name} would replace its pinned host key ${pinned} with ${input.hostKey}`, {
            hint: 'fetch the fingerprint and confirm the new key on the server row (it shows both keys and asks for the server name)',
          });
        }
        const hostKey = input.hostKey ?? (moved ? undefined : pinned);
        edit((doc) => {
          ensureMap(doc, 'servers');
          if (before?.kind === 'local') doc.deleteIn(['servers', input.name, 'kind']);
          setFields(doc, ['servers', input.name], {
            host: input.host, port: input.port, user: input.user, privateKeyFile: input.privateKeyFile,
            hostKey, ...(input.location ? { location: input.location } : {}),
          });
        });
        rt.audit(call, before ? 'config.servers.update' : 'config.servers.add', input.name, {
          host: input.host, port: input.port, user: input.user, ...(moved && before?.kind !== 'local' && before?.hostKey ? { hostKeyDropped: before.hostKey } : {}),
        });
      },
      async probe(host, port) {
        const r = await fetchHostKeyFingerprint(host, port);
        return { fingerprint: r.fingerprint, algorithm: r.algorithm };
      },
      async trust(name, fingerprint, call, replace) {
        const server = sshServerConfig(rt.config(), name, 'pinning a host key');
        // the technician confirmed what the server showed a moment ago: it must still show it
        const now = await fetchHostKeyFingerprint(server.host, server.port);
        if (now.fingerprint !== fingerprint) {
          throw new CofreError('HOST_KEY_MISMATCH', `${name} (${server.host}:${server.port}) now presents ${now.fingerprint}, not the confirmed ${fingerprint}`, {
            ...said('ssh.trustChanged', { server: name }),
            hint: 'check the fingerprint on the server console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and confirm again',
          });
        }
        try {
          checkHostKeyReplacement(name, server.hostKey, fingerprint, replace);
        } catch (err) {
          rt.audit(call, 'config.servers.replaceHostKey.refused', name, { fingerprint, previous: server.hostKey ?? null, reason: toErrorInfo(err).message });
          throw err;
        }
        edit((doc) => doc.setIn(['servers', name, 'hostKey'], fingerprint));
        const replaced = server.hostKey !== undefined && server.hostKey !== fingerprint;
        rt.audit(call, replaced ? 'config.servers.replaceHostKey' : 'config.servers.trust', name, { fingerprint, previous: server.hostKey ?? null });
      },
      async test(name) {
        const config = rt.config();
        const server = config.servers[name];
        if (!server) return { ok: false, message: `"${name}" is not a server in the config`, ...said('ssh.test', { server: name }) };
        if (server.kind === 'local') {
          try {
            const host = await connectServer(serverSpec(config, name, ctx.env));
            host.close();
            return { ok: true, message: `this machine runs commands as ${host.user}; sh, GNU tar, find and flock found`, ...said('local.test', { server: name, user: host.user }) };
          } catch (err) {
            const e = toErrorInfo(err);
            return { ok: false, message: e.hint ? `${e.message} — ${e.hint}` : e.message, ...said('local.test', { server: name, user: '' }) };
          }
        }
        if (!server.hostKey) return { ok: false, message: 'the host key is not pinned yet: check and confirm the fingerprint first', ...said('ssh.notPinnedYet', { server: name }) };
        try {
          const host = await connectServer(serverSpec(config, name, ctx.env));
          try {
            const r = await host.run('id -un');
            const user = r.stdout.trim() || server.user;
            return { ok: true, message: `login as ${user} works (${server.host}:${server.port})`, ...said('ssh.test', { server: name, user, host: server.host, port: server.port }) };
          } finally {
            host.close();
          }
        } catch (err) {
          const e = toErrorInfo(err);
          return { ok: false, message: e.hint ? `${e.message} — ${e.hint}` : e.message, ...said('ssh.test', { server: name }), cause: e };
        }
      },
    },
    sources: {
      async list() {
        return Object.entries(rt.config().sources).map(([n, s]) => sourceInfo(n, s));
      },
      async save(input, call) {
        const before = rt.config().sources[input.name];
        edit((doc) => {
          ensureMap(doc, 'sources');
          if (before && before.type !== input.type) doc.deleteIn(['sources', input.name]);
          if (input.type === 'files') {
            setFields(doc, ['sources', input.name], { server: input.server, type: 'files', paths: input.paths, exclude: input.exclude.length ? input.exclude : undefined });
          } else {
            setFields(doc, ['sources', input.name], {
              server: input.server, type: input.type, host: input.host, port: input.port, user: input.user,
              passwordEnv: input.passwordEnv, databases: input.databases,
            });
          }
        });
        rt.audit(call, before ? 'config.sources.update' : 'config.sources.add', input.name, { type: input.type, server: input.server });
      },
    },
    storage: {
      async list() {
        return Object.entries(rt.config().storage).map(([n, s]) => storageInfo(n, s));
      },
    },
    plans: {
      async list(): Promise<PlanInfo[]> {
        const now = ctx.now();
        return Object.entries(rt.config().plans).map(([name, p]) => {
          const next = nextRunOf(p.schedule, p.timezone, now);
          return {
            name, sources: p.sources, storage: p.storage, schedule: p.schedule, timezone: p.timezone,
            retention: { keepDays: p.retention.keepDays, keepMin: p.retention.keepMin }, rpoHours: p.rpoHours,
            ...(next ? { nextRunAt: next } : {}),
            ...(p.bandwidth !== undefined ? { bandwidth: typeof p.bandwidth === 'string' ? { limit: p.bandwidth } : { limit: p.bandwidth.limit, ...(p.bandwidth.window !== undefined ? { window: p.bandwidth.window } : {}) } } : {}),
          };
        });
      },
      async save(input, call) {
        validateSchedule(input.schedule, input.timezone, `plans.${input.name}.schedule`);
        const before = rt.config().plans[input.name];
        edit((doc) => {
          ensureMap(doc, 'plans');
          setFields(doc, ['plans', input.name], {
            sources: input.sources, storage: input.storage, schedule: input.schedule, timezone: input.timezone,
          });
          setFields(doc, ['plans', input.name, 'retention'], { keepDays: input.retention.keepDays, keepMin: input.retention.keepMin });
          const retention = doc.getIn(['plans', input.name, 'retention']);
          if (isMap(retention) && retention.items.length <= 4) retention.flow = true;
          // checked by the config loader's schema when editConfig validates the edited text (nothing written if bad)
          if (input.bandwidth !== undefined) setFields(doc, ['plans', input.name], { bandwidth: bandwidthValue(input.bandwidth) });
        });
        rt.audit(call, before ? 'config.plans.update' : 'config.plans.add', input.name, {
          sources: input.sources, storage: input.storage, schedule: input.schedule,
          ...(input.bandwidth !== undefined ? { bandwidth: bandwidthValue(input.bandwidth) ?? null } : {}),
        });
        const next = nextRunOf(input.schedule, input.timezone, ctx.now());
        return next ? { nextRunAt: next } : {};
      },
    },
    targets: {
      async list() {
        return Object.entries(rt.config().restoreTargets).map(([name, t]) => ({
          name, kind: t.kind,
          services: [...(t.postgres ? ['postgres' as const] : []), ...(t.mysql ? ['mysql' as const] : []), ...(t.filesRoot ? ['files' as const] : [])],
          ...(t.kind === 'staging' ? { names: namesPolicy(t) } : {}),
        }));
      },
    },
    settings: {
      async get(): Promise<Settings> {
        const c = rt.config();
        return {
          language: c.console.language,
          timezone: c.console.timezone,
          recipients: c.encryption?.recipients ?? [],
          alerts: {
            ...(c.alerts.email ? { email: { to: c.alerts.email.to, host: c.alerts.email.host } } : {}),
            ...(c.alerts.webhook ? { webhook: { url: redactUrl(c.alerts.webhook.url) } } : {}),
            desktop: c.alerts.desktop,
          },
        };
      },
      async setLanguage(language, call) {
        const before = rt.config().console.language;
        if (before === language) return;
        edit((doc) => doc.setIn(['console', 'language'], language));
        rt.audit(call, 'config.console.language', 'console', { from: before, to: language });
      },
      async setTimezone(timezone, call) {
        const before = rt.config().console.timezone;
        if (before === timezone) return;
        edit((doc) => doc.setIn(['console', 'timezone'], timezone));
        rt.audit(call, 'config.console.timezone', 'console', { from: before, to: timezone });
      },
    },
    keys: {
      async addRecipient(recipient, call) {
        const r = parseRecipient(recipient);
        const current = rt.config().encryption?.recipients ?? [];
        if (current.includes(r)) return current;
        const config = edit((doc) => {
          if (doc.hasIn(['encryption', 'recipients'])) {
            const list = doc.getIn(['encryption', 'recipients']);
            if (list && typeof list === 'object' && 'add' in list) (list as { add(v: unknown): void }).add(r);
            else doc.setIn(['encryption', 'recipients'], flowIfCollection(doc, [...current, r]));
          } else {
            doc.setIn(['encryption', 'recipients'], flowIfCollection(doc, [r]));
          }
        });
        rt.audit(call, 'config.keys.addRecipient', 'encryption', { recipient: r });
        return config.encryption?.recipients ?? [];
      },
    },
  };
}

/** cofre.yaml's form of a limit typed in the console: `20MiB/s`, or `{ limit, window }` with a window; null or a blank limit and window: none. */
function bandwidthValue(b: BandwidthInput | null): BandwidthValue | undefined {
  if (b === null) return undefined;
  const limit = b.limit.trim();
  const window = b.window?.trim() ?? '';
  if (limit === '' && window === '') return undefined;
  return window === '' ? limit : { limit, window };
}

/** A webhook URL may carry a token in its path or query: show scheme, host and a hint only. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 1 ? '/…' : '/'}`;
  } catch {
    return '(invalid URL)';
  }
}
