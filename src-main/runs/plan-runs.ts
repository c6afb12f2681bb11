/**
 * The one place a plan's backup runs, whoever starts it (the CLI, the scheduler, the console's
 * "Executar agora"): backup, then retention; never two runs of one plan at once in this process;
 * a plan another process is running (seen in the catalog) refused where the caller asks. Every
 * run it starts is reported to its subscribers (progress, finish), and `pollElsewhere()` reports
 * the runs of other processes (a daemon, a CLI) when they end. Hosts only choose how to show it.
 * A prune problem is reported but never turns a good backup into a failure.
 */
import type { AppContext } from '../app/context.js';
import { CofreError, toErrorInfo, type ErrorInfo } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import { runBackup, type BackupOptions, type BackupResult } from '../backup/run.js';
import { prunePlan } from '../retention/prune.js';
import type { RunRecord } from '../catalog/catalog.js';
import type { Progress } from '../../shared/domain.js';
import { planOf } from '../config/plans.js';

export type RunTrigger = NonNullable<BackupOptions['trigger']>;

export interface PruneOutcome {
  deleted: string[];
  safetyStop?: string;
  error?: string;
  /** pack garbage collection: packs deleted, bytes freed, packs pending, or what blocked it */
  packs?: { deleted: number; bytesFreed: number; pending: number; blocked?: string };
}

export interface PlanRunOutcome {
  result: BackupResult;
  /** absent when the backup failed or was cancelled (nothing is pruned then) */
  prune?: PruneOutcome;
}

export type PlanRunEvent =
  | { type: 'started'; plan: string; runId: number; trigger: RunTrigger }
  | { type: 'progress'; plan: string; runId: number; progress: Progress }
  | { type: 'finished'; plan: string; runId: number; run: RunRecord | undefined; result?: BackupResult; error?: ErrorInfo };

export interface StartOptions {
  trigger: RunTrigger;
  /** aborts the run (the host is stopping) */
  signal?: AbortSignal;
  /** also refuse when another process's run of this plan is in progress (the console does; the CLI relies on the server lock) */
  refuseElsewhere?: boolean;
  onProgress?: BackupOptions['onProgress'];
  onLog?: BackupOptions['onLog'];
}

/** What a run does; tests give fakes, hosts the real engine. `backup` calls `onStart` before its first await (runBackup does), so `start` can return the run id. */
export interface PlanRunSteps {
  backup(ctx: AppContext, plan: string, opts: BackupOptions): Promise<BackupResult>;
  /** `runId`: the backup run it follows (its pack collection is recorded under it) */
  prune(ctx: AppContext, plan: string, runId: number): Promise<PruneOutcome>;
}

const REAL_STEPS: PlanRunSteps = {
  backup: (ctx, plan, opts) => runBackup(ctx, plan, opts),
  prune: pruneOutcome,
};

/** A run recorded as running longer ago than this is not taken as in progress (its process died). */
const STALE_RUNNING_MS = 24 * 3600_000;

export class PlanRuns {
  /** plans running in this process, and how to abort each */
  private readonly running = new Map<string, AbortController>();
  private readonly inflight = new Set<Promise<unknown>>();
  /** catalog ids of the runs this process started */
  private readonly own = new Set<number>();
  /** runs of other processes seen running, reported when they end */
  private readonly watched = new Set<number>();
  private readonly listeners = new Set<(e: PlanRunEvent) => void>();

  constructor(
    private readonly ctx: AppContext,
    private readonly steps: PlanRunSteps = REAL_STEPS,
  ) {}

  subscribe(listener: (e: PlanRunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  isRunning(plan: string): boolean {
    return this.running.has(plan);
  }

  /** The run of `plan` another process (a daemon, a CLI, another console) has in progress, if any. */
  runningElsewhere(plan: string): RunRecord | undefined {
    const r = this.ctx.catalog.listRuns({ kind: 'backup', plan, status: 'running', limit: 1 })[0];
    if (!r || this.own.has(r.id)) return undefined;
    return this.ctx.now().getTime() - Date.parse(r.startedAt) < STALE_RUNNING_MS ? r : undefined;
  }

  /**
   * Starts backup-then-prune of `plan` (its name resolved as `--plan` is) and returns its catalog
   * run id at once with the promise of its outcome. Throws REMOTE_BUSY when the plan is running.
   */
  start(planName: string | undefined, opts: StartOptions): { plan: string; runId: number; done: Promise<PlanRunOutcome> } {
    const [plan] = planOf(this.ctx.config, planName);
    if (this.running.has(plan) || (opts.refuseElsewhere && this.runningElsewhere(plan))) {
      throw new CofreError('REMOTE_BUSY', `plan ${plan} is already running`, { hint: 'wait for the current run to finish (see Execuções)', ...said('backup.busy', { plan }) });
    }
    const abort = new AbortController();
    const onAbort = (): void => abort.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) abort.abort();
    this.running.set(plan, abort);
    let runId = 0;
    const done = this.steps
      .backup(this.ctx, plan, {
        trigger: opts.trigger,
        signal: abort.signal,
        onStart: (id) => {
          runId = id;
          this.own.add(id);
          this.emit({ type: 'started', plan, runId: id, trigger: opts.trigger });
        },
        onProgress: (p) => {
          opts.onProgress?.(p);
          if (runId) this.emit({ type: 'progress', plan, runId, progress: p });
        },
        ...(opts.onLog ? { onLog: opts.onLog } : {}),
      })
      .then(async (result): Promise<PlanRunOutcome> => {
        if (result.status !== 'succeeded' || abort.signal.aborted) return { result };
        const prune = await this.steps.prune(this.ctx, plan, result.runId).catch((err: unknown): PruneOutcome => ({ deleted: [], error: toErrorInfo(err).message }));
        if (prune.error) opts.onLog?.(`WARNING retention not applied: ${prune.error}`);
        return { result, prune };
      })
      .finally(() => {
        this.running.delete(plan);
        opts.signal?.removeEventListener('abort', onAbort);
      });
    const reported = done.then(
      ({ result }) => this.emit({ type: 'finished', plan, runId: result.runId, run: this.ctx.catalog.getRun(result.runId), result }),
      (err: unknown) => this.emit({ type: 'finished', plan, runId, run: runId ? this.ctx.catalog.getRun(runId) : undefined, error: toErrorInfo(err) }),
    );
    this.inflight.add(reported);
    void reported.finally(() => this.inflight.delete(reported));
    return { plan, runId, done };
  }

  /** `start` for callers that only want the outcome. */
  run(planName: string | undefined, opts: StartOptions): Promise<PlanRunOutcome> {
    try {
      return this.start(planName, opts).done;
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Reports, as `finished`, the runs of other processes that ended since the last call. */
  pollElsewhere(): void {
    for (const r of this.ctx.catalog.listRuns({ kind: 'backup', status: 'running', limit: 20 })) {
      if (!this.own.has(r.id)) this.watched.add(r.id);
    }
    for (const id of [...this.watched]) {
      const r = this.ctx.catalog.getRun(id);
      if (!r || r.status !== 'running') {
        this.watched.delete(id);
        if (r) this.emit({ type: 'finished', plan: r.plan ?? '', runId: id, run: r });
      }
    }
  }

  /** Aborts every run in progress (recorded as cancelled) and waits for them to end. */
  async stop(): Promise<void> {
    for (const abort of this.running.values()) abort.abort();
    await Promise.allSettled([...this.inflight]);
  }

  private emit(e: PlanRunEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // one broken listener must not stop the others
      }
    }
  }
}

/** Retention after a good backup, as one outcome: what was deleted, a safety stop, or why nothing was. */
async function pruneOutcome(ctx: AppContext, plan: string, runId: number): Promise<PruneOutcome> {
  const p = await prunePlan(ctx, plan, { dryRun: false, runId });
  const failed = new Set(p.failed.map((f) => f.setId));
  const outcome: PruneOutcome = { deleted: p.delete.map((d) => d.setId).filter((id) => !failed.has(id)), ...(p.safetyStop ? { safetyStop: p.safetyStop } : {}) };
  if (p.failed.length) outcome.error = `could not delete ${p.failed.map((f) => f.setId).join(', ')}`;
  if (p.gc) {
    outcome.packs = { deleted: p.gc.deleted.length, bytesFreed: p.gc.bytesFreed, pending: p.gc.pending.length, ...(p.gc.blocked ? { blocked: p.gc.blocked.reason } : {}) };
  }
  return outcome;
}
