/**
 * The optional daily report (`plans.<name>.dailyReport: true`): once a day, one e-mail with
 * the previous day's sets of the plan (in its time zone), their sizes and run durations, and
 * the storage the plan uses. A report already sent for a day is never sent again.
 */
import type { AppContext } from '../app/context.js';
import { sendEmail } from '../alerts/email.js';
import { civilDate, dayNumber, formatCivilDate, fromDayNumber, instantFromCivil } from '../scheduler/timezone.js';
import { formatBytes, formatDateTime, formatDuration } from '../../shared/format.js';
import { emailConfigFrom } from './alerting.js';

export interface DailyReport {
  plan: string;
  day: string;
  subject: string;
  text: string;
}

/** The report of `plan` for the calendar day before `now` in the plan's time zone. */
export function buildDailyReport(ctx: AppContext, plan: string, now: Date): DailyReport {
  const cfg = ctx.config.plans[plan];
  if (!cfg) throw new Error(`no plan ${plan}`);
  const tz = cfg.timezone;
  const yesterday = fromDayNumber(dayNumber(civilDate(now, tz)) - 1);
  const from = instantFromCivil(yesterday, tz).getTime();
  const to = instantFromCivil(fromDayNumber(dayNumber(yesterday) + 1), tz).getTime();
  const en = ctx.config.console.language === 'en';
  const inDay = (iso: string): boolean => Date.parse(iso) >= from && Date.parse(iso) < to;
  const runs = ctx.catalog.listRuns({ kind: 'backup', plan, limit: 500 }).filter((r) => inDay(r.startedAt) && r.status !== 'running').reverse();
  const sets = ctx.catalog.cachedSets(cfg.storage).filter((s) => s.plan === plan);
  const used = sets.reduce((a, s) => a + s.bytes, 0);
  const complete = sets.filter((s) => s.complete).length;
  const day = formatCivilDate(yesterday);
  const lines = runs.map((r) => {
    const when = formatDateTime(r.startedAt, tz, en ? 'en' : 'pt-BR');
    const took = r.durationMs === null ? '' : `, ${formatDuration(r.durationMs)}`;
    if (r.status === 'succeeded') return `  OK     ${when}  ${r.setId ?? ''}  ${formatBytes(r.bytes)}${took}`;
    return `  ${en ? 'FAILED' : 'FALHOU'} ${when}  ${r.error?.message ?? ''}${took}`;
  });
  const ok = runs.filter((r) => r.status === 'succeeded').length;
  const subject = en
    ? `Cofre: daily report — ${plan} — ${day} — ${ok} good set(s), ${runs.length - ok} failure(s)`
    : `Cofre: relatório diário — ${plan} — ${day} — ${ok} cópia(s) boa(s), ${runs.length - ok} falha(s)`;
  const text = [
    en ? `Plan ${plan}, ${day} (${tz})` : `Plano ${plan}, dia ${day} (${tz})`,
    '',
    ...(lines.length ? lines : [en ? '  No backup ran that day.' : '  Nenhum backup foi executado nesse dia.']),
    '',
    en
      ? `Storage ${cfg.storage}: ${complete} complete set(s), ${formatBytes(used)} in all.`
      : `Armazenamento ${cfg.storage}: ${complete} cópia(s) completa(s), ${formatBytes(used)} no total.`,
  ].join('\n');
  return { plan, day, subject, text };
}

/** Sends each due daily report once; returns the days sent. Delivery errors are recorded, then retried next check. */
export async function sendDailyReports(ctx: AppContext, now: Date, log: (line: string) => void): Promise<DailyReport[]> {
  const email = emailConfigFrom(ctx);
  const sent: DailyReport[] = [];
  for (const [plan, cfg] of Object.entries(ctx.config.plans)) {
    if (!cfg.dailyReport) continue;
    const report = buildDailyReport(ctx, plan, now);
    const key = `report:${plan}:lastDay`;
    if (ctx.catalog.getState(key) === report.day) continue;
    if (!email) {
      log(`plan ${plan}: dailyReport is on but alerts.email is not configured`);
      continue;
    }
    try {
      await sendEmail(email, report);
      ctx.catalog.setState(key, report.day);
      ctx.catalog.recordEvent({ kind: 'daily_report', plan, channel: 'email', ok: true, message: report.subject });
      sent.push(report);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      ctx.catalog.recordEvent({ kind: 'daily_report', plan, channel: 'email', ok: false, message: report.subject, error: message });
      log(`plan ${plan}: daily report not sent: ${message}`);
    }
  }
  return sent;
}
