/**
 * Runs each plan on its cron schedule, in the plan's time zone. State lives in the catalog, so
 * a run missed while the host was off runs once at the next start (catch-up), a failed run is
 * retried with backoff a bounded number of times, and no plan ever runs twice at once.
 * `tick()` does one pass; hosts call it on a timer, tests call it with a fake clock.
 */
import type { AppContext } from '../app/context.js';
import { previousDue, backoffDelays } from '../scheduler/schedule.js';
import type { BackupResult } from '../backup/run.js';
import { toErrorInfo } from '../errors.js';

export type Trigger = 'schedule' | 'catch-up' | 'retry';

export interface SchedulerDeps {
  ctx: AppContext;
  backup(plan: string, trigger: Trigger): Promise<BackupResult>;
  /** after a successful backup: retention */
  prune(plan: string): Promise<unknown>;
  /** after every run: alerts, console events */
  afterRun?(plan: string, result: BackupResult): Promise<void> | void;
  log?(line: string): void;
  /** first retry delay; doubles ×3 each time (default 5 min) */
  retryBaseMs?: number;
}

interface RetryState {
  attempt: number;
  at: string;
}

export class Scheduler {
  private readonly running = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly deps: SchedulerDeps) {}

  private get ctx(): AppContext {
    return this.deps.ctx;
  }

  private log(line: string): void {
    this.deps.log?.(line);
  }

  isRunning(plan: string): boolean {
    return this.running.has(plan);
  }

  /** One pass over every plan: runs what is due (scheduled, missed, or a retry). */
  async tick(): Promise<void> {
    const now = this.ctx.now();
    const config = this.ctx.config;
    for (const [plan, cfg] of Object.entries(config.plans)) {
      if (this.running.has(plan)) continue;
      const lastKey = `sched:${plan}:lastDue`;
      const last = this.ctx.catalog.getState(lastKey);
      if (last === undefined) {
        // first sight of this plan: start counting from now (its first run is the next scheduled one)
        this.ctx.catalog.setState(lastKey, now.toISOString());
        continue;
      }
      const retry = this.retryState(plan);
      let due: Date | undefined;
      try {
        due = previousDue(cfg.schedule, cfg.timezone, new Date(last), now);
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

  /** Runs a plan now (also used by "run now"); resolves when backup, prune and alerts are done. */
  async run(plan: string, trigger: Trigger, attempt = 0): Promise<BackupResult | undefined> {
    if (this.running.has(plan)) return undefined;
    this.running.add(plan);
    try {
      this.log(`plan ${plan}: ${trigger} run${attempt ? ` (retry ${attempt})` : ''}`);
      const result = await this.deps.backup(plan, trigger);
      const retryKey = `sched:${plan}:retry`;
      if (result.status === 'succeeded') {
        this.ctx.catalog.deleteState(retryKey);
        await this.deps.prune(plan).catch((err: unknown) => this.log(`plan ${plan}: prune failed: ${toErrorInfo(err).message}`));
      } else {
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
      await this.deps.afterRun?.(plan, result);
      return result;
    } finally {
      this.running.delete(plan);
    }
  }

  start(intervalMs = 15_000): void {
    const loop = (): void => {
      this.ticking = this.tick()
        .catch((err: unknown) => this.log(`scheduler: ${toErrorInfo(err).message}`))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(loop, intervalMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }
}
