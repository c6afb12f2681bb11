/**
 * Backup leases: a running backup keeps `leases/<setId>.json` fresh in its storage, so retention
 * (and, later, garbage collection) on any host knows the set is still being written and leaves it
 * alone. The set id names the lease because it is unique across hosts (catalog run ids are not).
 * A lease is fresh while it was renewed within LEASE_TTL_MS; a crashed backup's lease goes stale and
 * its incomplete set becomes deletable once older than the plan's incomplete grace.
 * A lease also has a maximum age (LEASE_MAX_AGE_MS): a backup that writes packs or reuses them may
 * not write its manifest later than that after it started, so pack garbage collection
 * (retention/pack-gc.ts), which waits longer than that between its two looks, never deletes a pack
 * that a backup it could not see is about to reference.
 */
import { hostname } from 'node:os';
import { CofreError } from '../errors.js';
import type { Storage, ObjectInfo } from '../storage/types.js';

export const LEASES_PREFIX = 'leases/';
/** how often a running backup renews its lease */
export const LEASE_RENEW_MS = 5 * 60_000;
/** a lease not renewed for this long belongs to a backup that stopped */
export const LEASE_TTL_MS = 3 * LEASE_RENEW_MS;
/** the longest a backup may run, start to manifest, when its set references packs (a first full of 500 GB at 50 Mbit/s takes ~22 h) */
export const LEASE_MAX_AGE_MS = 48 * 3_600_000;

export interface LeaseBody {
  setId: string;
  plan: string;
  host: string;
  renewedAt: string;
}

export function leaseKey(setId: string): string {
  return `${LEASES_PREFIX}${setId}.json`;
}

export interface Lease {
  /** stops renewing and removes the lease object (errors are reported, never thrown) */
  release(): Promise<void>;
  /** right before a manifest that references packs: throws when the backup outlived LEASE_MAX_AGE_MS */
  assertWithinMaxAge(): void;
}

/**
 * Writes the lease now (failing the backup if storage refuses it: a backup nobody can see running
 * must not start) and renews it every LEASE_RENEW_MS until released.
 */
export async function takeLease(storage: Storage, input: { setId: string; plan: string; now: () => Date; onError?: (message: string) => void }): Promise<Lease> {
  const write = async (): Promise<void> => {
    const body: LeaseBody = { setId: input.setId, plan: input.plan, host: hostname(), renewedAt: input.now().toISOString() };
    await storage.putBytes(leaseKey(input.setId), Buffer.from(`${JSON.stringify(body)}\n`));
  };
  const takenAt = input.now().getTime();
  await write();
  const timer = setInterval(() => {
    write().catch((err: unknown) => input.onError?.(`lease ${leaseKey(input.setId)} could not be renewed: ${err instanceof Error ? err.message : String(err)}`));
  }, LEASE_RENEW_MS);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await storage.delete([leaseKey(input.setId)]).catch((err: unknown) => input.onError?.(`lease ${leaseKey(input.setId)} could not be removed: ${err instanceof Error ? err.message : String(err)}`));
    },
    assertWithinMaxAge() {
      const ageMs = input.now().getTime() - takenAt;
      if (ageMs > LEASE_MAX_AGE_MS) {
        throw new CofreError('PRECONDITION', `backup of set ${input.setId} ran ${Math.floor(ageMs / 3_600_000)} h, longer than the lease max age of ${LEASE_MAX_AGE_MS / 3_600_000} h: packs it reuses may have been collected by a prune meanwhile, so the set is not written`, {
          hint: 'run the backup again; if it is always this slow, raise the bandwidth or split the plan',
          key: 'gc.leaseTooOld', params: { setId: input.setId, hours: LEASE_MAX_AGE_MS / 3_600_000 },
        });
      }
    },
  };
}

/**
 * The set ids whose lease is fresh at `now` (judged by the object's own modification time, so a
 * wrong clock on the backup host cannot make a lease look fresher). Listing failures reject: the
 * caller must not delete anything when it cannot tell which backups are running.
 */
export async function freshLeases(storage: Storage, now: Date): Promise<Set<string>> {
  const fresh = new Set<string>();
  for await (const o of storage.list(LEASES_PREFIX)) {
    if (isFresh(o, now)) fresh.add(o.key.slice(LEASES_PREFIX.length).replace(/\.json$/, ''));
  }
  return fresh;
}

function isFresh(o: ObjectInfo, now: Date): boolean {
  return now.getTime() - o.lastModified.getTime() < LEASE_TTL_MS;
}
