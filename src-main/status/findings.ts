/**
 * What the last listing of a plan's storage says beyond "the newest good set" (from the catalog
 * cache, which every listing refreshes): doubtful sets (never deleted, never counted as good),
 * sets this Cofre made that are gone from storage (a rollback by someone with bucket access),
 * and whether the storage answered at all.
 */
import type { AppContext } from '../app/context.js';
import type { CachedSet } from '../catalog/catalog.js';
import { lastUnreachable } from '../backup/storage-sets.js';
import type { ErrorInfo } from '../errors.js';
import type { SetState } from '../../shared/domain.js';

export interface PlanFindings {
  /** doubtful sets of the plan (or of no known plan) on its storage, oldest first */
  doubtful: Array<{ setId: string; createdAt: string }>;
  /**
   * sets a successful backup made here, inside the retention window, that neither retention nor
   * `cofre forget` deleted, and that the storage's last listing no longer holds
   */
  missing: Array<{ setId: string; createdAt: string }>;
  /** the storage's last listing failed: the findings above are as of the listing before */
  unreachable: { at: string; error: ErrorInfo } | null;
}

export function stateOf(s: CachedSet): SetState {
  return s.state ?? (s.complete ? 'complete' : 'incomplete');
}

export function planFindings(ctx: AppContext, planName: string): PlanFindings {
  const plan = ctx.config.plans[planName];
  if (!plan) return { doubtful: [], missing: [], unreachable: null };
  const cached = ctx.catalog.cachedSets(plan.storage);
  const doubtful = cached
    .filter((s) => stateOf(s) === 'doubtful' && (s.plan === planName || s.plan === null))
    .map((s) => ({ setId: s.setId, createdAt: s.createdAt }));
  const unreachable = lastUnreachable(ctx, plan.storage) ?? null;
  return { doubtful, missing: missingSets(ctx, planName, plan.storage, plan.retention.keepDays, cached), unreachable };
}

function missingSets(ctx: AppContext, planName: string, storage: string, keepDays: number, cached: CachedSet[]): PlanFindings['missing'] {
  // Nothing to compare with until the storage was listed at least once.
  if (ctx.catalog.getState(`storage.listed.${storage}`) === undefined) return [];
  const since = new Date(ctx.now().getTime() - keepDays * 86_400_000).toISOString();
  const present = new Set(cached.map((s) => s.setId));
  const deleted = new Set(
    [...ctx.catalog.listAudit({ action: 'set.delete', since, limit: 100_000 }), ...ctx.catalog.listAudit({ action: 'set.forget', since, limit: 100_000 })]
      .map((a) => a.target.split('/').pop() ?? ''),
  );
  const listedAt = ctx.catalog.getState(`storage.listed.${storage}`) ?? '';
  return ctx.catalog
    .listAudit({ action: 'backup.create', since, limit: 10_000 })
    .filter((a) => {
      const details = a.details as { storage?: string } | null;
      return details?.storage === storage && a.target.startsWith(`${planName}/`) && a.at < listedAt;
    })
    .map((a) => ({ setId: a.target.slice(planName.length + 1), createdAt: a.at }))
    .filter((s) => !present.has(s.setId) && !deleted.has(s.setId));
}
