/** `cofre status`: per plan, last good set, age, RPO state and next run. */
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { computeStatus, type StatusReport } from '../../status/status.js';
import { formatDuration, formatDateTime } from '../../../shared/format.js';

export async function runStatus(ctx: AppContext): Promise<StatusReport> {
  return computeStatus(ctx);
}

const STATE_LABEL: Record<string, string> = { ok: 'OK', late: 'LATE', failing: 'FAILING', unknown: 'UNKNOWN' };

export function printStatus(out: Output, r: StatusReport, ctx: AppContext): void {
  const tz = ctx.config.console.timezone;
  out.result(r, () => {
    if (r.plans.length === 0) return 'No plans in the config yet: add one under plans: (see `cofre init`).';
    return r.plans
      .map((p) => {
        const lines = [`${p.plan}: ${STATE_LABEL[p.rpoState] ?? p.rpoState} — ${p.reason}`];
        lines.push(p.lastGoodSet ? `  last good set: ${p.lastGoodSet.setId} (${formatDuration(p.ageMs ?? 0)} ago)` : '  last good set: none');
        if (p.lastRun?.error) lines.push(`  last run failed: ${p.lastRun.error.message}${p.lastRun.error.hint ? `\n    → ${p.lastRun.error.hint}` : ''}`);
        lines.push(`  next run: ${p.nextRunAt ? formatDateTime(p.nextRunAt, tz) : 'invalid schedule'} (${p.schedule}, ${p.timezone})`);
        if (p.geo.separated !== true) lines.push(`  WARNING geo-separation: ${p.geo.message}`);
        for (const f of p.alertFailures) lines.push(`  WARNING alert via ${f.channel} failed at ${formatDateTime(f.at, tz)}: ${f.error ?? ''}`);
        return lines.join('\n');
      })
      .join('\n\n');
  });
}
