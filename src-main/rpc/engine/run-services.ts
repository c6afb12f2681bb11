/**
 * Status, runs, backups and sets: the dashboard, *Execuções* and *Cópias*. A backup started
 * from the console runs in the background (runBackup) and pushes `run.progress` and
 * `run.finished`; runs started elsewhere (the scheduler, the CLI, a daemon) are found in the
 * catalog by a light poll and announced with `run.finished` when they end.
 */
import { CofreError } from '../../errors.js';
import { said } from '../../../shared/i18n/catalog.js';
import { computeStatus } from '../../status/status.js';
import type { PlanRunEvent } from '../../runs/plan-runs.js';
import { listStorages, type StorageListing, type StorageSet } from '../../backup/storage-sets.js';
import { hashFailures, recordHashFailure, verifySet } from '../../backup/verify.js';
import { configuredIdentities } from '../../app/identity.js';
import { setAuthenticator } from '../../app/signing.js';
import { drillStatus } from '../../restore/drill.js';
import type { PackGcRecord, RunRecord } from '../../catalog/catalog.js';
import { currentPackGc, type CurrentPackGc } from '../../retention/gc-record.js';
import type { PackGc } from '../../../shared/rpc/contracts/pack-gc.js';
import { GC_DELAY_MS } from '../../retention/pack-gc.js';
import type { Config } from '../../config/schema.js';
import type { EngineServices } from '../services.js';
import type { Run, RunDetail } from '../../../shared/rpc/contracts/runs.js';
import type { BackupSet } from '../../../shared/rpc/contracts/sets.js';
import type { PlanStatus, DrillBrief } from '../../../shared/rpc/contracts/status.js';
import type { Runtime } from './runtime.js';

type RunServices = Pick<EngineServices, 'status' | 'runs' | 'backup' | 'sets'>;

const DAY_MS = 24 * 3600_000;

export function toDrillBrief(
  d: { restoreId: string; runId?: number; at: string; ok: boolean; target: string; setId?: string | null; rtoMs?: number; reportPath?: string },
  run?: RunRecord,
): DrillBrief {
  return {
    restoreId: d.restoreId, at: d.at, ok: d.ok, target: d.target,
    ...(d.rtoMs !== undefined ? { rtoMs: d.rtoMs } : {}), ...(d.reportPath ? { reportPath: d.reportPath } : {}),
    ...(d.runId !== undefined ? { runId: String(d.runId) } : {}), ...(d.setId ? { setId: d.setId } : {}),
    ...(run?.error ? { error: errorOf(run.error) } : {}),
  };
}

function errorOf(e: NonNullable<RunRecord['error']>): NonNullable<Run['error']> {
  return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}), ...(e.key ? { key: e.key } : {}), ...(e.params ? { params: e.params } : {}) };
}

function reportPathOf(r: RunRecord): string | undefined {
  const d = r.details as { reportPath?: unknown } | null | undefined;
  return typeof d?.reportPath === 'string' && d.reportPath ? d.reportPath : undefined;
}

function runSources(rt: Runtime, r: RunRecord, config: Config): Run['sources'] {
  const recorded = rt.ctx.catalog.runSources(r.id);
  const names = r.plan ? (config.plans[r.plan]?.sources ?? []) : [];
  const all = [...new Set([...names, ...recorded.map((s) => s.source)])];
  return all.map((name) => {
    const s = recorded.find((x) => x.source === name);
    let status: Run['sources'][number]['status'];
    if (!s) status = r.status === 'running' ? 'pending' : 'skipped';
    else if (s.status === 'running') status = r.status === 'running' ? 'running' : 'failed';
    else status = s.status === 'succeeded' ? 'succeeded' : s.status === 'failed' ? 'failed' : 'skipped';
    return { name, bytes: s?.bytes ?? 0, status };
  });
}

export function toRun(rt: Runtime, r: RunRecord, config: Config): Run {
  const report = reportPathOf(r);
  return {
    id: String(r.id),
    kind: r.kind === 'drill' ? 'drill' : 'backup',
    plan: r.plan ?? '',
    ...(r.target ? { target: r.target } : {}),
    ...(report ? { reportPath: report } : {}),
    ...(r.setId && r.status === 'succeeded' ? { setId: r.setId } : {}),
    status: r.status,
    startedAt: r.startedAt,
    ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
    bytes: r.bytes,
    ...(r.durationMs !== null ? { durationMs: Math.max(0, r.durationMs) } : {}),
    ...(r.error ? { error: errorOf(r.error) } : {}),
    sources: r.kind === 'drill' ? [] : runSources(rt, r, config),
  };
}

/** A catalog pack collection record as the console reads it. */
export function toPackGc(g: PackGcRecord | CurrentPackGc): PackGc {
  const b = g.blocked;
  const forgotten = 'blockerForgotten' in g ? g.blockerForgotten : undefined;
  return {
    storage: g.storage, at: g.at, ...(g.runId !== null ? { runId: String(g.runId) } : {}),
    packs: g.packs, referenced: g.referenced, deleted: g.deleted, bytesFreed: g.bytesFreed, pending: g.pending, pendingBytes: g.pendingBytes,
    ...(g.nextDeletableAt ? { nextDeletableAt: g.nextDeletableAt } : {}), waitHours: GC_DELAY_MS / 3_600_000, failed: g.failed,
    ...(b ? { blocked: { reason: b.reason, ...(b.setId ? { setId: b.setId } : {}), ...(b.key ? { key: b.key } : {}), ...(b.params ? { params: b.params } : {}) } } : {}),
    ...(forgotten ? { blockerForgotten: forgotten } : {}),
  };
}

/** The dashboard warns of a blocked collection that needs someone (a doubtful set, a storage that failed), not of a backup that was running. */
function packsBlockedOn(collections: PackGcRecord[], storage: string): { packsBlocked?: PackGc } {
  const g = collections.find((c) => c.storage === storage);
  return g?.blocked && g.blocked.key !== 'gc.blockedByLease' ? { packsBlocked: toPackGc(g) } : {};
}

/** Lists the sets of every storage the plans use, each on its own (and refreshes the catalog cache the dashboard reads). */
async function storageSets(rt: Runtime): Promise<StorageListing> {
  rt.config(); // re-read if edited on disk
  return listStorages(rt.ctx);
}

function toBackupSet(s: StorageSet, planOfSet: Map<string, string>, config: Config): BackupSet {
  const plan = s.plan ?? planOfSet.get(s.setId) ?? soleplanFor(config, s.storage) ?? '';
  const common = {
    setId: s.setId, plan, storage: s.storage, createdAt: s.createdAt, state: s.state, complete: s.state === 'complete',
    ...(s.finishedAt ? { finishedAt: s.finishedAt } : {}), ...(s.problem ? { problem: s.problem } : {}),
  };
  if (s.manifest) {
    return {
      ...common,
      sources: s.manifest.sources.map((src) => ({
        name: src.name, type: src.type, bytes: src.objects.reduce((a, o) => a + o.bytes, 0),
        objects: src.objects.map((o) => ({ key: o.key, bytes: o.bytes, sha256: o.sha256 })),
      })),
    };
  }
  return {
    ...common,
    sources: s.sources.map((src) => ({ name: src.name, type: src.type ?? config.sources[src.name]?.type ?? 'files', bytes: src.bytes, objects: [] })),
  };
}

function soleplanFor(config: Config, storage: string): string | undefined {
  const plans = Object.entries(config.plans).filter(([, p]) => p.storage === storage).map(([n]) => n);
  return plans.length === 1 ? plans[0] : undefined;
}

export function runServices(rt: Runtime): RunServices & { refreshAllSets(): Promise<void> } {
  const { ctx } = rt;

  return {
    status: {
      async get() {
        rt.config(); // re-read if edited on disk
        const report = computeStatus(ctx);
        const cached = ctx.catalog.cachedSets();
        const collections = currentPackGc(ctx.catalog);
        const plans: PlanStatus[] = report.plans.map((p) => ({
          plan: p.plan,
          rpoState: p.rpoState,
          rpoHours: p.rpoHours,
          ...(p.lastGoodSet ? { lastGoodSet: p.lastGoodSet } : {}),
          ...(p.ageMs !== null ? { ageMs: Math.max(0, p.ageMs) } : {}),
          ...(p.nextRunAt ? { nextRunAt: p.nextRunAt } : {}),
          storageName: p.storage,
          storageBytes: cached.filter((s) => s.storage === p.storage && s.plan === p.plan).reduce((a, s) => a + s.bytes, 0),
          geo: { separated: p.geo.separated, message: p.geo.message },
          ...(p.localServer ? { localServer: p.localServer } : {}),
          ...packsBlockedOn(collections, p.storage),
          ...(p.lastRun
            ? {
                lastRun: {
                  id: String(p.lastRun.id), status: p.lastRun.status as Run['status'], startedAt: p.lastRun.startedAt,
                  ...(p.lastRun.finishedAt ? { finishedAt: p.lastRun.finishedAt } : {}),
                  ...(p.lastRun.error ? { error: p.lastRun.error } : {}),
                },
              }
            : {}),
        }));
        // a plan running right now shows as such on its card
        for (const p of plans) {
          const running = ctx.catalog.listRuns({ kind: 'backup', plan: p.plan, status: 'running', limit: 1 })[0];
          if (running && Date.now() - Date.parse(running.startedAt) < DAY_MS) {
            p.lastRun = { id: String(running.id), status: 'running', startedAt: running.startedAt };
          }
        }
        const drill = drillStatus(ctx).last;
        return { plans, ...(drill ? { lastDrill: toDrillBrief(drill, ctx.catalog.getRun(drill.runId)) } : {}), generatedAt: report.generatedAt };
      },
    },
    runs: {
      async list({ plan, limit }) {
        const config = rt.config();
        // drills are runs too (Execuções lists them); a plan filter asks for that plan's backups only
        return ctx.catalog
          .listRuns({ kind: plan === undefined ? ['backup', 'drill'] : 'backup', plan, limit })
          .filter((r) => !(r.kind === 'drill' && r.status === 'running'))
          .map((r) => toRun(rt, r, config));
      },
      async get(id): Promise<RunDetail | undefined> {
        const n = Number(id);
        if (!Number.isInteger(n)) return undefined;
        const r = ctx.catalog.getRun(n);
        if (!r || (r.kind !== 'backup' && r.kind !== 'drill')) return undefined;
        const log = ctx.catalog.runLog(n).map((l) => ({ ...l, level: (l.level === 'warn' || l.level === 'error' ? l.level : 'info') as 'info' | 'warn' | 'error' }));
        const packs = r.kind === 'backup' ? ctx.catalog.packGcOfRun(n) : undefined;
        return { ...toRun(rt, r, rt.config()), log, ...(packs ? { packs: toPackGc(packs) } : {}) };
      },
    },
    backup: {
      async start(planName, call) {
        const { plan, runId } = rt.runs.start(planName, { trigger: 'console', refuseElsewhere: true });
        rt.audit(call, 'backup.start', plan, { runId });
        return { runId: String(runId) };
      },
    },
    sets: {
      async list({ plan }) {
        const listing = await storageSets(rt);
        const config = rt.config();
        const planOfSet = new Map<string, string>();
        for (const r of ctx.catalog.listRuns({ kind: 'backup', limit: 2000 })) if (r.setId && r.plan) planOfSet.set(r.setId, r.plan);
        const sets = listing.sets
          .map((s) => toBackupSet(s, planOfSet, config))
          .filter((s) => plan === undefined || s.plan === plan)
          .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.setId.localeCompare(a.setId)); // newest first
        const storagesOfPlan = plan === undefined ? undefined : new Set([config.plans[plan]?.storage]);
        const unreachable = listing.unreachable
          .filter((u) => storagesOfPlan === undefined || storagesOfPlan.has(u.storage))
          .map((u) => ({ storage: u.storage, message: u.error.message }));
        const collections = currentPackGc(ctx.catalog)
          .filter((g) => (storagesOfPlan === undefined ? Object.values(config.plans).some((p) => p.storage === g.storage) : storagesOfPlan.has(g.storage)))
          .map(toPackGc);
        return { sets, unreachable, collections };
      },
      async verify(setId, { deep }, call) {
        const listing = await storageSets(rt);
        const config = rt.config();
        const hits = listing.sets.filter((s) => s.setId === setId);
        const hit = hits.find((s) => s.state === 'complete') ?? hits[0];
        if (!hit) {
          const down = listing.unreachable.map((u) => `storage ${u.storage} did not answer (${u.error.message})`).join('; ');
          throw new CofreError('SET_NOT_FOUND', `no set ${setId} on the storages that answered${down ? `; ${down}` : ''}`, { hint: 'refresh Cópias and choose a listed set', ...said('set.notFound', { setId }) });
        }
        if (hit.state !== 'complete' && hit.state !== 'unsigned') {
          rt.audit(call, deep ? 'sets.verifyDeep' : 'sets.verify', setId, { ok: false, problem: hit.problem, storage: hit.storage });
          return { ok: false, status: 'failed', checks: [{ name: 'manifest', ok: false, status: 'failed', message: `${hit.state} on storage ${hit.storage}: ${hit.problem ?? 'the backup did not finish'}; this set cannot be restored`, ...said('check.manifest') }] };
        }
        const storage = ctx.storage(hit.storage);
        try {
          const identities = deep ? await configuredIdentities(config, ctx.env) : undefined;
          const r = await verifySet(storage, setId, { deep, authenticate: setAuthenticator(config, rt.ctx.now), ...(identities ? { identities } : {}), dedupHome: rt.ctx.home, now: rt.ctx.now });
          rt.audit(call, deep ? 'sets.verifyDeep' : 'sets.verify', setId, { ok: r.ok, status: r.status });
          for (const f of hashFailures(r)) recordHashFailure(ctx.catalog, call.actor, { setId, storage: hit.storage, object: f.name, message: f.message, during: 'deep verify' });
          return { ok: r.ok, status: r.status, checks: r.checks };
        } finally {
          storage.close();
        }
      },
    },
    async refreshAllSets() {
      await storageSets(rt);
    },
  };
}

/**
 * The console's view of every run: progress of the runs of this process (console and scheduler
 * alike) and the end of every run, here or in another process (announced by the poll).
 */
export function announceRuns(rt: Runtime): () => void {
  return rt.runs.subscribe((e: PlanRunEvent) => {
    if (e.type === 'started') {
      rt.emit({ event: 'run.progress', payload: { runId: String(e.runId), phase: 'start', bytes: 0, bytesPerSecond: 0 } });
    } else if (e.type === 'progress') {
      const p = e.progress;
      rt.emit({
        event: 'run.progress',
        payload: {
          runId: String(e.runId), phase: p.phase, bytes: p.bytes, bytesPerSecond: Math.max(0, p.bytesPerSecond),
          ...(p.source ? { source: p.source } : {}), ...(p.totalBytes !== undefined ? { totalBytes: p.totalBytes } : {}),
          ...(p.etaSeconds !== undefined ? { etaSeconds: Math.max(0, p.etaSeconds) } : {}),
          ...(p.limitBytesPerSecond !== undefined ? { limitBytesPerSecond: p.limitBytesPerSecond } : {}),
        },
      });
    } else {
      const status = e.result?.status ?? (e.run && e.run.status !== 'running' ? e.run.status : 'failed');
      const error = e.result?.error ?? e.error ?? e.run?.error ?? undefined;
      const setId = e.result?.setId ?? e.run?.setId ?? undefined;
      if (e.error) rt.log(`backup ${e.plan}: ${e.error.message}`);
      rt.emit({
        event: 'run.finished',
        payload: { runId: String(e.runId), plan: e.plan, status, ...(setId && status === 'succeeded' ? { setId } : {}), ...(error ? { error } : {}) },
      });
      if (e.result) void rt.opts.host?.check();
    }
  });
}
