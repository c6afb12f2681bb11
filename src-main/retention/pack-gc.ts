/**
 * Garbage collection of format-2 packs (issue 15), run by prune after its set deletions, per storage.
 *
 * Mark and sweep from the set manifests alone (no identity): a pack under `packs/` that no set's
 * manifest lists (complete and unsigned sets both count) is a candidate. S3 has no lock, so the
 * protocol is safe by design instead:
 * - a candidate is recorded in `gc/pending.json` with when it was first seen unreferenced; it is
 *   deleted only by a later prune that still finds it unreferenced more than GC_DELAY_MS (the
 *   longest a backup may hold its lease, plus a margin) after that, whichever workstation runs it;
 * - a backup reads `gc/pending.json` right after taking its lease and reuses no pending pack
 *   (skipPendingPacks), may not write a manifest later than LEASE_MAX_AGE_MS after it started, and
 *   checks every reused pack still exists right before its manifest. So a backup that reuses a
 *   candidate either saw it pending (and stored that content anew) or finished before the deleting
 *   prune listed the manifests, and its manifest then keeps the pack;
 * - while any backup lease on the storage is fresh, nothing is deleted (candidates are still recorded).
 * With S3 Object Lock, a due pack still retained (a set that reused it extended its date) is not
 * deleted: it is reported as `retained` with its date, stays pending, and goes at the first prune
 * after that date (S3 refusing the deletion counts the same).
 * Fail closed like retention: a doubtful or unreadable manifest, a listing or lease error, an
 * unreadable pending file: nothing is deleted on that storage, and the result says what blocks it
 * (a doubtful set: `cofre forget <set>` clears it). Doubt is never absence.
 */
import { hostname } from 'node:os';
import type { SetInfo } from '../backup/sets.js';
import { LEASE_MAX_AGE_MS } from '../backup/lease.js';
import { CofreError, toErrorInfo } from '../errors.js';
import { PACKS_PREFIX, PACK_NAME } from '../files2/packs.js';
import { packIdsKey } from '../files2/pack-ids.js';
import type { FilesState } from '../files2/state.js';
import type { Storage } from '../storage/types.js';
import { ObjectLockedError, objectLockPolicy, objectRetention } from '../storage/object-lock.js';
import { said, type MessageRef } from '../../shared/i18n/catalog.js';

/** `<prefix>/gc/pending.json`: packs found unreferenced, with when each was first seen so. */
export const GC_PENDING_KEY = 'gc/pending.json';
export const GC_PENDING_FORMAT = 'cofre-gc/1';
/** slack over the lease max age (clock differences between workstations, the pending write itself) */
export const GC_MARGIN_MS = 60 * 60_000;
/** how long a pack must stay unreferenced, between two prunes, before it is deleted */
export const GC_DELAY_MS = LEASE_MAX_AGE_MS + GC_MARGIN_MS;

export interface PendingEntry {
  firstSeen: string;
  bytes: number;
}

export interface PendingFile {
  format: typeof GC_PENDING_FORMAT;
  updatedAt: string;
  host: string;
  /** key (relative to the storage prefix, `packs/…`) → first seen unreferenced */
  packs: Record<string, PendingEntry>;
  /** packs deleted by GC (key → when), kept TOMBSTONE_MS so backups forget them from their dedup state */
  deleted?: Record<string, string>;
}

/** how long a deleted pack stays listed in the pending file for backups to forget it */
export const TOMBSTONE_MS = 90 * 86_400_000;

export interface PackGcResult {
  /** packs listed under packs/ */
  packs: number;
  /** packs some remaining set references */
  referenced: number;
  /** deleted by this prune (would be, on a dry run) */
  deleted: Array<{ key: string; bytes: number }>;
  bytesFreed: number;
  /** unreferenced, waiting for the second look (or for running backups) */
  pending: Array<{ key: string; bytes: number; firstSeen: string; deletableAfter: string }>;
  /** set when GC deleted nothing on this storage because something is in doubt */
  blocked?: { reason: string; setId?: string } & MessageRef;
  /** deletions that failed (kept pending for the next prune) */
  failed: Array<{ key: string; error: string }>;
  /** unreferenced and due, but still under S3 Object Lock: kept pending, deleted by a prune after `retainUntil` */
  retained: Array<{ key: string; bytes: number; retainUntil: string }>;
  warnings: string[];
  /** one line of what happened, for the console */
  summary: MessageRef;
}

export interface PackGcInput {
  storage: Storage;
  /** the storage's config name, for messages */
  storageName: string;
  /** every set on the storage (all plans), listed after this prune's deletions */
  sets: readonly SetInfo[];
  /** when that listing started: a manifest written before this instant is in `sets` */
  listedAt: Date;
  /** set ids whose backup lease is fresh (a backup is running) */
  leases: ReadonlySet<string>;
  dryRun: boolean;
  /** bounds each storage read/write of the collection in time (the storage's timeout); deletions are not bounded */
  within?: <T>(work: Promise<T>, what: string) => Promise<T>;
}

type PendingRead = { ok: true; file: PendingFile | undefined } | { ok: false; unreadable: boolean; problem: string };

/** Reads gc/pending.json: absent → undefined; an I/O error → unreadable; bad content → problem. */
export async function readPending(storage: Storage): Promise<PendingRead> {
  let bytes: Buffer;
  try {
    if ((await storage.head(GC_PENDING_KEY)) === undefined) return { ok: true, file: undefined };
    bytes = await storage.getBytes(GC_PENDING_KEY);
  } catch (err) {
    return { ok: false, unreadable: true, problem: toErrorInfo(err).message };
  }
  try {
    const json = JSON.parse(bytes.toString('utf8')) as Partial<PendingFile>;
    if (json.format !== GC_PENDING_FORMAT || typeof json.packs !== 'object' || json.packs === null) {
      return { ok: false, unreadable: false, problem: `${GC_PENDING_KEY} has an unknown format ${JSON.stringify(json.format)}` };
    }
    for (const [key, e] of Object.entries(json.packs)) {
      if (typeof e?.firstSeen !== 'string' || Number.isNaN(Date.parse(e.firstSeen)) || typeof e.bytes !== 'number') {
        return { ok: false, unreadable: false, problem: `${GC_PENDING_KEY} has a bad entry for ${key}` };
      }
    }
    return { ok: true, file: json as PendingFile };
  } catch {
    return { ok: false, unreadable: false, problem: `${GC_PENDING_KEY} is not valid JSON (corrupted)` };
  }
}

function blockedResult(base: Omit<PackGcResult, 'summary' | 'blocked'>, reason: string, ref: MessageRef, setId?: string): PackGcResult {
  return { ...base, blocked: { reason, ...(setId ? { setId } : {}), ...ref }, summary: ref };
}

export async function collectPacks(input: PackGcInput): Promise<PackGcResult> {
  const { storage, storageName: st } = input;
  const within = input.within ?? (<T>(work: Promise<T>): Promise<T> => work);
  const warnings: string[] = [];
  const empty = { packs: 0, referenced: 0, deleted: [], bytesFreed: 0, pending: [], failed: [], retained: [], warnings };

  // Mark: every pack a set with a readable manifest lists. A doubtful set's references are unknown.
  const doubt = input.sets.find((s) => s.state === 'doubtful');
  if (doubt) {
    return blockedResult(empty,
      `set ${doubt.setId} is doubtful (${doubt.problem ?? 'its manifest cannot be trusted'}): the packs it references are unknown, so no pack is deleted on storage ${st}; \`cofre forget ${doubt.setId}\` clears it`,
      said('gc.blockedBySet', { setId: doubt.setId, storage: st }), doubt.setId);
  }
  const referenced = new Set<string>();
  for (const s of input.sets) {
    if (s.state !== 'complete' && s.state !== 'unsigned') continue;
    if (!s.manifest) {
      return blockedResult(empty, `set ${s.setId} has no manifest in the listing: no pack is deleted on storage ${st}`, said('gc.blockedNoManifest', { setId: s.setId, storage: st }), s.setId);
    }
    if (s.manifest.format === 'cofre-set/2') for (const p of s.manifest.packs ?? []) referenced.add(p.key);
  }

  // Sweep candidates: every stored pack nobody references.
  const stored = new Map<string, number>();
  try {
    await within((async () => {
      for await (const o of storage.list(PACKS_PREFIX)) stored.set(o.key, o.bytes);
    })(), 'the pack listing');
  } catch (err) {
    return blockedResult(empty, `the packs on storage ${st} could not be listed (${toErrorInfo(err).message}); no pack is deleted`, said('gc.blockedStorage', { storage: st }));
  }
  const counts = { packs: stored.size, referenced: [...stored.keys()].filter((k) => referenced.has(k)).length };
  const unknown = [...stored.keys()].filter((k) => !PACK_NAME.test(k.slice(PACKS_PREFIX.length)));
  if (unknown.length) warnings.push(`${unknown.length} object(s) under ${PACKS_PREFIX} are not Cofre packs and are left alone (e.g. ${unknown[0] ?? ''})`);
  const candidates = [...stored].filter(([k]) => !referenced.has(k) && PACK_NAME.test(k.slice(PACKS_PREFIX.length)));

  const prior = await within(readPending(storage), `reading ${GC_PENDING_KEY}`).catch((err: unknown): PendingRead => ({ ok: false, unreadable: true, problem: toErrorInfo(err).message }));
  if (!prior.ok && prior.unreadable) {
    return blockedResult({ ...empty, ...counts }, `${GC_PENDING_KEY} on storage ${st} could not be read (${prior.problem}); no pack is deleted`, said('gc.blockedStorage', { storage: st }));
  }
  // A corrupt or unknown pending file: start the protocol over (this only delays deletion).
  const previous = prior.ok ? prior.file?.packs ?? {} : {};
  if (!prior.ok) warnings.push(`${prior.problem}; every unreferenced pack starts its wait again`);

  const nowIso = input.listedAt.toISOString();
  const next: Record<string, PendingEntry> = {};
  for (const [key, bytes] of candidates) {
    const seen = previous[key];
    // a pack of another size than when first seen starts over; a firstSeen in the future (a clock
    // ahead somewhere) is kept: it only makes the wait longer
    next[key] = seen && seen.bytes === bytes ? seen : { firstSeen: nowIso, bytes };
    if (seen && Date.parse(seen.firstSeen) > input.listedAt.getTime() + GC_MARGIN_MS) {
      warnings.push(`${key} was first seen unreferenced at ${seen.firstSeen}, in the future of this host's clock (${nowIso}): check the clocks of the workstations`);
    }
  }
  const tombstones: Record<string, string> = {};
  const priorDeleted = prior.ok ? prior.file?.deleted ?? {} : {};
  for (const [key, at] of Object.entries(priorDeleted)) {
    if (typeof at === 'string' && input.listedAt.getTime() - Date.parse(at) < TOMBSTONE_MS && !stored.has(key)) tombstones[key] = at;
  }
  const pendingBody = (): PendingFile => ({ format: GC_PENDING_FORMAT, updatedAt: nowIso, host: hostname(), packs: next, deleted: tombstones });
  const due = candidates.filter(([key]) => input.listedAt.getTime() - Date.parse(next[key]?.firstSeen ?? nowIso) > GC_DELAY_MS);
  const running = [...input.leases];
  const pendingOf = (keys: ReadonlyArray<readonly [string, number]>): PackGcResult['pending'] =>
    keys.map(([key, bytes]) => {
      const firstSeen = next[key]?.firstSeen ?? nowIso;
      return { key, bytes, firstSeen, deletableAfter: new Date(Date.parse(firstSeen) + GC_DELAY_MS).toISOString() };
    });

  if (!input.dryRun) {
    try {
      await within(storage.putBytes(GC_PENDING_KEY, Buffer.from(`${JSON.stringify(pendingBody(), null, 1)}\n`)), `writing ${GC_PENDING_KEY}`);
    } catch (err) {
      return blockedResult({ ...empty, ...counts, pending: pendingOf(candidates) },
        `${GC_PENDING_KEY} on storage ${st} could not be written (${toErrorInfo(err).message}); no pack is deleted`, said('gc.blockedStorage', { storage: st }));
    }
  }
  if (due.length > 0 && running.length > 0) {
    const base = { ...empty, ...counts, pending: pendingOf(candidates) };
    return blockedResult(base,
      `a backup is running on storage ${st} (fresh lease of set ${running.join(', ')}); ${due.length} unreferenced pack(s) wait for the next prune`,
      said('gc.blockedByLease', { setId: running[0] ?? '', storage: st }), running[0]);
  }

  const deleted: PackGcResult['deleted'] = [];
  const failed: PackGcResult['failed'] = [];
  const retained: PackGcResult['retained'] = [];
  for (const [key, bytes] of due) {
    // still under Object Lock (asked on storages configured with it): not deletable by this prune; an
    // unanswered question only leaves it to S3 to refuse (ObjectLockedError below, whatever the config)
    const lock = objectLockPolicy(storage) ? await within(objectRetention(storage, key), `reading the Object Lock of ${key}`).catch(() => undefined) : undefined;
    if (lock && lock.retainUntil.getTime() > input.listedAt.getTime()) {
      retained.push({ key, bytes, retainUntil: lock.retainUntil.toISOString() });
      continue;
    }
    if (input.dryRun) {
      deleted.push({ key, bytes });
      continue;
    }
    try {
      await storage.delete([key]);
      deleted.push({ key, bytes });
      // its dedup hint goes with it (a leftover one is ignored: its pack is gone)
      await storage.delete([packIdsKey(key.slice(PACKS_PREFIX.length))]).catch(() => undefined);
    } catch (err) {
      if (err instanceof ObjectLockedError) retained.push({ key, bytes, retainUntil: err.until.toISOString() });
      else failed.push({ key, error: `pack ${key} on storage ${st}: ${toErrorInfo(err).message}` });
    }
  }
  if (!input.dryRun && deleted.length > 0) {
    // the deleted ones leave the pending file (a failed write here only leaves stale entries, dropped next time)
    for (const d of deleted) {
      delete next[d.key];
      tombstones[d.key] = nowIso;
    }
    await within(storage.putBytes(GC_PENDING_KEY, Buffer.from(`${JSON.stringify(pendingBody(), null, 1)}\n`)), `writing ${GC_PENDING_KEY}`).catch((err: unknown) => {
      warnings.push(`${GC_PENDING_KEY} could not be updated after the deletions (${toErrorInfo(err).message}); the next prune drops the stale entries`);
    });
  }
  const gone = new Set([...deleted, ...retained].map((d) => d.key));
  const pending = pendingOf(candidates.filter(([k]) => !gone.has(k)));
  const bytesFreed = deleted.reduce((a, d) => a + d.bytes, 0);
  const nextDeletable = pending.map((p) => p.deletableAfter).sort()[0];
  retained.sort((a, b) => a.retainUntil.localeCompare(b.retainUntil));
  return {
    ...counts, deleted, bytesFreed, pending, failed, retained, warnings,
    summary: said('gc.summary', { deleted: deleted.length, bytes: formatBytes(bytesFreed), pending: pending.length, ...(nextDeletable ? { after: nextDeletable } : { after: '-' }) }),
  };
}

/**
 * Backup side, right after its lease is taken: packs pending collection (or deleted by it lately)
 * on this storage are not reused (their contents are forgotten by this host's dedup state and stored anew). A pending file
 * that cannot be read fails the backup: it cannot tell which packs may go.
 */
export async function skipPendingPacks(storage: Storage, state: FilesState, storageId: string): Promise<number> {
  const r = await readPending(storage);
  if (!r.ok && r.unreadable) {
    throw new CofreError('STORAGE_FAILED', `${GC_PENDING_KEY} could not be read (${r.problem}): this backup cannot tell which packs garbage collection may delete, so it stops before reusing any`, {
      hint: 'check that the storage is reachable, then run the backup again', ...said('gc.pendingUnreadable', { storage: storage.name }),
    });
  }
  if (!r.ok || r.file === undefined) return 0; // corrupt: the next prune restarts every wait, so nothing pending can go before this backup ends
  let n = 0;
  for (const key of [...Object.keys(r.file.packs), ...Object.keys(r.file.deleted ?? {})]) {
    if (!key.startsWith(PACKS_PREFIX)) continue;
    const name = key.slice(PACKS_PREFIX.length);
    if (state.pack(storageId, name)) {
      state.forgetPack(storageId, name);
      n++;
    }
  }
  return n;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}
