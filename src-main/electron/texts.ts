/**
 * What the desktop shell says (tray menu, tray tooltip, failure notifications), in the
 * configured console language through shared/i18n. Pure functions: no Electron here.
 */
import { createTranslator, describeEngineError, DEFAULT_LANGUAGE, type Language, type Translate } from '../../shared/i18n/index.js';
import type { Status, PlanStatus } from '../../shared/rpc/contracts/status.js';
import { formatDuration } from '../../shared/format.js';
import type { RunFinished } from '../../shared/rpc/contracts/runs.js';

export function shellTranslator(language: Language | undefined): Translate {
  return createTranslator(language ?? DEFAULT_LANGUAGE);
}

export function trayMenuLabels(t: Translate): { open: string; startAtLogin: string; quit: string } {
  return { open: t('tray.open'), startAtLogin: t('tray.startAtLogin'), quit: t('tray.quit') };
}

/** "Cofre — diario: Protegido, local: Falhando" */
export function trayTooltip(status: Status | undefined, t: Translate): string {
  const plans = status?.plans ?? [];
  const summary = status === undefined ? t('state.unknown') : plans.length === 0 ? t('tray.noPlans') : plans.map((p) => `${p.plan}: ${t(`state.${p.rpoState}`)}`).join(', ');
  return t('tray.tooltip', { summary });
}

/** Title and body of the notification for a failed run; clicking it opens `hash`. */
export function failureNotification(f: RunFinished, t: Translate): { title: string; body: string; hash: string } {
  const title = t('notify.runFailed', { plan: f.plan });
  let body = t('notify.seeDetails');
  if (f.error) {
    const e = describeEngineError(f.error, t);
    body = `${e.title}. ${e.action}`;
  }
  return { title, body, hash: `execucoes?run=${encodeURIComponent(f.runId)}` };
}

/** A plan whose last good backup is older than its RPO (or that never had one). */
export function lateNotification(p: Pick<PlanStatus, 'plan' | 'ageMs' | 'rpoHours'>, t: Translate): { title: string; body: string; hash: string } {
  return {
    title: t('notify.late', { plan: p.plan }),
    body: p.ageMs === undefined ? t('notify.noGoodSet', { plan: p.plan }) : t('notify.lateBody', { age: formatDuration(p.ageMs), rpo: p.rpoHours }),
    hash: 'painel',
  };
}

/** A drill that failed: its reason in words, and the drills screen to open. */
export function drillFailedNotification(d: { target: string; error?: { code: string; message: string; hint?: string | undefined } | undefined }, t: Translate): { title: string; body: string; hash: string } {
  const reason = d.error ? `${describeEngineError(d.error, t).title}. ` : '';
  return { title: t('notify.drillFailed'), body: `${reason}${t('notify.drillFailedBody', { target: d.target })}`, hash: 'testes' };
}
