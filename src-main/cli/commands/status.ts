/** `cofre status`: per plan, last good set, age, RPO state and next run. */
import { clinicTimeZone } from '../../app/clinic-zone.js';
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { computeStatus, type StatusReport } from '../../status/status.js';
import { formatDuration, formatDateTime } from '../../../shared/format.js';
import { storageFromConfig } from '../../app/storage.js';
import { refreshSetsCache } from '../../backup/sets.js';
import { toErrorInfo } from '../../errors.js';
import { CONFIGURE_SIGNING_HINT } from '../../app/signing.js';

/** Reads the sets from each plan's storage first (the source of truth), unless --offline. */
export async function runStatus(ctx: AppContext, out: Output, opts: { offline?: boolean } = {}): Promise<StatusReport> {
  if (!opts.offline) {
    for (const name of new Set(Object.values(ctx.config.plans).map((p) => p.storage))) {
      try {
        const storage = storageFromConfig(ctx.config, name, ctx.env);
        try {
          await refreshSetsCache(ctx, name, storage);
        } finally {
          storage.close();
        }
      } catch (err) {
        out.log(`warning: storage ${name} could not be read (${toErrorInfo(err).message}); showing the sets last seen`);
      }
    }
  }
  return computeStatus(ctx);
}

const STATE_LABEL: Record<string, string> = { ok: 'OK', late: 'LATE', failing: 'FAILING', unknown: 'UNKNOWN' };

export function printStatus(out: Output, r: StatusReport, ctx: AppContext): void {
  const tz = clinicTimeZone(ctx.config);
  out.result(r, () => {
    if (r.plans.length === 0) return 'No plans in the config yet: add one under plans: (see `cofre init`).';
    // Without signers no set is authentic, so none counts as a good set: say why first.
    const signing = (ctx.config.encryption?.signers ?? []).length === 0 ? [`WARNING no set can be authenticated: ${CONFIGURE_SIGNING_HINT}`] : [];
    return signing.concat(r.plans
      .map((p) => {
        const tz = clinicTimeZone(ctx.config, p.plan);
        const lines = [`${p.plan}: ${STATE_LABEL[p.rpoState] ?? p.rpoState} — ${p.reason}`];
        lines.push(p.lastGoodSet ? `  last good set: ${p.lastGoodSet.setId}, ${formatDateTime(p.lastGoodSet.createdAt, tz)} (${formatDuration(p.ageMs ?? 0)} ago)` : '  last good set: none');
        if (p.lastRun?.error) lines.push(`  last run failed: ${p.lastRun.error.message}${p.lastRun.error.hint ? `\n    → ${p.lastRun.error.hint}` : ''}`);
        lines.push(`  next run: ${p.nextRunAt ? formatDateTime(p.nextRunAt, tz) : 'invalid schedule'} (${p.schedule}, ${p.timezone})`);
        if (p.geo.separated !== true) lines.push(`  WARNING geo-separation: ${p.geo.message}`);
        for (const f of p.alertFailures) lines.push(`  WARNING alert via ${f.channel} failed at ${formatDateTime(f.at, tz)}: ${f.error ?? ''}`);
        return lines.join('\n');
      })
      .concat(drillLines(r, tz)))
      .join('\n\n');
  });
}

function drillLines(r: StatusReport, tz: string): string[] {
  const d = r.drill;
  const last = d.last ? `${d.last.ok ? 'succeeded' : 'FAILED'} on ${formatDateTime(d.last.at, tz)}${d.last.error ? ` (${d.last.error})` : ''}` : 'never run';
  const next = d.nextDue ? formatDateTime(d.nextDue, tz) : 'now';
  return [
    `restore drill (every ${d.everyMonths} months, target ${d.target ?? 'none configured'}): last ${last}; next due ${next}${d.overdue ? ' — OVERDUE' : ''}`,
  ];
}
