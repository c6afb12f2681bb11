/**
 * `cofre daemon`: the headless host of the scheduler, the watchdog and the alerts (and the
 * console's RPC server when asked). The Electron app hosts the same engine while it runs.
 */
import type { AppContext } from '../app/context.js';
import { PlanRuns } from '../runs/plan-runs.js';
import { toErrorInfo } from '../errors.js';
import type { AlertChannel } from '../alerts/dispatcher.js';
import { acquireHomeLock } from './home-lock.js';
import { Scheduler } from './scheduler.js';
import { alerterFromConfig, alertOnPlanStates } from './alerting.js';
import { keepDrills } from './drills.js';
import { sendDailyReports } from './daily-report.js';

export interface EngineHostOptions {
  tickMs?: number;
  watchdogMs?: number;
  retryBaseMs?: number;
  /** run each plan never seen before at once (its latest scheduled time counts as missed) */
  runNewPlansNow?: boolean;
  log?: (line: string) => void;
  hostChannels?: AlertChannel[];
}

export interface EngineHost {
  scheduler: Scheduler;
  /** every backup of this process runs here (the scheduler's and the console's) */
  runs: PlanRuns;
  /** runs the watchdog check now */
  check(): Promise<void>;
  stop(): Promise<void>;
}

export function startEngineHost(ctx: AppContext, opts: EngineHostOptions = {}): EngineHost {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${new Date().toISOString()} ${l}\n`));
  const lock = acquireHomeLock(ctx.home);
  const orphans = ctx.catalog.failOrphanRuns('the process running it stopped before it finished');
  if (orphans) log(`marked ${orphans} interrupted run(s) as failed`);
  void ctx.config; // fail fast on a bad config
  const alerter = alerterFromConfig(ctx, opts.hostChannels);
  const stopping = new AbortController();
  let drill: Promise<void> | undefined;
  const check = async (): Promise<void> => {
    try {
      await alertOnPlanStates(ctx, alerter);
    } catch (err) {
      log(`watchdog: ${toErrorInfo(err).message}`);
    }
    await sendDailyReports(ctx, ctx.now(), log).catch((err: unknown) => log(`daily report: ${toErrorInfo(err).message}`));
    // the quarterly drill runs beside the watchdog, never blocking it
    if (!drill && !stopping.signal.aborted) {
      drill = keepDrills(ctx, alerter, log, stopping.signal)
        .catch((err: unknown) => log(`drill: ${toErrorInfo(err).message}`))
        .finally(() => (drill = undefined));
    }
  };
  const runs = new PlanRuns(ctx);
  const scheduler = new Scheduler({
    ctx,
    runs,
    log,
    ...(opts.retryBaseMs !== undefined ? { retryBaseMs: opts.retryBaseMs } : {}),
    ...(opts.runNewPlansNow ? { runNewPlansNow: true } : {}),
    onLog: (plan, l) => log(`[${plan}] ${l}`),
    afterRun: () => check(),
  });
  scheduler.start(opts.tickMs ?? 15_000);
  const watchdog = setInterval(() => void check(), opts.watchdogMs ?? 60_000);
  void check();
  return {
    scheduler,
    runs,
    check,
    stop: async () => {
      clearInterval(watchdog);
      stopping.abort();
      await Promise.all([scheduler.stop(), runs.stop(), drill]);
      lock.release();
    },
  };
}
