/**
 * Runs each plan on its cron schedule, in the plan's time zone. State lives in the catalog, so
 * a run missed while the host was off runs once at the next start (catch-up), a failed run is
 * retried with backoff a bounded number of times, and no plan ever runs twice at once.
 * `tick()` does one pass; hosts call it on a timer, tests call it with a fake clock.
 */
import type { AppContext } from '../app/context.js';
import { previousDue, backoffDelays } from '../scheduler/schedule.js';
import type { BackupResult } from '../backup/run.js';
import type { PlanRuns } from '../runs/plan-runs.js';
import { toErrorInfo } from '../errors.js';

export type Trigger = 'schedule' | 'catch-up' | 'retry';

export interface SchedulerDeps {
  ctx: AppContext;
  /** where runs happen (backup then retention), shared with the console's "run now" */
  runs: PlanRuns;
  /** a run's log lines */
  onLog?(plan: string, line: string): void;
  /** after every run: alerts, console events */
  afterRun?(plan: string, result: BackupResult): Promise<void> | void;
  log?(line: string): void;
  /** first retry delay; then ×3 each time (default 5 min → 5, 15, 45 min) */
  retryBaseMs?: number;
  /**
   * A plan the scheduler has never seen normally waits for its next scheduled time. With
   * `runNewPlansNow` its most recent scheduled time counts as missed, so it runs on the first
   * tick (`cofre daemon --run-missed`; tests and a first install that wants a backup today).
   */
  runNewPlansNow?: boolean;
}

interface RetryState {
  attempt: number;
  at: string;
}

export class Scheduler {
  /** the scheduler's own runs in progress, and how to abort each */
  private readonly running = new Map<string, AbortController>();
  private readonly inflight = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private ticking: Promise<void> | undefined;

  constructor(private readonly deps: SchedulerDeps) {}

  private get ctx(): AppContext {
    return this.deps.ctx;
  }

  private log(line: string): void {
    this.deps.log?.(line);
  }

  isRunning(plan: string): boolean {
    return this.deps.runs.isRunning(plan);
  }

  /** One pass over every plan: runs what is due (scheduled, missed, or a retry). */
  async tick(): Promise<void> {
    const now = this.ctx.now();
    const config = this.ctx.config;
    for (const [plan, cfg] of Object.entries(config.plans)) {
      if (this.stopping) return;
      if (this.isRunning(plan)) continue;
      const lastKey = `sched:${plan}:lastDue`;
      const last = this.ctx.catalog.getState(lastKey);
      if (last === undefined && !this.deps.runNewPlansNow) {
        // first sight of this plan: start counting from now (its first run is the next scheduled one)
        this.ctx.catalog.setState(lastKey, now.toISOString());
        this.ctx.catalog.setState(`sched:${plan}:firstSeen`, now.toISOString());
        continue;
      }
      const retry = this.retryState(plan);
      let due: Date | undefined;
      try {
        due = previousDue(cfg.schedule, cfg.timezone, new Date(last ?? 0), now);
      } catch (err) {
        this.log(`plan ${plan}: schedule cannot be evaluated: ${toErrorInfo(err).message}`);
        continue;
      }
      if (due) {
        this.ctx.catalog.setState(lastKey, due.toISOString());
        const late = now.getTime() - due.getTime() > 5 * 60_000;
        await this.run(plan, late ? 'catch-up' : 'schedule', 0);
      } else if (retry && now.getTime() >= Date.parse(retry.at)) {
        await this.run(plan, 'retry', retry.attempt);
      }
    }
  }

  private retryState(plan: string): RetryState | undefined {
    const raw = this.ctx.catalog.getState(`sched:${plan}:retry`);
    return raw ? (JSON.parse(raw) as RetryState) : undefined;
  }

  /** Runs a plan now; resolves when backup, retention and alerts are done (undefined when it was running already). */
  run(plan: string, trigger: Trigger, attempt = 0): Promise<BackupResult | undefined> {
    if (this.isRunning(plan) || this.stopping) return Promise.resolve(undefined);
    const task = this.runOnce(plan, trigger, attempt);
    this.inflight.add(task);
    void task.finally(() => this.inflight.delete(task)).catch(() => undefined);
    return task;
  }

  private async runOnce(plan: string, trigger: Trigger, attempt: number): Promise<BackupResult | undefined> {
    const abort = new AbortController();
    this.running.set(plan, abort);
    try {
      this.log(`plan ${plan}: ${trigger} run${attempt ? ` (retry ${attempt})` : ''}`);
      const { result } = await this.deps.runs.run(plan, { trigger, signal: abort.signal, onLog: (l) => this.deps.onLog?.(plan, l) });
      if (abort.signal.aborted) {
        // stopped by the host: not a failure to retry; the next start catches up if needed
        this.log(`plan ${plan}: run cancelled because the scheduler is stopping`);
        return result;
      }
      if (result.status === 'succeeded') {
        this.ctx.catalog.deleteState(`sched:${plan}:retry`);
      } else {
        this.scheduleRetry(plan, attempt);
      }
      await this.deps.afterRun?.(plan, result);
      return result;
    } catch (err) {
      // a backup that throws (e.g. the config became invalid) is a failed run too
      this.log(`plan ${plan}: run failed: ${toErrorInfo(err).message}`);
      if (!abort.signal.aborted) this.scheduleRetry(plan, attempt);
      return undefined;
    } finally {
      this.running.delete(plan);
    }
  }

  /** After a failed attempt: the next retry (5, 15, 45 min …, `retries` of them), or none until the next scheduled run. */
  private scheduleRetry(plan: string, attempt: number): void {
    const retryKey = `sched:${plan}:retry`;
    const cfg = this.ctx.config.plans[plan];
    const delays = backoffDelays(cfg?.retries ?? 3, this.deps.retryBaseMs ?? 5 * 60_000);
    const delay = delays[attempt];
    if (delay !== undefined) {
      const at = new Date(this.ctx.now().getTime() + delay).toISOString();
      this.ctx.catalog.setState(retryKey, JSON.stringify({ attempt: attempt + 1, at } satisfies RetryState));
      this.log(`plan ${plan}: failed; retry ${attempt + 1} of ${delays.length} at ${at}`);
    } else {
      this.ctx.catalog.deleteState(retryKey);
      this.log(`plan ${plan}: failed; no retries left until the next scheduled run`);
    }
  }

  start(intervalMs = 15_000): void {
    this.stopping = false;
    const loop = (): void => {
      this.ticking = this.tick()
        .catch((err: unknown) => this.log(`scheduler: ${toErrorInfo(err).message}`))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(loop, intervalMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Stops the timer, aborts runs in progress (recorded as cancelled) and waits for them to end. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const abort of this.running.values()) abort.abort();
    await this.ticking;
    await Promise.allSettled([...this.inflight]);
  }
}
