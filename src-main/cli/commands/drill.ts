/** `cofre drill`: the quarterly restore test into staging. */
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { runDrill, drillStatus } from '../../restore/drill.js';
import { formatClock, formatDateTime } from '../../../shared/format.js';
import { clinicTimeZone } from '../../app/clinic-zone.js';
import { progressLine } from '../progress-line.js';
import { restoreSummary } from './restore.js';

export async function drillCommand(ctx: AppContext, out: Output, o: { target?: string; status?: boolean; storage?: string }): Promise<number> {
  if (o.status) {
    const s = drillStatus(ctx);
    const tz = clinicTimeZone(ctx.config);
    out.result(s, () => [
      `Drill target: ${s.target ?? '(none)'}; every ${s.everyMonths} month(s)`,
      `Last drill: ${s.last ? `${formatDateTime(s.last.at, tz)} ${s.last.ok ? 'OK' : 'FAILED'} (${s.last.restoreId})${s.last.error ? ` — ${s.last.error}` : ''}${s.last.reportPath ? `; report ${s.last.reportPath}` : ''}` : 'never'}`,
      `Next due: ${s.nextDue ? formatDateTime(s.nextDue, tz) : 'now'}${s.overdue ? ' — OVERDUE' : ''}`,
    ].join('\n'));
    return s.overdue || s.failing ? 1 : 0;
  }
  const r = await runDrill(ctx, {
    target: o.target,
    ...(o.storage ? { storage: o.storage } : {}),
    onProgress: (p) => out.progress(`${progressLine(p)} — elapsed ${formatClock(p.elapsedMs)}`),
    onLog: (l) => out.log(l),
  });
  out.endProgress();
  out.result(r, () => restoreSummary(r));
  return r.status === 'succeeded' ? 0 : 1;
}
