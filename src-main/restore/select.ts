/**
 * Chooses the set to restore: by id, or point in time (`--at`, "data as of"): the newest complete
 * set that FINISHED (manifest finishedAt) at or before that instant, among the storages that
 * answered. A set that started before the instant but was still reading after it may hold data
 * changed after it, so the finish time decides. Doubtful, unsigned and incomplete sets are never
 * chosen by `--at` nor by the drill. When a storage did not answer and its cached listing or its
 * plans' schedules imply it may hold a newer set than the one found, the choice is refused with an
 * error that says so and asks for `--storage NAME` (an older point is never taken silently).
 */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { AppContext } from '../app/context.js';
import { listStorages, storagesFor, type StorageSet, type UnreachableStorage } from '../backup/storage-sets.js';
import { nextRun } from '../scheduler/schedule.js';
import type { Manifest } from '../../shared/domain.js';

export interface SelectedSet {
  setId: string;
  storage: string;
  manifest: Manifest;
  createdAt: string;
  finishedAt: string;
  /** storages that did not answer while choosing (named in the run log and the report) */
  unreachable: UnreachableStorage[];
  /** set only when the user accepted an unsigned set by id: why it is unsigned */
  unsigned?: string;
}

export interface SetQuery {
  setId?: string | undefined;
  at?: string | undefined;
  /** `--storage NAME`: only that storage */
  storage?: string | undefined;
  /** by id only: restore a set whose signature is missing or wrong (explicit confirmation by the user) */
  acceptUnsigned?: boolean | undefined;
}

/**
 * Says why an unreachable storage may hold a set that finished in (after, at], or undefined when
 * nothing suggests so. Pure callers pass their own; mayHoldNewerFrom builds it from the catalog
 * cache and the plans' schedules.
 */
export type MayHoldNewer = (storage: string, after: Date | undefined, at: Date) => string | undefined;

/** The time a set's data is as of: when its backup finished reading. */
export function finishedAtOf(s: StorageSet): string {
  return s.finishedAt ?? s.manifest?.finishedAt ?? s.createdAt;
}

function byFinish(a: StorageSet, b: StorageSet): number {
  return Date.parse(finishedAtOf(a)) - Date.parse(finishedAtOf(b)) || a.setId.localeCompare(b.setId);
}

function unreachableText(unreachable: readonly UnreachableStorage[]): string {
  return unreachable.map((u) => `storage ${u.storage} did not answer (${u.error.message})`).join('; ');
}

function selected(hit: StorageSet & { manifest: Manifest }, unreachable: UnreachableStorage[]): SelectedSet {
  return { setId: hit.setId, storage: hit.storage, manifest: hit.manifest, createdAt: hit.manifest.createdAt, finishedAt: finishedAtOf(hit), unreachable };
}

/** Pure choice among listed sets (unit-tested). */
export function chooseSet(
  sets: readonly StorageSet[],
  q: SetQuery,
  opts: { unreachable?: UnreachableStorage[]; mayHoldNewer?: MayHoldNewer } = {},
): SelectedSet {
  const unreachable = opts.unreachable ?? [];
  const complete = sets.filter((s): s is StorageSet & { manifest: Manifest } => s.state === 'complete' && s.complete && s.manifest !== undefined).sort(byFinish);
  const down = unreachable.length ? `; ${unreachableText(unreachable)}` : '';
  if (q.setId) {
    const hits = sets.filter((s) => s.setId === q.setId);
    const hit = hits.find((s) => s.state === 'complete') ?? hits[0];
    if (!hit) {
      throw new CofreError('SET_NOT_FOUND', `no set ${q.setId} in the storages that answered${down}`, {
        ...said('set.notFound', { setId: q.setId }),
        hint: unreachable.length
          ? `the set may be on a storage that did not answer: fix it, or name the storage with --storage NAME`
          : `run \`cofre sets\` to list the restore points${nearest(complete, undefined)}`,
      });
    }
    if (hit.state === 'unsigned' && hit.manifest) {
      if (!q.acceptUnsigned) {
        throw new CofreError('CONFIRMATION_REQUIRED', `set ${q.setId} on storage ${hit.storage} is unsigned: ${hit.problem ?? 'no valid signature'}; anyone with write access to the storage could have made it`, {
          hint: `restore it only if you know where it came from: add --accept-unsigned (or run \`cofre adopt\` on the backup host for sets made before signing)${nearest(complete, hit.createdAt)}`,
        });
      }
      return { ...selected(hit as StorageSet & { manifest: Manifest }, unreachable), unsigned: hit.problem ?? 'no valid signature' };
    }
    if (hit.state !== 'complete' || !hit.manifest) {
      throw new CofreError('SET_INCOMPLETE', `set ${q.setId} on storage ${hit.storage} is ${hit.state}: ${hit.problem ?? 'unknown reason'}`, {
        ...said('set.incomplete', { setId: q.setId }),
        hint: `choose another set${nearest(complete, hit.createdAt)}`,
      });
    }
    return selected(hit as StorageSet & { manifest: Manifest }, unreachable);
  }
  if (q.at === undefined) throw new CofreError('INVALID_ARGUMENT', 'choose a set: a set id or --at <ISO instant>', { ...said('restore.chooseSet'), hint: 'e.g. cofre restore --at 2026-03-01T12:00:00-03:00 --target homologacao' });
  const at = Date.parse(q.at);
  if (Number.isNaN(at)) throw new CofreError('INVALID_ARGUMENT', `--at ${q.at} is not an ISO date and time`, { ...said('restore.badInstant', { value: q.at }), hint: 'e.g. 2026-03-01T12:00:00-03:00' });
  const before = complete.filter((s) => Date.parse(finishedAtOf(s)) <= at);
  const pick = before[before.length - 1];
  const atIso = new Date(at).toISOString();
  if (opts.mayHoldNewer) {
    const after = pick ? new Date(Date.parse(pick.createdAt)) : undefined;
    const doubts = unreachable
      .map((u) => ({ u, why: opts.mayHoldNewer?.(u.storage, after, new Date(at)) }))
      .filter((d): d is { u: UnreachableStorage; why: string } => d.why !== undefined);
    if (doubts.length > 0) {
      const found = pick ? `the newest complete set found is ${pick.setId} (finished ${finishedAtOf(pick)}, storage ${pick.storage})` : 'no complete set was found on the storages that answered';
      throw new CofreError('STORAGE_UNREACHABLE', `cannot tell the newest set finished at or before ${atIso}: ${doubts.map((d) => `storage ${d.u.storage} did not answer (${d.u.error.message}) and may hold a newer one (${d.why})`).join('; ')}; ${found}`, {
        hint: `fix storage ${doubts.map((d) => d.u.storage).join(', ')} and run again, or choose the storage on purpose with --storage NAME${pick ? ` (e.g. --storage ${pick.storage} accepts ${pick.setId})` : ''}`,
      });
    }
  }
  if (!pick) {
    throw new CofreError('SET_NOT_FOUND', `no complete set finished at or before ${atIso}${down}`, {
      ...said('set.noneBefore', { at: atIso }),
      hint: complete.length ? `the oldest complete set is ${complete[0]?.setId} (finished ${finishedAtOf(complete[0] as StorageSet)})${nearest(complete, atIso)}` : 'there are no complete sets: run `cofre backup`',
    });
  }
  return selected(pick, unreachable);
}

function nearest(complete: readonly StorageSet[], around: string | undefined): string {
  if (complete.length === 0) return '';
  const t = around ? Date.parse(around) : Date.now();
  const near = [...complete].sort((a, b) => Math.abs(Date.parse(finishedAtOf(a)) - t) - Math.abs(Date.parse(finishedAtOf(b)) - t)).slice(0, 3);
  return `; nearest complete sets: ${near.map((s) => `${s.setId} (finished ${finishedAtOf(s)}, storage ${s.storage})`).join(', ')}`;
}

/**
 * Whether an unreachable storage may hold a complete set newer than `after` that finished by `at`:
 * its last cached listing shows one, or a plan writing there was scheduled to start in between.
 */
export function mayHoldNewerFrom(ctx: AppContext): MayHoldNewer {
  return (storage, after, at) => {
    const afterMs = after?.getTime() ?? Number.NEGATIVE_INFINITY;
    const cached = ctx.catalog
      .cachedSets(storage)
      .filter((s) => (s.state ?? (s.complete ? 'complete' : 'incomplete')) === 'complete')
      .filter((s) => {
        const fin = Date.parse(s.finishedAt ?? s.createdAt);
        return Date.parse(s.createdAt) > afterMs && fin <= at.getTime();
      })
      .sort((a, b) => a.setId.localeCompare(b.setId))
      .pop();
    if (cached) return `its last listing showed set ${cached.setId}`;
    for (const [plan, cfg] of Object.entries(ctx.config.plans)) {
      if (cfg.storage !== storage) continue;
      // the first start of this plan's schedule after the set found (or a day before the instant)
      const from = after ?? new Date(at.getTime() - 86_400_000 * 366);
      try {
        const next = nextRun(cfg.schedule, cfg.timezone, new Date(from.getTime() - 60_000));
        if (next.getTime() <= at.getTime()) return `plan ${plan} (${cfg.schedule}, ${cfg.timezone}) was due to run there at ${next.toISOString()}`;
      } catch {
        return `plan ${plan} writes there and its schedule cannot be read`;
      }
    }
    return undefined;
  };
}

export async function selectSet(ctx: AppContext, q: SetQuery): Promise<SelectedSet> {
  const listing = await listStorages(ctx, { storages: storagesFor(ctx, q.storage) });
  return chooseSet(listing.sets, q, { unreachable: listing.unreachable, ...(q.storage === undefined ? { mayHoldNewer: mayHoldNewerFrom(ctx) } : {}) });
}

/** The newest complete set (the drill's choice), from the storages that answer. */
export async function latestSet(ctx: AppContext, opts: { storage?: string | undefined } = {}): Promise<SelectedSet> {
  const listing = await listStorages(ctx, { storages: storagesFor(ctx, opts.storage) });
  if (!listing.sets.some((s) => s.state === 'complete')) {
    const down = listing.unreachable.length ? `; ${unreachableText(listing.unreachable)}` : '';
    throw new CofreError('SET_NOT_FOUND', `there is no complete set to restore on the storages that answered${down}`, {
      ...said('set.none'),
      hint: listing.unreachable.length ? 'fix the storage that did not answer, or run `cofre backup`' : 'run `cofre backup` first',
    });
  }
  return chooseSet(listing.sets, { at: new Date(8.64e15).toISOString() }, { unreachable: listing.unreachable });
}
