/** `cofre restore`: guided, timed, verified restore into a restore target. */
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { runRestore } from '../../restore/restore.js';
import type { RestoreResult } from '../../restore/types.js';
import { CofreError } from '../../errors.js';
import { formatBytes, formatClock, formatDuration } from '../../../shared/format.js';
import { progressLine } from '../progress-line.js';

export interface RestoreCliOptions {
  at?: string;
  storage?: string;
  target?: string;
  sources?: string;
  yes?: boolean;
  confirmName?: string;
  incidentStart?: string;
  verifyHashes?: boolean;
  jobs?: string;
  renameExisting?: boolean;
  globals?: boolean;
  path?: string[];
  table?: string[];
  acceptUnsigned?: boolean;
}

export function restoreSummary(r: RestoreResult): string {
  const lines = [
    `${r.kind === 'drill' ? 'Drill' : 'Restore'} ${r.restoreId}: ${r.status === 'succeeded' ? 'SUCCEEDED' : 'FAILED'} — set ${r.setId ?? '?'} → ${r.target} (${r.targetKind})`,
    ...r.preflight.filter((c) => !c.ok).map((c) => `  FAIL preflight ${c.name}: ${c.message}`),
    ...r.phases.map((p) => `  ${p.ok ? 'ok  ' : 'FAIL'} ${p.phase.padEnd(9)} ${formatDuration(p.durationMs)}`),
    `  validation: ${r.validation.filter((v) => v.ok).length}/${r.validation.length} ok`,
    ...r.validation.filter((v) => !v.ok).map((v) => `  FAIL ${v.name}: expected ${v.expected}, found ${v.actual}`),
    `  data moved: ${formatBytes(r.bytes)}`,
    `  RPO (data age): ${r.rpoMs === null ? '—' : formatDuration(r.rpoMs)} ${r.rpoOk === false ? '(OVER 24 h)' : '(within 24 h)'}`,
    `  RTO (elapsed):  ${formatClock(r.rtoMs)} ${r.rtoOk ? '(within 4 h)' : '(OVER 4 h)'}`,
    ...r.safetyDumps.map((s) => `  safety dump: ${s}`),
    ...r.warnings.map((w) => `  warning: ${w}`),
    ...(r.reportPath ? [`  report: ${r.reportPath}`] : []),
  ];
  if (r.error) lines.push(`  error: ${r.error.message}`, ...(r.error.hint ? [`  → ${r.error.hint}`] : []));
  if (r.targetState) lines.push(`  target state: ${r.targetState}`);
  return lines.join('\n');
}

export async function restoreCommand(ctx: AppContext, out: Output, o: RestoreCliOptions, setId: string | undefined): Promise<number> {
  if (!setId && !o.at) throw new CofreError('INVALID_ARGUMENT', 'choose a set: cofre restore <setId> or --at <ISO instant>', { hint: 'cofre sets lists the restore points' });
  if (setId && o.at) throw new CofreError('INVALID_ARGUMENT', 'give either a set id or --at, not both');
  if (o.acceptUnsigned && !setId) throw new CofreError('INVALID_ARGUMENT', '--accept-unsigned works with a set id only: --at never picks an unsigned set', { hint: 'cofre sets lists each set with its state; restore an unsigned one as cofre restore <setId> --accept-unsigned' });
  if (!o.target) throw new CofreError('INVALID_ARGUMENT', 'choose a restore target with --target', { hint: `targets: ${Object.keys(ctx.config.restoreTargets).join(', ') || '(none in the config)'}` });
  const jobs = o.jobs === undefined ? undefined : Number(o.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)) throw new CofreError('INVALID_ARGUMENT', `--jobs ${o.jobs} is not a number from 1 to 64`);
  const r = await runRestore(ctx, {
    setId, at: o.at, storage: o.storage, ...(o.acceptUnsigned ? { acceptUnsigned: true } : {}), target: o.target, yes: Boolean(o.yes), confirmName: o.confirmName, incidentStart: o.incidentStart,
    sources: o.sources ? o.sources.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    ...(o.verifyHashes ? { verifyHashes: true } : {}), ...(jobs ? { jobs } : {}),
    ...(o.renameExisting ? { existing: 'rename' as const } : {}), ...(o.globals ? { globals: true } : {}),
    ...(o.path?.length ? { paths: o.path } : {}),
    ...(o.table?.length ? { tables: o.table } : {}),
    onProgress: (p) => out.progress(`${progressLine(p)} — elapsed ${formatClock(p.elapsedMs)} of 04:00:00`),
    onLog: (l) => out.log(l),
  });
  out.endProgress();
  out.result(r, () => restoreSummary(r));
  return r.status === 'succeeded' ? 0 : 1;
}
