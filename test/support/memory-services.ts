/**
 * EngineServices held in memory, with a believable clinic (servers, plans, 10 days of sets)
 * and simulated runs/restores that push progress events on a timer. Used by the RPC and store
 * unit tests and the console's smoke e2e: a test double (the demo and Electron use the real
 * engine). It touches no disk, network or SSH.
 */
import { createHash } from 'node:crypto';
import { CofreError } from '../../src-main/errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { EngineServices, EngineEvent, CallContext } from '../../src-main/rpc/services.js';
import type { Run, RunDetail, LogLine } from '../../shared/rpc/contracts/runs.js';
import type { BackupSet } from '../../shared/rpc/contracts/sets.js';
import type { ServerInfo, SourceInput, StorageInfo, PlanInfo } from '../../shared/rpc/contracts/config.js';
import type { Target, Drills } from '../../shared/rpc/contracts/restore.js';
import type { Settings, AuditEntry } from '../../shared/rpc/contracts/settings.js';
import type { PlanStatus, DrillBrief } from '../../shared/rpc/contracts/status.js';
import { memoryFiles } from './memory-files.js';

export interface MemoryServicesOptions {
  now?: () => Date;
  /** interval between simulated progress events (default 250 ms) */
  tickMs?: number;
  /** progress events per simulated run/restore (default 8) */
  ticks?: number;
  /** start with no servers, plans or sets (first-run experience) */
  empty?: boolean;
  /** drills fail validation (a failed drill's reason and report in the console) */
  failDrills?: boolean;
}

export interface MemoryServices extends EngineServices {
  /** Stops simulated operations still in flight. */
  close(): void;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RESTORE_BUDGET_MS = 4 * HOUR;

function hex(seed: string, n: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, n);
}

function setIdAt(date: Date): string {
  const iso = date.toISOString();
  const compact = iso.slice(0, 19).replace(/[-:]/g, '');
  return `${compact}Z-${hex(iso, 6)}`;
}

function fingerprintOf(host: string, port: number): string {
  return `SHA256:${createHash('sha256').update(`${host}:${port}`).digest('base64').replace(/=+$/, '')}`;
}

export function createMemoryServices(options: MemoryServicesOptions = {}): MemoryServices {
  const now = options.now ?? (() => new Date());
  const tickMs = options.tickMs ?? 250;
  const ticks = options.ticks ?? 8;
  const listeners = new Set<(e: EngineEvent) => void>();
  const timers = new Set<ReturnType<typeof setInterval>>();
  let seq = 0;
  const emit = (e: EngineEvent): void => {
    for (const l of listeners) l(e);
  };

  const servers: ServerInfo[] = [];
  const sources: SourceInput[] = [];
  const storage: StorageInfo[] = [
    { name: 'nuvem', type: 's3', where: 's3://clinica-backups/cofre', location: { provider: 'aws', region: 'us-east-2' } },
    { name: 'nas', type: 'folder', where: '/mnt/nas/cofre', location: { provider: 'clinica', region: 'sala-servidores' } },
  ];
  const plans: PlanInfo[] = [];
  const sets: BackupSet[] = [];
  const runs: RunDetail[] = [];
  const targets: Target[] = [
    // staging has no MySQL server: a set's MySQL source cannot go there (the wizard leaves it out)
    { name: 'homologacao', kind: 'staging', services: ['postgres', 'files'] },
    { name: 'producao', kind: 'production', services: ['postgres', 'mysql', 'files'] },
  ];
  const drills: DrillBrief[] = [];
  const audit: AuditEntry[] = [];
  const settings: Settings = {
    language: 'pt-BR',
    timezone: 'America/Sao_Paulo',
    recipients: ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'],
    alerts: { email: { to: ['ti@clinica.example'], host: 'smtp.clinica.example' }, desktop: true },
  };
  const sizes: Record<string, number> = { banco: 2_254_857_830, prontuarios: 891_289_600, arquivos: 15_032_385_536 };
  const types: Record<string, 'postgres' | 'mysql' | 'files'> = { banco: 'postgres', prontuarios: 'mysql', arquivos: 'files' };

  const record = (ctx: CallContext, action: string, target: string, details: string): void => {
    audit.unshift({ at: now().toISOString(), actor: ctx.actor, action, target, details });
  };

  const makeSet = (plan: string, createdAt: Date, complete: boolean, names: string[]): BackupSet => {
    const setId = setIdAt(createdAt);
    return {
      setId,
      plan,
      storage: plans.find((p) => p.name === plan)?.storage ?? 'nuvem',
      createdAt: createdAt.toISOString(),
      state: complete ? 'complete' : 'incomplete',
      complete,
      sources: names.map((name) => {
        const bytes = Math.round((sizes[name] ?? 1e8) * (1 + (createdAt.getTime() % 97) / 1000));
        const type = types[name] ?? 'files';
        const format = type === 'postgres' ? 'clinica.pgdump' : type === 'mysql' ? 'clinica_my.sql.zst' : 'files.tar.zst';
        return { name, type, bytes, objects: [{ key: `cofre/sets/${setId}/${name}.${format}.age`, bytes, sha256: hex(`${setId}/${name}`, 64) }] };
      }),
    };
  };

  const planSources = (plan: string): string[] => plans.find((p) => p.name === plan)?.sources ?? [];

  if (!options.empty) {
    const t = now().getTime();
    servers.push(
      { name: 'clinica', host: '203.0.113.10', port: 22, user: 'backup', privateKeyFile: '~/.ssh/id_ed25519', hostKey: fingerprintOf('203.0.113.10', 22), location: { provider: 'hetzner', region: 'fsn1' }, trusted: true },
      { name: 'homolog', host: '198.51.100.20', port: 22, user: 'backup', privateKeyFile: '~/.ssh/id_ed25519', hostKey: fingerprintOf('198.51.100.20', 22), trusted: true },
    );
    sources.push(
      { type: 'postgres', name: 'banco', server: 'clinica', host: '127.0.0.1', port: 5432, user: 'postgres', passwordEnv: 'CLINICA_PG_PASSWORD', databases: ['clinica'] },
      { type: 'mysql', name: 'prontuarios', server: 'clinica', host: '127.0.0.1', port: 3306, user: 'backup', databases: ['clinica_my'] },
      { type: 'files', name: 'arquivos', server: 'clinica', paths: ['/srv/clinica/uploads'], exclude: ['*.tmp'] },
    );
    const next2am = new Date(Math.ceil((t - 5 * HOUR) / DAY) * DAY + 5 * HOUR);
    plans.push(
      { name: 'diario', sources: ['banco', 'prontuarios', 'arquivos'], storage: 'nuvem', schedule: '0 2 * * *', timezone: 'America/Sao_Paulo', retention: { keepDays: 30, keepMin: 7 }, rpoHours: 24, nextRunAt: next2am.toISOString() },
      { name: 'local', sources: ['banco'], storage: 'nas', schedule: '0 */6 * * *', timezone: 'America/Sao_Paulo', retention: { keepDays: 7, keepMin: 3 }, rpoHours: 24, nextRunAt: new Date(t + 2 * HOUR).toISOString() },
    );
    const lastDaily = next2am.getTime() - DAY;
    for (let d = 9; d >= 0; d--) {
      const created = new Date(lastDaily - d * DAY);
      const complete = d !== 4;
      const set = makeSet('diario', created, complete, ['banco', 'prontuarios', 'arquivos']);
      sets.unshift(set);
      const bytes = set.sources.reduce((a, s) => a + s.bytes, 0);
      const durationMs = 41 * 60_000 + d * 17_000;
      runs.unshift({
        id: `run-${hex(set.setId, 8)}`,
        plan: 'diario',
        ...(complete ? { setId: set.setId } : {}),
        status: complete ? 'succeeded' : 'failed',
        startedAt: set.createdAt,
        finishedAt: new Date(created.getTime() + durationMs).toISOString(),
        bytes,
        durationMs,
        ...(complete ? {} : { error: { code: 'STORAGE_UNREACHABLE', message: 'The storage "nuvem" did not answer while uploading arquivos.', hint: 'Check the internet link and the S3 credentials; the next run will retry.' } }),
        sources: set.sources.map((s) => ({ name: s.name, bytes: s.bytes, status: complete || s.name !== 'arquivos' ? 'succeeded' : 'failed' })),
        log: [
          { at: set.createdAt, level: 'info', message: 'Run started by the schedule.' },
          ...(complete ? [] : [{ at: set.createdAt, level: 'error' as const, source: 'arquivos', message: 'Upload failed after 3 retries.' }]),
        ],
      });
    }
    const failedAt = new Date(t - 3 * HOUR);
    sets.unshift(makeSet('local', new Date(t - 30 * HOUR), true, ['banco']));
    sets.sort((a, b) => b.setId.localeCompare(a.setId));
    runs.unshift({
      id: `run-${hex('local-failed', 8)}`,
      plan: 'local',
      status: 'failed',
      startedAt: failedAt.toISOString(),
      finishedAt: new Date(failedAt.getTime() + 12_000).toISOString(),
      bytes: 0,
      durationMs: 12_000,
      error: { code: 'REMOTE_COMMAND_FAILED', message: 'pg_dump on "clinica" stopped: permission denied for table agenda.', hint: 'Grant the backup user read access (GRANT pg_read_all_data TO backup) and run again.' },
      sources: [{ name: 'banco', bytes: 0, status: 'failed' }],
      log: [{ at: failedAt.toISOString(), level: 'error', source: 'banco', message: 'pg_dump: error: permission denied for table agenda' }],
    });
    runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    drills.push({ restoreId: 'restore-drill-q3', at: new Date(t - 40 * DAY).toISOString(), ok: true, target: 'homologacao', rtoMs: 2 * HOUR + 13 * 60_000 });
    audit.push(
      { at: new Date(t - 2 * DAY).toISOString(), actor: 'console:tecnico', action: 'keys.addRecipient', target: 'encryption', details: 'paper key added' },
      { at: new Date(t - 40 * DAY).toISOString(), actor: 'daemon', action: 'drill.finished', target: 'homologacao', details: 'succeeded in 2 h 13 min' },
    );
  }

  const planStatus = (plan: PlanInfo): PlanStatus => {
    const t = now().getTime();
    const good = sets.find((s) => s.plan === plan.name && s.complete);
    const last = runs.find((r) => r.plan === plan.name);
    const ageMs = good ? t - Date.parse(good.createdAt) : undefined;
    const store = storage.find((s) => s.name === plan.storage);
    const serverLocs = planSources(plan.name)
      .map((src) => servers.find((s) => s.name === sources.find((x) => x.name === src)?.server)?.location)
      .filter((l) => l !== undefined);
    const separated = store?.location !== undefined && serverLocs.every((l) => l.provider !== store.location?.provider || l.region !== store.location.region) && store.location.provider !== 'clinica';
    const rpoState = last?.status === 'failed' ? 'failing' : ageMs === undefined ? 'unknown' : ageMs > plan.rpoHours * HOUR ? 'late' : 'ok';
    return {
      plan: plan.name,
      rpoState,
      rpoHours: plan.rpoHours,
      ...(good ? { lastGoodSet: { setId: good.setId, createdAt: good.createdAt } } : {}),
      ...(ageMs === undefined ? {} : { ageMs }),
      ...(plan.nextRunAt ? { nextRunAt: plan.nextRunAt } : {}),
      storageName: plan.storage,
      storageBytes: sets.filter((s) => s.plan === plan.name).reduce((a, s) => a + s.sources.reduce((b, x) => b + x.bytes, 0), 0),
      geo: separated
        ? { separated: true, message: `${store?.location?.provider}/${store?.location?.region}` }
        : { separated: store?.location ? false : null, message: store?.location ? `storage in ${store.location.provider}/${store.location.region}, same site as the server` : 'storage location not declared' },
      ...(last
        ? { lastRun: { id: last.id, status: last.status, startedAt: last.startedAt, ...(last.finishedAt ? { finishedAt: last.finishedAt } : {}), ...(last.error ? { error: last.error } : {}) } }
        : {}),
    };
  };

  const simulate = (onTick: (i: number) => void, onDone: () => void): void => {
    let i = 0;
    const timer = setInterval(() => {
      i++;
      if (i <= ticks) onTick(i);
      if (i >= ticks) {
        clearInterval(timer);
        timers.delete(timer);
        onDone();
      }
    }, tickMs);
    timers.add(timer);
  };

  const requirePlan = (name: string): PlanInfo => {
    const plan = plans.find((p) => p.name === name);
    if (!plan) throw new CofreError('INVALID_ARGUMENT', `There is no plan named "${name}".`, { hint: 'Create it in Planos.' });
    return plan;
  };

  const findSet = (setId: string): BackupSet => {
    const set = sets.find((s) => s.setId === setId);
    if (!set) throw new CofreError('SET_NOT_FOUND', `Set ${setId} is not in storage.`, { hint: 'Pick a restore point from Cópias.' });
    return set;
  };

  const startRestore = (setId: string, target: string, drill: boolean): string => {
    const set = findSet(setId);
    const restoreId = `restore-${++seq}-${hex(setId + target + String(now().getTime()), 6)}`;
    const total = set.sources.reduce((a, s) => a + s.bytes, 0);
    const started = now().getTime();
    const rate = 150 * 1024 * 1024;
    simulate(
      (i) => {
        const bytes = Math.round((total * i) / ticks);
        emit({
          event: 'restore.progress',
          payload: { restoreId, phase: i < ticks ? 'transfer' : 'validate', source: set.sources[Math.min(set.sources.length - 1, Math.floor(((i - 1) * set.sources.length) / ticks))]?.name, bytes, totalBytes: total, bytesPerSecond: rate, etaSeconds: Math.max(0, (total - bytes) / rate), elapsedMs: now().getTime() - started },
        });
      },
      () => {
        const rtoMs = Math.max(1, now().getTime() - started);
        const failed = drill && options.failDrills === true;
        const validation = set.sources.map((s, i) => ({
          name: s.type === 'files' ? `${s.name}: file count` : `${s.name}: row counts`,
          ok: !(failed && i === 0),
          expected: s.type === 'files' ? '48 213 files' : '37 tables, 1 204 332 rows',
          actual: s.type === 'files' ? '48 213 files' : '37 tables, 1 204 332 rows',
        }));
        const reportPath = `~/.local/share/cofre/reports/${restoreId}.html`;
        const error = failed ? { code: 'INTEGRITY', message: `row counts of ${set.sources[0]?.name ?? 'the first source'} differ from the manifest`, hint: 'open the drill report' } : undefined;
        if (drill) {
          drills.unshift({ restoreId, runId: restoreId, at: now().toISOString(), ok: !failed, target, setId, rtoMs, reportPath, ...(error ? { error } : {}) });
          runs.unshift({ id: restoreId, kind: 'drill', plan: '', target, reportPath, setId, status: failed ? 'failed' : 'succeeded', startedAt: new Date(started).toISOString(), finishedAt: now().toISOString(), bytes: total, durationMs: rtoMs, ...(error ? { error } : {}), sources: [], log: [] });
        }
        emit({ event: 'restore.finished', payload: { restoreId, status: failed ? 'failed' : 'succeeded', validation, reportPath, rtoMs, rpoMs: started - Date.parse(set.createdAt), ...(error ? { error } : {}) } });
      },
    );
    return restoreId;
  };

  const services: MemoryServices = {
    demo: {
      async info() {
        return { demo: false, databases: [], notices: [] };
      },
    },
    status: {
      async get() {
        const lastDrill = drills[0];
        return { plans: plans.map(planStatus), ...(lastDrill ? { lastDrill } : {}), generatedAt: now().toISOString() };
      },
    },
    runs: {
      async list({ plan, limit }) {
        return runs.filter((r) => plan === undefined || (r.plan === plan && r.kind !== 'drill')).slice(0, limit).map(({ log: _log, ...run }): Run => run);
      },
      async get(id) {
        return runs.find((r) => r.id === id);
      },
    },
    backup: {
      async start(planName, ctx) {
        const plan = requirePlan(planName);
        if (runs.some((r) => r.plan === planName && r.status === 'running')) {
          throw new CofreError('REMOTE_BUSY', `Plan "${planName}" is already running.`, { hint: 'Wait for the current run to finish (see Execuções).' });
        }
        const runId = `run-${++seq}-${hex(planName + String(now().getTime()), 6)}`;
        const startedAt = now();
        const names = plan.sources;
        const total = names.reduce((a, n) => a + (sizes[n] ?? 1e8), 0);
        const log: LogLine[] = [{ at: startedAt.toISOString(), level: 'info', message: `Run started from the console by ${ctx.actor}.` }];
        const run: RunDetail = { id: runId, plan: planName, status: 'running', startedAt: startedAt.toISOString(), bytes: 0, sources: names.map((name) => ({ name, bytes: 0, status: 'pending' })), log };
        runs.unshift(run);
        record(ctx, 'backup.start', planName, runId);
        const rate = 95 * 1024 * 1024;
        simulate(
          (i) => {
            const bytes = Math.round((total * i) / ticks);
            run.bytes = bytes;
            const idx = Math.min(names.length - 1, Math.floor(((i - 1) * names.length) / ticks));
            run.sources.forEach((s, j) => {
              s.status = j < idx ? 'succeeded' : j === idx ? 'running' : 'pending';
              s.bytes = j < idx ? (sizes[s.name] ?? 0) : j === idx ? Math.round((sizes[s.name] ?? 0) * 0.5) : 0;
            });
            emit({ event: 'run.progress', payload: { runId, source: names[idx], phase: 'upload', bytes, totalBytes: total, bytesPerSecond: rate, etaSeconds: (total - bytes) / rate } });
          },
          () => {
            const set = makeSet(planName, startedAt, true, names);
            sets.unshift(set);
            sets.sort((a, b) => b.setId.localeCompare(a.setId));
            run.status = 'succeeded';
            run.setId = set.setId;
            run.finishedAt = now().toISOString();
            run.durationMs = Date.parse(run.finishedAt) - startedAt.getTime();
            run.bytes = set.sources.reduce((a, s) => a + s.bytes, 0);
            run.sources = set.sources.map((s) => ({ name: s.name, bytes: s.bytes, status: 'succeeded' }));
            log.push({ at: run.finishedAt, level: 'info', message: `Set ${set.setId} complete.` });
            emit({ event: 'run.finished', payload: { runId, plan: planName, status: 'succeeded', setId: set.setId } });
          },
        );
        return { runId };
      },
    },
    sets: {
      async list({ plan }) {
        return { sets: sets.filter((s) => plan === undefined || s.plan === plan), unreachable: [] };
      },
      async verify(setId, { deep }, ctx) {
        const set = findSet(setId);
        record(ctx, deep ? 'sets.verifyDeep' : 'sets.verify', setId, set.complete ? 'ok' : 'incomplete');
        if (!set.complete) {
          return { ok: false, checks: [{ name: 'manifest', ok: false, message: 'manifest.json is missing: the run did not finish, this set cannot be restored.' }] };
        }
        const checks = set.sources.flatMap((s) =>
          s.objects.map((o) => ({ name: o.key.split('/').pop() ?? o.key, ok: true, message: deep ? 'decrypted; dump format valid; SHA-256 matches' : 'size and SHA-256 match the manifest' })),
        );
        return { ok: true, checks: [{ name: 'manifest', ok: true, message: 'manifest.json present and valid' }, ...checks] };
      },
    },
    servers: {
      async list() {
        return servers.map((s) => ({ ...s }));
      },
      async save(input, ctx) {
        const existing = servers.findIndex((s) => s.name === input.name);
        const hostKey = input.hostKey ?? (existing >= 0 ? servers[existing]?.hostKey : undefined);
        const next: ServerInfo = { ...input, ...(hostKey ? { hostKey } : {}), trusted: hostKey !== undefined };
        if (existing >= 0) servers[existing] = next;
        else servers.push(next);
        record(ctx, 'servers.save', input.name, `${input.user}@${input.host}:${input.port}`);
      },
      async probe(host, port) {
        if (host === 'unreachable.invalid') throw new CofreError('HOST_UNREACHABLE', `Could not reach ${host}:${port}.`, { hint: 'Check the address and that port 22 is open to this machine.' });
        return { fingerprint: fingerprintOf(host, port), algorithm: 'ssh-ed25519' };
      },
      async trust(name, fingerprint, ctx) {
        const server = servers.find((s) => s.name === name);
        if (!server) throw new CofreError('INVALID_ARGUMENT', `There is no server named "${name}".`);
        server.hostKey = fingerprint;
        server.trusted = true;
        record(ctx, 'servers.trust', name, fingerprint);
      },
      async test(name) {
        const server = servers.find((s) => s.name === name);
        if (!server) return { ok: false, message: `There is no server named "${name}".` };
        if (!server.hostKey) return { ok: false, message: 'The host key is not pinned yet: confirm the fingerprint first.' };
        if (server.hostKey !== fingerprintOf(server.host, server.port)) return { ok: false, message: 'The server presented a different host key than the pinned one.' };
        return { ok: true, message: `Logged in as ${server.user}; pg_dump 15.8, mysqldump 10.11, tar 1.34 found.` };
      },
    },
    sources: {
      async list() {
        return sources.map((s) => ({ ...s }));
      },
      async save(input, ctx) {
        const i = sources.findIndex((s) => s.name === input.name);
        if (i >= 0) sources[i] = input;
        else sources.push(input);
        record(ctx, 'sources.save', input.name, input.type);
      },
    },
    storage: {
      async list() {
        return storage.map((s) => ({ ...s }));
      },
    },
    plans: {
      async list() {
        return plans.map((p) => ({ ...p }));
      },
      async save(input, ctx) {
        for (const src of input.sources) {
          if (!sources.some((s) => s.name === src)) throw new CofreError('CONFIG_REFERENCE', `Plan "${input.name}" uses source "${src}", which does not exist.`, { hint: 'Add the source first.' });
        }
        if (!storage.some((s) => s.name === input.storage)) throw new CofreError('CONFIG_REFERENCE', `Plan "${input.name}" uses storage "${input.storage}", which does not exist.`, { hint: 'Add the storage under storage: in cofre.yaml.' });
        if (input.schedule.trim().split(/\s+/).length !== 5) throw new CofreError('INVALID_ARGUMENT', `"${input.schedule}" is not a schedule.`, { hint: 'Use a cron expression like "0 2 * * *" (every day at 02:00).' });
        const nextRunAt = new Date(now().getTime() + DAY).toISOString();
        const { bandwidth, ...rest } = input;
        const i = plans.findIndex((p) => p.name === input.name);
        // absent: keep the limit; null: none (parsing a limit is the real engine's job)
        const limit = bandwidth === undefined ? plans[i]?.bandwidth : (bandwidth ?? undefined);
        const plan: PlanInfo = { ...rest, rpoHours: 24, nextRunAt, ...(limit ? { bandwidth: limit } : {}) };
        if (i >= 0) plans[i] = plan;
        else plans.push(plan);
        record(ctx, 'plans.save', input.name, `${input.sources.join(', ')} → ${input.storage}`);
        return { nextRunAt };
      },
    },
    targets: {
      async list() {
        return targets.map((t) => ({ ...t }));
      },
    },
    restore: {
      async preflight(input) {
        const set = input.setId
          ? findSet(input.setId)
          : sets.find((s) => s.complete && input.at !== undefined && s.createdAt <= new Date(input.at).toISOString());
        if (!set) throw new CofreError('SET_NOT_FOUND', `No complete set at or before ${input.at}.`, { hint: 'Pick a later moment or a set from the list.' });
        const target = targets.find((t) => t.name === input.target);
        const chosen = set.sources.filter((s) => input.sources === undefined || input.sources.includes(s.name));
        const totalBytes = chosen.reduce((a, s) => a + s.bytes, 0);
        const projectedMs = Math.round((totalBytes / (150 * 1024 * 1024)) * 1000);
        return {
          setId: set.setId,
          checks: [
            { name: 'set', ok: set.complete, message: set.complete ? 'manifest present; all objects listed' : 'this set is incomplete and cannot be restored' },
            { name: 'target', ok: target !== undefined, message: target ? `${target.name} (${target.kind}) reachable over SSH` : `no target named ${input.target}` },
            { name: 'key', ok: true, message: 'age identity unlocked' },
            { name: 'space', ok: true, message: 'enough free space on the target' },
            { name: 'tools', ok: true, message: 'pg_restore 15, mysql 10.11, tar found on the target' },
          ],
          projection: { totalBytes, projectedMs, budgetMs: RESTORE_BUDGET_MS },
        };
      },
      async resolveAt(at) {
        const set = sets.filter((s) => s.complete && Date.parse(s.createdAt) <= Date.parse(at)).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0];
        if (!set) throw new CofreError('SET_NOT_FOUND', `No complete set at or before ${at}.`, { hint: 'Pick a later moment or a set from the list.' });
        return { at, setId: set.setId, createdAt: set.createdAt };
      },
      async start(input, ctx) {
        const set = findSet(input.setId);
        if (!set.complete) throw new CofreError('SET_INCOMPLETE', `Set ${input.setId} is incomplete and cannot be restored.`, { hint: 'Choose the previous complete set.' });
        record(ctx, 'restore.start', input.target, input.setId);
        return { restoreId: startRestore(input.setId, input.target, false) };
      },
    },
    drills: {
      async list(): Promise<Drills> {
        const lastResult = drills[0];
        const nextDue = lastResult ? new Date(Date.parse(lastResult.at) + 91 * DAY).toISOString() : now().toISOString();
        return { drills: [...drills], ...(lastResult ? { lastResult } : {}), nextDue, target: 'homologacao' };
      },
      async start(target, ctx) {
        const latest = sets.find((s) => s.complete);
        if (!latest) throw new CofreError('PRECONDITION', 'There is no complete set to test yet.', { hint: 'Run a backup first (Painel → Executar agora).' });
        const t = target ?? 'homologacao';
        if (targets.find((x) => x.name === t)?.kind !== 'staging') throw new CofreError('PRECONDITION', `Drills restore into a staging target; "${t}" is not one.`, { hint: 'Choose homologacao.' });
        record(ctx, 'drill.start', t, latest.setId);
        return { restoreId: startRestore(latest.setId, t, true) };
      },
    },
    files: memoryFiles(() => sets, findSet, record),
    // restores here touch no target, so they keep nothing: the kept copies are tested against the real engine (test/integration/kept-console.test.ts)
    kept: {
      async list() {
        return { copies: [], unreachable: [] };
      },
      async remove({ name }) {
        throw new CofreError('INVALID_ARGUMENT', `${name} is not a copy kept by a restore recorded here: nothing was removed`, said('drill.kept.unknown', { name }));
      },
    },
    settings: {
      async get() {
        return structuredClone(settings);
      },
      async setLanguage(language, ctx) {
        settings.language = language;
        record(ctx, 'settings.setLanguage', 'console', language);
      },
      async setTimezone(timezone, ctx) {
        settings.timezone = timezone;
        record(ctx, 'config.console.timezone', 'console', timezone);
      },
    },
    alerts: {
      async test(ctx) {
        record(ctx, 'alerts.test', 'alerts', 'test sent');
        return {
          results: [
            ...(settings.alerts.email ? [{ channel: 'email' as const, ok: true, message: `sent to ${settings.alerts.email.to.join(', ')}` }] : []),
            ...(settings.alerts.webhook ? [{ channel: 'webhook' as const, ok: true, message: 'HTTP 200' }] : []),
            { channel: 'desktop' as const, ok: true, message: 'notification shown' },
          ],
        };
      },
    },
    keys: {
      async addRecipient(recipient, ctx) {
        if (!settings.recipients.includes(recipient)) settings.recipients.push(recipient);
        record(ctx, 'keys.addRecipient', 'encryption', recipient);
        return [...settings.recipients];
      },
    },
    audit: {
      async list({ limit, actor, action, since }) {
        return audit
          .filter((e) => (actor === undefined || e.actor.includes(actor)) && (action === undefined || e.action.includes(action)) && (since === undefined || e.at >= since))
          .slice(0, limit);
      },
    },
    events: {
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    close() {
      for (const t of timers) clearInterval(t);
      timers.clear();
    },
  };
  return services;
}
