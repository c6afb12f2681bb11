/**
 * Applies a plan's retention to its storage: lists the sets from storage, decides with
 * planRetention (which refuses to delete anything when the newest complete set is stale),
 * skips what S3 Object Lock still protects, then deletes — manifest first, so a set being
 * deleted is never seen as complete — and writes every deletion to the audit log.
 */
import type { AppContext } from '../app/context.js';
import { storageFromConfig } from '../app/storage.js';
import { planOf } from '../backup/run.js';
import { listSetsOf, refreshSetsCache, type SetInfo } from '../backup/sets.js';
import { manifestKey, setPrefix } from '../backup/layout.js';
import { objectRetention } from '../storage/object-lock.js';
import type { Storage } from '../storage/types.js';
import { planRetention, type Decision, type SetSummary } from './policy.js';

export interface PruneResult {
  plan: string;
  dryRun: boolean;
  keep: Decision[];
  delete: Decision[];
  held: Decision[];
  warnings: string[];
  safetyStop?: string;
  /** sets whose deletion failed (kept for the next prune) */
  failed: Array<{ setId: string; error: string }>;
}

export async function prunePlan(ctx: AppContext, planName: string, opts: { dryRun: boolean; now?: Date }): Promise<PruneResult> {
  const [plan, cfg] = planOf(ctx.config, planName);
  const now = opts.now ?? ctx.now();
  const storage = storageFromConfig(ctx.config, cfg.storage, ctx.env);
  try {
    const sets = (await listSetsOf(ctx, storage)).filter((s) => s.plan === plan || (s.plan === null && !s.complete));
    const policy = {
      keepDays: cfg.retention.keepDays,
      keepMin: cfg.retention.keepMin,
      ...(cfg.retention.keepWeekly !== undefined ? { keepWeekly: cfg.retention.keepWeekly } : {}),
      ...(cfg.retention.keepMonthly !== undefined ? { keepMonthly: cfg.retention.keepMonthly } : {}),
    };
    const options = { timezone: cfg.timezone, rpoHours: cfg.rpoHours, graceHours: cfg.graceHours };
    let summaries: SetSummary[] = sets.map(toSummary);
    let decision = planRetention(summaries, policy, now, options);
    // Ask storage about Object Lock only for the sets the policy would delete.
    if (decision.delete.length > 0) {
      const locks = new Map<string, Date>();
      for (const d of decision.delete) {
        const r = await objectRetention(storage, manifestKey(d.setId)).catch(() => undefined);
        if (r) locks.set(d.setId, r.retainUntil);
      }
      if (locks.size > 0) {
        summaries = summaries.map((s) => (locks.has(s.setId) ? { ...s, lockedUntil: locks.get(s.setId) as Date } : s));
        decision = planRetention(summaries, policy, now, options);
      }
    }
    const failed: PruneResult['failed'] = [];
    if (!opts.dryRun) {
      for (const d of decision.delete) {
        try {
          await deleteSet(storage, d.setId);
          ctx.catalog.audit(ctx.actor, 'set.delete', `${plan}/${d.setId}`, { reason: d.reason, storage: cfg.storage });
        } catch (err) {
          failed.push({ setId: d.setId, error: err instanceof Error ? err.message : String(err) });
        }
      }
      await refreshSetsCache(ctx, cfg.storage, storage).catch(() => undefined);
    }
    return {
      plan, dryRun: opts.dryRun, keep: decision.keep, delete: decision.delete, held: decision.held, warnings: decision.warnings,
      ...(decision.safetyStop ? { safetyStop: decision.safetyStop } : {}), failed,
    };
  } finally {
    storage.close();
  }
}

function toSummary(s: SetInfo): SetSummary {
  return { setId: s.setId, createdAt: new Date(s.createdAt), complete: s.complete };
}

async function deleteSet(storage: Storage, setId: string): Promise<void> {
  await storage.delete([manifestKey(setId)]);
  const rest: string[] = [];
  for await (const o of storage.list(setPrefix(setId))) rest.push(o.key);
  if (rest.length) await storage.delete(rest);
}
