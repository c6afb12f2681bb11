/**
 * `cofre forget <setId> --yes [--storage NAME] [--force]`: deletes one set on purpose, whatever its
 * state (a doubtful set that blocks garbage collection, an unsigned forgery, a set nobody wants).
 * Audited. Refuses the newest complete set of its plan without `force`, and a set id found on more
 * than one storage without `--storage`. Deletes manifest.json first, then its signature, then the rest.
 */
import type { AppContext } from '../app/context.js';
import { listStorages, storagesFor, type StorageSet, type UnreachableStorage } from '../backup/storage-sets.js';
import { CofreError } from '../errors.js';
import { deleteSet } from './prune.js';
import { manifestKey } from '../backup/layout.js';
import { ObjectLockedError, objectRetention } from '../storage/object-lock.js';
import { said } from '../../shared/i18n/catalog.js';
import { noteSetForgotten } from './gc-record.js';

export interface ForgetResult {
  setId: string;
  storage: string;
  plan: string | null;
  state: StorageSet['state'];
  deleted: true;
  unreachable: UnreachableStorage[];
}

export async function forgetSet(ctx: AppContext, setId: string, opts: { yes?: boolean; force?: boolean; storage?: string | undefined }): Promise<ForgetResult> {
  const listing = await listStorages(ctx, { storages: storagesFor(ctx, opts.storage) });
  const hits = listing.sets.filter((s) => s.setId === setId);
  const down = listing.unreachable.map((u) => `storage ${u.storage} did not answer (${u.error.message})`).join('; ');
  if (hits.length === 0) {
    throw new CofreError('SET_NOT_FOUND', `no set ${setId} on the storages that answered${down ? `; ${down}` : ''}`, {
      hint: down ? 'fix the storage that did not answer, or pass --storage NAME' : 'run `cofre sets` to list the sets',
    });
  }
  if (hits.length > 1) {
    throw new CofreError('INVALID_ARGUMENT', `set ${setId} is on several storages (${hits.map((h) => h.storage).join(', ')})`, { hint: 'choose one with --storage NAME' });
  }
  const hit = hits[0] as StorageSet;
  if (hit.state === 'complete' && !opts.force) {
    const newest = listing.sets.filter((s) => s.state === 'complete' && s.plan === hit.plan).pop();
    if (newest?.setId === hit.setId) {
      throw new CofreError('PRECONDITION', `set ${setId} is the newest complete set of plan ${hit.plan ?? '?'} (storage ${hit.storage}); forgetting it loses the latest restore point`, {
        hint: 'run a backup first, or pass --force if you really mean to delete it',
      });
    }
  }
  if (!opts.yes) {
    throw new CofreError('CONFIRMATION_REQUIRED', `forgetting deletes set ${setId} (${hit.state}, plan ${hit.plan ?? '?'}) from storage ${hit.storage} for good`, {
      hint: `run again with --yes: cofre forget ${setId} --yes`,
    });
  }
  const storage = ctx.storage(hit.storage);
  try {
    // S3 Object Lock: the set cannot go before its retain-until date; say so instead of failing halfway
    const lock = await objectRetention(storage, manifestKey(setId)).catch(() => undefined);
    if (lock && lock.retainUntil.getTime() > ctx.now().getTime()) throw lockedSet(setId, hit.storage, lock.retainUntil);
    await deleteSet(storage, setId);
  } catch (err) {
    if (err instanceof ObjectLockedError) throw lockedSet(setId, hit.storage, err.until);
    throw err;
  } finally {
    storage.close();
  }
  ctx.catalog.audit(ctx.actor, 'set.forget', `${hit.plan ?? '?'}/${setId}`, { storage: hit.storage, state: hit.state, force: Boolean(opts.force) });
  // the technician dealt with it: a doubtful/missing alert about this set is closed (a later problem alerts again)
  for (const plan of Object.keys(ctx.config.plans)) {
    for (const finding of ['doubtful', 'missing']) ctx.catalog.deleteState(`alert:plan:${plan}:${finding}:${setId}`);
  }
  // and a pack collection it blocked no longer warns: the next prune collects
  noteSetForgotten(ctx.catalog, hit.storage, setId, ctx.now());
  await listStorages(ctx, { storages: [hit.storage] }).catch(() => undefined);
  return { setId, storage: hit.storage, plan: hit.plan, state: hit.state, deleted: true, unreachable: listing.unreachable };
}

function lockedSet(setId: string, storage: string, until: Date): CofreError {
  return new CofreError('PRECONDITION', `set ${setId} on storage ${storage} is under S3 Object Lock until ${until.toISOString()}: S3 refuses to delete it before then, and nothing was deleted`, {
    hint: 'nothing to do: once that date passes, `cofre forget` (or prune, when retention no longer keeps it) deletes it',
    ...said('objlock.forgetLocked', { setId, storage, until: until.toISOString() }),
  });
}
