/**
 * Chooses the set to restore: by id, or point in time (`--at`): the newest complete set
 * created at or before that instant, across the storages of the config's plans.
 */
import { CofreError } from '../errors.js';
import type { AppContext } from '../app/context.js';
import { storageFromConfig } from '../app/storage.js';
import { listSetsOf, type SetInfo } from '../backup/sets.js';
import type { Manifest } from '../../shared/domain.js';

export interface SelectedSet {
  setId: string;
  storage: string;
  manifest: Manifest;
  createdAt: string;
  /** set only when the user accepted an unsigned set by id: why it is unsigned */
  unsigned?: string;
}

/** Storage names that plans use (every storage when no plan names one). */
export function restoreStorages(ctx: AppContext): string[] {
  const fromPlans = [...new Set(Object.values(ctx.config.plans).map((p) => p.storage))];
  return fromPlans.length > 0 ? fromPlans : Object.keys(ctx.config.storage);
}

export async function allSets(ctx: AppContext): Promise<Array<SetInfo & { storage: string }>> {
  const out: Array<SetInfo & { storage: string }> = [];
  for (const name of restoreStorages(ctx)) {
    const storage = storageFromConfig(ctx.config, name, ctx.env);
    try {
      for (const s of await listSetsOf(ctx, storage)) out.push({ ...s, storage: name });
    } finally {
      storage.close();
    }
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.setId.localeCompare(b.setId));
}

export interface SetQuery {
  setId?: string | undefined;
  at?: string | undefined;
  /** by id only: restore a set whose signature is missing or wrong (explicit confirmation by the user) */
  acceptUnsigned?: boolean | undefined;
}

/** Pure choice among listed sets (unit-tested). `--at` and the drill only ever pick complete (signed) sets. */
export function chooseSet(sets: ReadonlyArray<SetInfo & { storage: string }>, q: SetQuery): SelectedSet {
  const complete = sets.filter((s) => s.complete && s.manifest).sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.setId.localeCompare(b.setId));
  if (q.setId) {
    const hit = sets.find((s) => s.setId === q.setId);
    if (!hit) {
      throw new CofreError('SET_NOT_FOUND', `no set ${q.setId} in storage`, { hint: `run \`cofre sets\` to list the restore points${nearest(complete, undefined)}` });
    }
    if (hit.state === 'unsigned' && hit.manifest) {
      if (!q.acceptUnsigned) {
        throw new CofreError('CONFIRMATION_REQUIRED', `set ${q.setId} is unsigned: ${hit.problem ?? 'no valid signature'}; anyone with write access to the storage could have made it`, {
          hint: `restore it only if you know where it came from: add --accept-unsigned (or run \`cofre adopt\` on the backup host for sets made before signing)${nearest(complete, hit.createdAt)}`,
        });
      }
      return { setId: hit.setId, storage: hit.storage, manifest: hit.manifest, createdAt: hit.manifest.createdAt, unsigned: hit.problem ?? 'no valid signature' };
    }
    if (!hit.complete || !hit.manifest) {
      throw new CofreError('SET_INCOMPLETE', `set ${q.setId} is incomplete: ${hit.problem ?? 'unknown reason'}`, { hint: `choose another set${nearest(complete, hit.createdAt)}` });
    }
    return { setId: hit.setId, storage: hit.storage, manifest: hit.manifest, createdAt: hit.manifest.createdAt };
  }
  if (q.at === undefined) throw new CofreError('INVALID_ARGUMENT', 'choose a set: a set id or --at <ISO instant>', { hint: 'e.g. cofre restore --at 2026-03-01T12:00:00-03:00 --target homologacao' });
  const at = Date.parse(q.at);
  if (Number.isNaN(at)) throw new CofreError('INVALID_ARGUMENT', `--at ${q.at} is not an ISO date and time`, { hint: 'e.g. 2026-03-01T12:00:00-03:00' });
  const before = complete.filter((s) => Date.parse(s.createdAt) <= at);
  const pick = before[before.length - 1];
  if (!pick || !pick.manifest) {
    throw new CofreError('SET_NOT_FOUND', `no complete set was created at or before ${new Date(at).toISOString()}`, {
      hint: complete.length ? `the oldest complete set is ${complete[0]?.setId}${nearest(complete, new Date(at).toISOString())}` : 'there are no complete sets: run `cofre backup`',
    });
  }
  return { setId: pick.setId, storage: pick.storage, manifest: pick.manifest, createdAt: pick.manifest.createdAt };
}

function nearest(complete: ReadonlyArray<SetInfo>, around: string | undefined): string {
  if (complete.length === 0) return '';
  const t = around ? Date.parse(around) : Date.now();
  const near = [...complete].sort((a, b) => Math.abs(Date.parse(a.createdAt) - t) - Math.abs(Date.parse(b.createdAt) - t)).slice(0, 3);
  return `; nearest complete sets: ${near.map((s) => `${s.setId} (${s.createdAt})`).join(', ')}`;
}

export async function selectSet(ctx: AppContext, q: SetQuery): Promise<SelectedSet> {
  return chooseSet(await allSets(ctx), q);
}

/** The newest complete set (the drill's choice). */
export async function latestSet(ctx: AppContext): Promise<SelectedSet> {
  const sets = await allSets(ctx);
  if (!sets.some((s) => s.complete)) throw new CofreError('SET_NOT_FOUND', 'there is no complete set to restore', { hint: 'run `cofre backup` first' });
  return chooseSet(sets, { at: new Date(8.64e15).toISOString() });
}
