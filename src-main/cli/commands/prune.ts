/**
 * `cofre prune [--plan P] [--dry-run] [--now ISO]`: applies retention, then collects unreferenced
 * packs; `--json`: `{ keep:[setId], delete:[setId], decisions, packs:{deleted,bytesFreed,pending}, plans:[{…, gc}] }`.
 */
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { CofreError, toErrorInfo, type ErrorInfo } from '../../errors.js';
import { planOf } from '../../config/plans.js';
import { prunePlan, type PruneResult } from '../../retention/prune.js';
import { formatBytes, type PackGcResult } from '../../retention/pack-gc.js';

export async function pruneCommand(ctx: AppContext, out: Output, opts: { plan?: string; dryRun?: boolean; now?: string }): Promise<number> {
  let now: Date | undefined;
  if (opts.now !== undefined) {
    now = new Date(opts.now);
    if (Number.isNaN(now.getTime())) {
      throw new CofreError('INVALID_ARGUMENT', `--now "${opts.now}" is not a date`, { hint: 'use ISO 8601, e.g. 2026-11-25T03:00:00-03:00' });
    }
  }
  const plans = opts.plan ? [planOf(ctx.config, opts.plan)[0]] : Object.keys(ctx.config.plans);
  const results: PruneResult[] = [];
  // each plan on its own: a storage that cannot be listed stops prune there (nothing deleted) and not elsewhere
  const errors: Array<{ plan: string; storage: string; error: ErrorInfo }> = [];
  for (const plan of plans) {
    try {
      results.push(await prunePlan(ctx, plan, { dryRun: Boolean(opts.dryRun), ...(now ? { now } : {}) }));
    } catch (err) {
      errors.push({ plan, storage: planOf(ctx.config, plan)[1].storage, error: toErrorInfo(err) });
    }
  }
  const json = {
    dryRun: Boolean(opts.dryRun),
    keep: results.flatMap((r) => r.keep.map((d) => d.setId)),
    delete: results.flatMap((r) => r.delete.map((d) => d.setId)),
    held: results.flatMap((r) => r.held.map((d) => d.setId)),
    doubtful: results.flatMap((r) => r.doubtful.map((d) => d.setId)),
    decisions: results.flatMap((r) => [...r.keep, ...r.delete, ...r.held].map((d) => ({ plan: r.plan, storage: r.storage, ...d }))),
    packs: {
      deleted: results.reduce((a, r) => a + r.gc.deleted.length, 0),
      bytesFreed: results.reduce((a, r) => a + r.gc.bytesFreed, 0),
      pending: results.reduce((a, r) => a + r.gc.pending.length, 0),
      retainedByLock: results.reduce((a, r) => a + r.gc.retained.length, 0),
      blocked: results.flatMap((r) => (r.gc.blocked ? [{ plan: r.plan, storage: r.storage, reason: r.gc.blocked.reason, setId: r.gc.blocked.setId ?? null }] : [])),
    },
    plans: [
      ...results.map((r) => ({ plan: r.plan, storage: r.storage, safetyStop: r.safetyStop ?? null, ...(r.aborted ? { aborted: r.aborted } : {}), warnings: r.warnings, failed: r.failed, doubtful: r.doubtful, gc: r.gc })),
      ...errors.map((e) => ({ plan: e.plan, storage: e.storage, error: e.error })),
    ],
  };
  for (const e of errors) out.log(`prune ${e.plan} STOPPED: ${e.error.message}${e.error.hint ? `\n  → ${e.error.hint}` : ''}`);
  out.result(json, () =>
    results
      .map((r) =>
        [
          `${r.plan} (storage ${r.storage}): keep ${r.keep.length}, ${r.dryRun ? 'would delete' : 'deleted'} ${r.delete.length - r.failed.length}${r.held.length ? `, held by object lock ${r.held.length}` : ''}${r.doubtful.length ? `, DOUBTFUL ${r.doubtful.length}` : ''}`,
          ...(r.aborted ? [`  STOPPED, nothing deleted: ${r.aborted}`] : r.safetyStop ? [`  SAFETY STOP: ${r.safetyStop}`] : []),
          ...r.warnings.map((w) => `  warning: ${w}`),
          ...r.doubtful.map((d) => `  DOUBTFUL ${d.setId}: ${d.reason}`),
          ...r.delete.map((d) => `  ${r.dryRun ? 'would delete' : 'deleted'} ${d.setId}: ${d.reason}`),
          ...r.held.map((d) => `  held ${d.setId}: ${d.reason}`),
          ...r.failed.map((f) => `  FAILED to delete ${f.setId}: ${f.error}`),
          ...gcLines(r.gc, r.dryRun),
        ].join('\n'),
      )
      .join('\n'),
  );
  const gcTrouble = (g: PackGcResult): boolean => g.failed.length > 0 || g.blocked?.key === 'gc.blockedStorage';
  return results.some((r) => r.failed.length > 0 || r.aborted !== undefined || gcTrouble(r.gc)) || errors.length > 0 ? 1 : 0;
}

/** What pack garbage collection did on the plan's storage, for the text output. */
function gcLines(g: PackGcResult, dryRun: boolean): string[] {
  const lines: string[] = [];
  if (g.blocked) lines.push(`  packs: GC BLOCKED, no pack deleted: ${g.blocked.reason}`);
  if (g.deleted.length > 0 || g.pending.length > 0 || !g.blocked) {
    const next = g.pending.map((p) => p.deletableAfter).sort()[0];
    lines.push(`  packs: ${g.referenced} referenced; ${dryRun ? 'would delete' : 'deleted'} ${g.deleted.length} unreferenced (${formatBytes(g.bytesFreed)} freed); ${g.pending.length} pending${next ? ` (the first deletable after ${next}, at a later prune)` : ''}`);
  }
  if (g.retained.length > 0) {
    lines.push(`  packs: ${g.retained.length} unreferenced pack(s) retained by Object Lock (${formatBytes(g.retained.reduce((a, r) => a + r.bytes, 0))}); the first is deleted by a prune after ${g.retained[0]?.retainUntil ?? '?'}`);
  }
  lines.push(...g.failed.map((f) => `  FAILED to delete ${f.error}`), ...g.warnings.map((w) => `  packs warning: ${w}`));
  return lines;
}
