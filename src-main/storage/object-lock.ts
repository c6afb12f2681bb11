/**
 * Lets retention ask whether an object is still under S3 Object Lock retention before it
 * tries to delete it. Folders have no lock; S3-compatible servers without Object Lock
 * (s3rver answers NotImplemented) count as "no lock".
 */
import { S3Storage } from './s3.js';
import type { ObjectRetention } from './s3.js';
import type { Storage } from './types.js';

export type { ObjectRetention };

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
