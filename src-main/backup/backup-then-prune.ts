/**
 * A backup run by hand (CLI, console "run now") applies retention after success, as the
 * scheduler does, so storage stays within the policy however backups are started.
 * A prune problem is reported but never turns a good backup into a failure.
 */
import type { AppContext } from '../app/context.js';
import { toErrorInfo } from '../errors.js';
import { prunePlan } from '../retention/prune.js';
import { runBackup, type BackupOptions, type BackupResult } from './run.js';

export interface PruneOutcome {
  deleted: string[];
  safetyStop?: string;
  error?: string;
  /** pack garbage collection: packs deleted, bytes freed, packs pending, or what blocked it */
  packs?: { deleted: number; bytesFreed: number; pending: number; blocked?: string };
}

export async function backupThenPrune(
  ctx: AppContext,
  plan: string | undefined,
  opts: BackupOptions = {},
): Promise<{ result: BackupResult; prune?: PruneOutcome }> {
  const result = await runBackup(ctx, plan, opts);
  if (result.status !== 'succeeded') return { result };
  let prune: PruneOutcome;
  try {
    const p = await prunePlan(ctx, result.plan, { dryRun: false });
    const failed = new Set(p.failed.map((f) => f.setId));
    prune = { deleted: p.delete.map((d) => d.setId).filter((id) => !failed.has(id)), ...(p.safetyStop ? { safetyStop: p.safetyStop } : {}) };
    prune.packs = { deleted: p.gc.deleted.length, bytesFreed: p.gc.bytesFreed, pending: p.gc.pending.length, ...(p.gc.blocked ? { blocked: p.gc.blocked.reason } : {}) };
    if (p.failed.length) prune.error = `could not delete ${p.failed.map((f) => f.setId).join(', ')}`;
  } catch (err) {
    prune = { deleted: [], error: toErrorInfo(err).message };
  }
  if (prune.error) opts.onLog?.(`WARNING retention not applied: ${prune.error}`);
  return { result, prune };
}
