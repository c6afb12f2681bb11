/**
 * Applies a plan's retention to its storage: lists the sets from storage (within the storage's
 * timeout), decides with planRetention (fail closed: a manifest that could not be read anywhere on
 * the storage stops every deletion; doubtful sets are never deleted; a set with no manifest goes
 * only past the incomplete grace and never while its backup's lease is fresh), skips what S3 Object
 * Lock still protects, then deletes — manifest first, so a set being deleted is never seen as
 * complete — and writes every deletion to the audit log. Then it collects the format-2 packs that
 * no remaining set references (pack-gc.ts: two looks further apart than the longest backup lease,
 * nothing deleted on doubt), over every set on the storage, whatever its plan.
 */
import type { AppContext } from '../app/context.js';
import { planOf } from '../config/plans.js';
import { listSetsOf, type SetInfo } from '../backup/sets.js';
import { manifestKey, setPrefix } from '../backup/layout.js';
import { freshLeases } from '../backup/lease.js';
import { DEFAULT_LIST_TIMEOUT_SECONDS } from '../backup/storage-sets.js';
import { CofreError, toErrorInfo } from '../errors.js';
import { ObjectLockedError, objectRetention } from '../storage/object-lock.js';
import type { Storage } from '../storage/types.js';
import { planRetention, type Decision, type SetSummary } from './policy.js';
import { collectPacks, type PackGcResult } from './pack-gc.js';
import { recordPackGc } from './gc-record.js';
import { said } from '../../shared/i18n/catalog.js';

export interface PruneResult {
  plan: string;
  storage: string;
  dryRun: boolean;
  keep: Decision[];
  delete: Decision[];
  held: Decision[];
  /** doubtful sets: kept, not counted as restore points, alerted */
  doubtful: Decision[];
  warnings: string[];
  safetyStop?: string;
  /** set when a manifest on the storage could not be read: prune deleted nothing there (exit 1) */
  aborted?: string;
  /** sets whose deletion failed (kept for the next prune) */
  failed: Array<{ setId: string; error: string }>;
  /** garbage collection of format-2 packs on this storage (deleted, pending, bytes freed, or what blocks it) */
  gc: PackGcResult;
}

export interface PruneOptions {
  dryRun: boolean;
  /** evaluate the policy as of this instant (leases are always judged at the real clock) */
  now?: Date;
  /** the backup run this prune follows: its pack collection is recorded under it (gc-record.ts) */
  runId?: number;
}

export async function prunePlan(ctx: AppContext, planName: string, opts: PruneOptions): Promise<PruneResult> {
  const [, cfg] = planOf(ctx.config, planName);
  const storage = ctx.storage(cfg.storage);
  try {
    return await pruneStorage(ctx, planName, storage, opts);
  } finally {
    storage.close();
  }
}

/** Lists a storage within its configured timeout; the error names the storage and says prune stopped. */
async function listWithin(ctx: AppContext, storageName: string, storage: Storage): Promise<SetInfo[]> {
  try {
    return await within(ctx, storageName, storage, listSetsOf(ctx, storage), 'the listing');
  } catch (err) {
    const info = toErrorInfo(err);
    throw new CofreError('STORAGE_UNREACHABLE', `prune stopped: storage ${storageName} could not be listed (${info.message}); nothing was deleted`, {
      hint: `check that storage ${storageName} is reachable, then run \`cofre prune\` again`,
      cause: err,
    });
  }
}

/** Awaits a storage operation within the storage's configured timeout (a rejection naming the storage). */
async function within<T>(ctx: AppContext, storageName: string, storage: Storage, work: Promise<T>, what: string): Promise<T> {
  const ms = (ctx.config.storage[storageName]?.timeoutSeconds ?? DEFAULT_LIST_TIMEOUT_SECONDS) * 1000;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CofreError('STORAGE_UNREACHABLE', `storage ${storageName} (${storage.describe}) did not answer ${what} within ${Math.round(ms / 1000)} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The same, on an open storage (tests pass a fault-injecting one). */
export async function pruneStorage(ctx: AppContext, planName: string, storage: Storage, opts: PruneOptions): Promise<PruneResult> {
  const [plan, cfg] = planOf(ctx.config, planName);
  const now = opts.now ?? ctx.now();
  const listedAt = ctx.now();
  const all = await listWithin(ctx, cfg.storage, storage);
  // A set of no known plan (no manifest, or one that could not be read or parsed) counts for every
  // plan on the storage: incomplete ones may be deleted past the grace, doubtful ones are reported,
  // and an unreadable manifest stops deletion for every plan here.
  const unreadable = all.filter((s) => s.unreadable);
  const sets = all.filter((s) => s.plan === plan || s.plan === null);
  let leased: Set<string>;
  try {
    leased = await within(ctx, cfg.storage, storage, freshLeases(storage, ctx.now()), 'the lease listing');
  } catch (err) {
    throw new CofreError('STORAGE_UNREACHABLE', `prune stopped: the backup leases on storage ${cfg.storage} could not be listed (${toErrorInfo(err).message}); nothing was deleted`, {
      hint: `check that storage ${cfg.storage} is reachable, then run \`cofre prune\` again`,
    });
  }
  for (const r of ctx.catalog.listRuns({ kind: 'backup', status: 'running', limit: 100 })) if (r.setId) leased.add(r.setId);
  const policy = {
    keepDays: cfg.retention.keepDays,
    keepMin: cfg.retention.keepMin,
    ...(cfg.retention.keepWeekly !== undefined ? { keepWeekly: cfg.retention.keepWeekly } : {}),
    ...(cfg.retention.keepMonthly !== undefined ? { keepMonthly: cfg.retention.keepMonthly } : {}),
  };
  const options = { timezone: cfg.timezone, rpoHours: cfg.rpoHours, graceHours: cfg.graceHours, incompleteGraceHours: cfg.incompleteGraceHours };
  let summaries: SetSummary[] = [
    ...sets.map((s) => toSummary(s, leased)),
    ...unreadable.filter((u) => !sets.includes(u)).map((s) => toSummary(s, leased)),
  ];
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
  const lockRefused: Decision[] = [];
  if (!opts.dryRun) {
    for (const d of decision.delete) {
      try {
        await deleteSet(storage, d.setId);
        ctx.catalog.audit(ctx.actor, 'set.delete', `${plan}/${d.setId}`, { reason: d.reason, storage: cfg.storage });
      } catch (err) {
        // S3 refused because the set is still under Object Lock: an expected state, kept and retried by a later prune
        if (err instanceof ObjectLockedError) lockRefused.push({ setId: d.setId, action: 'keep', reason: `${d.reason}; S3 refused the deletion: object lock until ${err.until.toISOString()} (a later prune retries)` });
        else failed.push({ setId: d.setId, error: `set ${d.setId} on storage ${cfg.storage}: ${toErrorInfo(err).message}` });
      }
    }
  }
  if (lockRefused.length > 0) {
    const refused = new Set(lockRefused.map((d) => d.setId));
    decision = { ...decision, delete: decision.delete.filter((d) => !refused.has(d.setId)), held: [...decision.held, ...lockRefused] };
  }
  const deleting = decision.delete;
  const gc = await collectAfter(ctx, cfg.storage, storage, opts.dryRun ? { sets: all.filter((s) => !deleting.some((d) => d.setId === s.setId)), listedAt } : undefined, opts.dryRun);
  if (!opts.dryRun) recordPackGc(ctx.catalog, { storage: cfg.storage, plan, runId: opts.runId }, gc);
  return {
    plan, storage: cfg.storage, dryRun: opts.dryRun, keep: decision.keep, delete: decision.delete, held: decision.held, doubtful: decision.doubtful,
    warnings: decision.warnings, ...(decision.safetyStop ? { safetyStop: decision.safetyStop } : {}),
    ...(unreadable.length > 0 ? { aborted: `storage ${cfg.storage}: ${decision.safetyStop ?? 'a manifest could not be read'}` } : {}), failed, gc,
  };
}

/**
 * Pack garbage collection after the set deletions: lists the storage's sets again (a backup may have
 * finished meanwhile; on a dry run, the first listing without the sets retention would delete) and
 * the fresh leases (judged at the real clock), then collects. A listing failure blocks it.
 */
async function collectAfter(ctx: AppContext, storageName: string, storage: Storage, dry: { sets: SetInfo[]; listedAt: Date } | undefined, dryRun: boolean): Promise<PackGcResult> {
  let sets: SetInfo[];
  let listedAt: Date;
  let leases: Set<string>;
  try {
    listedAt = dry?.listedAt ?? ctx.now();
    sets = dry?.sets ?? await within(ctx, storageName, storage, listSetsOf(ctx, storage), 'the listing');
    leases = await within(ctx, storageName, storage, freshLeases(storage, ctx.now()), 'the lease listing');
  } catch (err) {
    const reason = `storage ${storageName} could not be listed for garbage collection (${toErrorInfo(err).message}); no pack is deleted${dryRun ? '' : ' (the set deletions above stand)'}`;
    const ref = said('gc.blockedStorage', { storage: storageName });
    return { packs: 0, referenced: 0, deleted: [], bytesFreed: 0, pending: [], failed: [], retained: [], warnings: [], blocked: { reason, ...ref }, summary: ref };
  }
  if (!dry) {
    ctx.catalog.cacheSets(
      storageName,
      sets.map((s) => ({ setId: s.setId, plan: s.plan, createdAt: s.createdAt, complete: s.complete, state: s.state, finishedAt: s.finishedAt, bytes: s.bytes, manifest: s.manifest })),
    );
  }
  const gc = await collectPacks({
    storage, storageName, sets, listedAt, leases, dryRun,
    within: (work, what) => within(ctx, storageName, storage, work, what),
  });
  if (!dryRun && gc.deleted.length > 0) {
    ctx.catalog.audit(ctx.actor, 'packs.delete', storageName, { storage: storageName, packs: gc.deleted.length, bytes: gc.bytesFreed, keys: gc.deleted.map((d) => d.key) });
  }
  return gc;
}

function toSummary(s: SetInfo, leased: ReadonlySet<string>): SetSummary {
  return {
    setId: s.setId, createdAt: new Date(s.createdAt), state: s.state,
    ...(s.unreadable ? { unreadable: true } : {}), ...(leased.has(s.setId) ? { leased: true } : {}), ...(s.problem ? { problem: s.problem } : {}),
  };
}

/**
 * Deletes one set: manifest.json first (so it is never seen as complete while going), then its
 * signature, then the rest. Used by retention and by `cofre forget`.
 */
export async function deleteSet(storage: Storage, setId: string): Promise<void> {
  await storage.delete([manifestKey(setId)]);
  await storage.delete([`${manifestKey(setId)}.sig`]);
  const rest: string[] = [];
  for await (const o of storage.list(setPrefix(setId))) rest.push(o.key);
  if (rest.length) await storage.delete(rest);
}
