/**
 * The quarterly restore drill, kept by the daemon (RF-BACK-003): when a drill is due and a
 * staging target exists, run it; alert when it fails or cannot happen; one attempt a day at most.
 */
import { hostname } from 'node:os';
import type { AppContext } from '../app/context.js';
import type { Alerter } from '../alerts/dispatcher.js';
import { buildAlert, type AlertKind } from '../alerts/message.js';
import { drillStatus, runDrill } from '../restore/drill.js';
import { runningRestoreInto } from '../restore/target-busy.js';
import type { ErrorInfo } from '../errors.js';

const ATTEMPT_KEY = 'drill:lastAttempt';
const DAY_MS = 86_400_000;

function alert(ctx: AppContext, kind: AlertKind, error?: ErrorInfo) {
  return buildAlert({
    kind, plan: 'drill', at: ctx.now(), timezone: ctx.config.console.timezone, locale: ctx.config.console.language, origin: hostname(),
    ...(error ? { error } : {}),
  });
}

export async function keepDrills(ctx: AppContext, alerter: Alerter, log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  if (Object.keys(ctx.config.plans).length === 0) return;
  const st = drillStatus(ctx);
  if (st.target === undefined) {
    await alerter.raise('drill:overdue', alert(ctx, 'drill_overdue', {
      code: 'PRECONDITION', message: 'no staging restore target is configured, so the quarterly restore drill cannot run',
      hint: 'add a restore target with kind: staging under restoreTargets (or set drill.target)',
    }));
    return;
  }
  if (st.failing) {
    const message = st.last?.error ?? 'the last restore drill failed';
    await alerter.raise('drill:failing', alert(ctx, 'drill_failed', { code: 'PRECONDITION', message, hint: 'open the drill report, fix the cause, then run `cofre drill`' }));
  }
  if (!st.overdue) {
    if (alerter.isFailing('drill:overdue')) await alerter.resolve('drill:overdue', alert(ctx, 'recovered'));
    return;
  }
  // nothing to rehearse before the first complete set (the backup's own late alert covers that),
  // and never while a technician is restoring into the same target
  if (!ctx.catalog.cachedSets().some((s) => s.complete) || runningRestoreInto(ctx, st.target)) return;
  const lastAttempt = ctx.catalog.getState(ATTEMPT_KEY);
  if (!ctx.config.drill.auto || (lastAttempt && ctx.now().getTime() - Date.parse(lastAttempt) < DAY_MS)) {
    if (st.nextDue && ctx.now().getTime() - Date.parse(st.nextDue) > 7 * DAY_MS) {
      await alerter.raise('drill:overdue', alert(ctx, 'drill_overdue'));
    }
    return;
  }
  ctx.catalog.setState(ATTEMPT_KEY, ctx.now().toISOString());
  log(`drill due: restoring the latest set into ${st.target}`);
  const result = await runDrill(ctx, { target: st.target, trigger: 'schedule', onLog: (l) => log(`[drill] ${l}`), ...(signal ? { signal } : {}) });
  if (signal?.aborted) return;
  if (result.status === 'succeeded') {
    if (alerter.isFailing('drill:failing')) await alerter.resolve('drill:failing', alert(ctx, 'recovered'));
    if (alerter.isFailing('drill:overdue')) await alerter.resolve('drill:overdue', alert(ctx, 'recovered'));
  } else {
    await alerter.raise('drill:failing', alert(ctx, 'drill_failed', result.error));
  }
}
