/**
 * *Restaurar* and *Testes trimestrais*: preflight (the same checks the restore runs, without
 * touching the target), restores and drills in the background with `restore.progress` and
 * `restore.finished` events. The restore itself is src-main/restore (runRestore / runDrill).
 */
import { CofreError, toErrorInfo } from '../../errors.js';
import { said } from '../../../shared/i18n/catalog.js';
import { serverSpec } from '../../app/servers.js';
import { configuredIdentities } from '../../app/identity.js';
import { selectSet } from '../../restore/select.js';
import { planItems, targetOf } from '../../restore/target.js';
import { requireConfirmation, runRestore } from '../../restore/restore.js';
import { runDrill, drillTarget, drillStatus, briefOf } from '../../restore/drill.js';
import { checkReachable, runPreflightChecks } from '../../restore/preflight.js';
import { Spool } from '../../files2/spool.js';
import { asideStamp, namesPolicy } from '../../restore/original-names.js';
import { keptByRestore } from '../../restore/kept-copies.js';
import type { CheckResult, Projection, RestoreResult, RestoreProgress } from '../../restore/types.js';
import type { RunKind } from '../../catalog/catalog.js';
import type { EngineServices } from '../services.js';
import type { Preflight } from '../../../shared/rpc/contracts/restore.js';
import type { Runtime } from './runtime.js';
import { toDrillBrief } from './run-services.js';

type RestoreServices = Pick<EngineServices, 'restore' | 'drills'>;

export function restoreServices(rt: Runtime): RestoreServices {
  const { ctx } = rt;

  /** Runs a restore/drill in the background; resolves with its id once the catalog has its run. */
  const launch = async (
    kind: RunKind,
    start: (hooks: { onProgress: (p: RestoreProgress) => void; onLog: (l: string) => void; onStart: (runId: number) => void }) => Promise<RestoreResult>,
  ): Promise<string> => {
    let restoreId = '';
    let phase = 'select';
    let last: RestoreProgress | undefined;
    const progress = (p?: RestoreProgress): void => {
      if (!restoreId) return;
      rt.emit({
        event: 'restore.progress',
        payload: {
          restoreId, phase: p?.phase ?? phase, bytes: p?.bytes ?? last?.bytes ?? 0, totalBytes: p?.totalBytes ?? last?.totalBytes ?? 0,
          bytesPerSecond: Math.max(0, p?.bytesPerSecond ?? 0), etaSeconds: Math.max(0, p?.etaSeconds ?? 0),
          elapsedMs: Math.max(0, p?.elapsedMs ?? last?.elapsedMs ?? 0), ...(p?.source ? { source: p.source } : {}),
        },
      });
    };
    let idKnown!: (id: string) => void;
    const started = new Promise<string>((resolve) => (idKnown = resolve));
    const done = start({
      onStart: (runId) => {
        restoreId = `${kind}-${runId}`;
        idKnown(restoreId);
      },
      onProgress: (p) => {
        last = p;
        progress({ ...p, phase: phase === 'transfer' ? 'transfer' : p.phase });
      },
      onLog: (line) => {
        const m = /^phase (\w+) started/.exec(line);
        if (m?.[1]) {
          phase = m[1];
          progress();
        }
      },
    });
    void done
      .then((r) => {
        const kept = keptByRestore(r.target, r).map((k) => ({ target: r.target, ...k }));
        rt.emit({
          event: 'restore.finished',
          payload: {
            restoreId: r.restoreId, status: r.status, validation: r.validation, rtoMs: r.rtoMs, rpoMs: r.rpoMs ?? 0,
            ...(r.reportPath ? { reportPath: r.reportPath } : {}),
            ...(r.error ? { error: { ...r.error, ...(r.targetState ? { hint: `${r.error.hint ? `${r.error.hint}. ` : ''}${r.targetState}` } : {}) } } : {}),
            ...(kept.length ? { kept } : {}),
          },
        });
        return rt.opts.host?.check();
      })
      .catch((err: unknown) => {
        // refused before it was recorded: the caller gets the error from the race below
        if (restoreId) rt.emit({ event: 'restore.finished', payload: { restoreId, status: 'failed', validation: [], rtoMs: 0, rpoMs: 0, error: toErrorInfo(err) } });
      });
    // the id once the run is recorded; a restore refused before that rejects here
    return Promise.race([started, done.then((r) => r.restoreId)]);
  };

  return {
    restore: {
      async preflight(input): Promise<Preflight> {
        const config = rt.config();
        const target = targetOf(config, input.target, ctx.env);
        const set = await selectSet(ctx, { setId: input.setId, at: input.at, acceptUnsigned: input.setId !== undefined && input.acceptUnsigned === true });
        const items = planItems(set.manifest, target, { sources: input.sources, paths: input.paths });
        const checks: CheckResult[] = [];
        const reach = await checkReachable(serverSpec(config, target.config.server, ctx.env));
        checks.push(reach.check);
        const storage = ctx.storage(set.storage);
        // the selection kept while the index is read tells which packs go whole (zstd on the target), as the restore will
        const spool = items.some((i) => !i.skip && i.object.format === 'files-v2') ? await Spool.open('restore') : undefined;
        let projection: Projection;
        try {
          const checked = await runPreflightChecks({
            host: reach.host, storage, target, items, verifyHashes: false, jobs: 1, catalog: ctx.catalog, elapsedMs: 0, spool,
            existing: target.config.kind === 'staging' ? 'rename' : 'refuse',
            original: { config, env: ctx.env, stamp: asideStamp(ctx.now()) },
            identities: () => configuredIdentities(config, ctx.env),
          });
          checks.push(...checked.checks);
          projection = checked.projection;
        } finally {
          reach.host?.close();
          storage.close();
          await spool?.dispose().catch(() => undefined);
        }
        const { totalBytes, projectedMs, budgetMs, verifyMs } = projection;
        return { setId: set.setId, checks, projection: { totalBytes, projectedMs, budgetMs, ...(verifyMs ? { verifyMs } : {}) } };
      },
      async resolveAt(at) {
        const picked = await selectSet(ctx, { at });
        return {
          at, setId: picked.setId, createdAt: picked.manifest.createdAt,
          ...(picked.manifest.finishedAt ? { finishedAt: picked.manifest.finishedAt } : {}),
        };
      },
      async start(input, call) {
        const config = rt.config();
        const target = targetOf(config, input.target, ctx.env);
        const confirm = { yes: true, confirmName: input.confirmName };
        requireConfirmation(target, target.config.kind === 'production' ? confirm : {});
        rt.audit(call, 'restore.request', target.name, { setId: input.setId, sources: input.sources ?? null, ...(input.paths?.length ? { paths: input.paths } : {}) });
        const restoreId = await launch('restore', (hooks) =>
          runRestore(ctx, {
            setId: input.setId, target: target.name, ...(input.acceptUnsigned ? { acceptUnsigned: true } : {}), ...(input.sources ? { sources: input.sources } : {}),
            ...(input.paths?.length ? { paths: input.paths } : {}),
            ...(target.config.kind === 'production' ? confirm : { existing: 'rename' as const }),
            trigger: 'console', ...hooks,
          }),
        );
        return { restoreId };
      },
    },
    drills: {
      async list() {
        const status = drillStatus(ctx);
        const runs = ctx.catalog.listRuns({ kind: 'drill', limit: 50 }).filter((r) => r.status !== 'running');
        const drills = runs.map((r) => toDrillBrief(briefOf(r), r));
        const last = status.last;
        return {
          drills,
          ...(last ? { lastResult: toDrillBrief(last, runs.find((r) => r.id === last.runId)) } : {}),
          nextDue: status.nextDue ?? ctx.now().toISOString(),
          ...(status.target ? { target: status.target } : {}),
          ...(status.target && rt.config().restoreTargets[status.target] ? { targetNames: namesPolicy(rt.config().restoreTargets[status.target]!) } : {}),
        };
      },
      async start(target, call) {
        const config = rt.config();
        const name = drillTarget(config, target);
        if (config.restoreTargets[name]?.kind !== 'staging') {
          throw new CofreError('PRECONDITION', `the drill restores into a staging target; "${name}" is not one`, { ...said('drill.notStaging', { target: name }), hint: 'point drill.target at a staging (homologação) target' });
        }
        rt.audit(call, 'drill.request', name);
        const restoreId = await launch('drill', (hooks) => runDrill(ctx, { target: name, trigger: 'console', ...hooks }));
        return { restoreId };
      },
    },
  };
}
