/**
 * S3 Object Lock (issue 15): while a set's retention runs, neither ransomware nor a stolen key can
 * delete its objects, nor the packs it shares with other sets.
 *
 * - `storage.<name>.objectLock: { mode, days }` (S3 only). S3Storage.check() refuses a bucket
 *   without Object Lock enabled, so no set claims a protection it lacks.
 * - A backup keeps every object of its set, and every pack it references (new or reused), until the
 *   set's time + days. Objects it streamed (dumps, packs, index, restore.sh) get it by
 *   PutObjectRetention right before the manifest (retainAll); the signature and the manifest are
 *   written locked (putBytesRetained). Locking at the end, not at upload, lets a failed backup
 *   remove what it uploaded; a reused pack's retention only ever grows.
 * - Retention asks objectRetention before deleting and S3 refuses a deletion of a locked object
 *   (ObjectLockedError): both are "retained by lock", reported and retried by a later prune.
 * Folders have no lock; S3-compatible servers without Object Lock (s3rver answers NotImplemented)
 * count as "no lock" when asked about an object.
 */
import { CofreError } from '../errors.js';
import { S3Storage } from './s3.js';
import type { ObjectLockPolicy, ObjectRetention, Storage, StoredObject } from './types.js';

export type { ObjectLockPolicy, ObjectRetention };
export { ObjectLockedError } from './s3-errors.js';

const DAY_MS = 86_400_000;
/** PutObjectRetention calls in flight at once (a set may reuse thousands of packs) */
const RETAIN_CONCURRENCY = 8;

/** The object's retention (mode and retain-until date), or undefined when it has none. */
export async function objectRetention(storage: Storage, key: string): Promise<ObjectRetention | undefined> {
  if (!(storage instanceof S3Storage)) return undefined;
  return await storage.objectRetention(key);
}

/** True while the object cannot be deleted because its retain-until date is after `now`. */
export async function isUnderRetention(storage: Storage, key: string, now: Date = new Date()): Promise<boolean> {
  const retention = await objectRetention(storage, key);
  return retention !== undefined && retention.retainUntil.getTime() > now.getTime();
}

/** The Object Lock the config asks for on this storage, or undefined (folders, S3 without objectLock). */
export function objectLockPolicy(storage: Storage): ObjectLockPolicy | undefined {
  return storage instanceof S3Storage ? storage.objectLock : undefined;
}

/** The retention of a set made at `setTime`: its time + the policy's days. */
export function setRetention(policy: ObjectLockPolicy, setTime: Date): ObjectRetention {
  return { mode: policy.mode, retainUntil: new Date(setTime.getTime() + policy.days * DAY_MS) };
}

function s3Of(storage: Storage, what: string): S3Storage {
  if (!(storage instanceof S3Storage)) {
    throw new CofreError('INTERNAL', `${what}: storage "${storage.name}" has no Object Lock`, { hint: 'report this; nothing was written' });
  }
  return storage;
}

/**
 * Puts `retention` on every key (PutObjectRetention), a few at a time; a retention already as long
 * and as strict is accepted. The first failure rejects (the others in flight finish first).
 */
export async function retainAll(storage: Storage, keys: readonly string[], retention: ObjectRetention): Promise<void> {
  const s3 = s3Of(storage, 'extend the Object Lock retention');
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < keys.length) {
      const key = keys[next++] as string;
      try {
        await s3.retain(key, retention);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(RETAIN_CONCURRENCY, keys.length) }, worker));
  if (failure !== undefined) throw failure;
}

/**
 * `cofre verify` on a storage with objectLock: the bucket still has Object Lock, and every object the
 * set's manifest names (and the pack it references) is retained at least as long as the manifest.
 * Failed when the set claims a protection it lacks; unchecked when its manifest has no retention at
 * all (a set made before objectLock was configured claims nothing).
 */
export async function checkSetRetention(storage: Storage, manifestKey: string, keys: readonly string[]): Promise<{ status: 'ok' | 'failed' | 'unchecked'; message: string }> {
  const s3 = s3Of(storage, 'check the Object Lock');
  try {
    await s3.assertObjectLockEnabled();
  } catch (err) {
    return { status: 'failed', message: err instanceof Error ? err.message : String(err) };
  }
  const own = await s3.objectRetention(manifestKey);
  if (!own) return { status: 'unchecked', message: `${manifestKey} has no Object Lock retention (a set made before objectLock was configured is not protected)` };
  const short: string[] = [];
  for (const key of keys) {
    const r = await s3.objectRetention(key).catch(() => undefined);
    if (!r || r.retainUntil.getTime() < own.retainUntil.getTime()) short.push(`${key} (${r ? `until ${r.retainUntil.toISOString()}` : 'not retained'})`);
  }
  if (short.length > 0) {
    return { status: 'failed', message: `${short.length} object(s) of the set are retained for less than its manifest (${own.mode} until ${own.retainUntil.toISOString()}), e.g. ${short[0] ?? ''}` };
  }
  return { status: 'ok', message: `${keys.length + 1} object(s) under Object Lock (${own.mode}) until at least ${own.retainUntil.toISOString()}` };
}

/** Writes a small object already under Object Lock (the manifest and its signature). */
export async function putBytesRetained(storage: Storage, key: string, data: Uint8Array, retention: ObjectRetention): Promise<StoredObject> {
  return await s3Of(storage, `write ${key}`).putBytes(key, data, retention);
}
