/**
 * `cofre repack` (issue 15): rewrites mostly-dead format-2 packs, where the age identity and the
 * manifest signing key are. Per storage:
 *
 * 1. Plan, reading only: every set's manifest (a doubtful or unreadable one, or a failed listing,
 *    refuses the whole storage: doubt is never absence); the index of every complete set
 *    (decrypted here) gives the live members of each pack; a pack's total comes from its sealed
 *    `.ids` (with this host's content key) or, failing that, from reading the pack. A pack whose
 *    live share is under the threshold is a candidate, unless an unsigned set references it (its
 *    references stay live, and it is never rewritten, so the pack could not go anyway).
 * 2. Write: each candidate is read once (hash checked against the manifests); its live members go
 *    into new packs (PackWriter, the same compression); then, set by set, a new index under a new
 *    key (`<source>.<8 hex>.index[.zst].age`, never the object the signed manifest points to), then the
 *    new manifest's signature as `manifest.json.sig.next`, then the manifest (the commit point:
 *    the old manifest stays valid until this put), then restore.sh and manifest.json.sig, and only
 *    then the superseded objects go. A crash at any point leaves every set complete: before the
 *    manifest put, the old manifest with its old index and old packs (untouched); after it, the
 *    new one, authenticated by sig.next until sig is replaced (app/signing.ts). A later repack
 *    finishes what a stopped one left (`settle`).
 * 3. Repack deletes no pack: the old ones are unreferenced now and go by prune's garbage
 *    collection (two looks further apart than the longest lease). A lease is held while it runs;
 *    it refuses to start while a backup holds one on the storage.
 */
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform, pipeline } from 'node:stream';
import { finished } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import type { AppContext } from '../app/context.js';
import { configuredIdentities } from '../app/identity.js';
import { loadSigningKey, signManifest, MANIFEST_SIG_NEXT } from '../app/signing.js';
import { listSetsOf, refreshSetsCache, type SetInfo } from '../backup/sets.js';
import { freshLeases, takeLease, type Lease } from '../backup/lease.js';
import { manifestKey, manifestSigKey, objectKey, setPrefix } from '../backup/layout.js';
import { createDecryptStream, createEncryptStream } from '../crypto/age.js';
import { verifySshsig } from '../crypto/sshsig.js';
import { CofreError, toErrorInfo } from '../errors.js';
import type { Storage } from '../storage/types.js';
import { objectLockPolicy } from '../storage/object-lock.js';
import { ByteMeter, type ProgressListener } from '../util/progress.js';
import type { Manifest, ManifestRef } from '../../shared/domain.js';
import { INDEX_HEADER, isCompressedIndex } from './index-format.js';
import { INDEX_ZSTD_LEVEL, zstdBytes } from './zstd.js';
import { PackWriter, PACKS_PREFIX, DEFAULT_PACK_BYTES, isCompressedPack, packKey } from './packs.js';
import { openPackIds, packIdsKey, writePackIds } from './pack-ids.js';
import { scanIndex } from './restore.js';
import { restoreScript } from './restore-script.js';
import { FilesState, contentHmac, stateExists, type PackRecord } from './state.js';
import { FILES_V2_FORMAT, deletePacks, storageIdentity } from './backup.js';

export const DEFAULT_REPACK_THRESHOLD = 0.5;
/** Members up to this size are held in memory while moved; larger ones go through a private temp file. */
const IN_MEMORY = 16 * 1024 * 1024;

export interface RepackOptions {
  storage: string;
  /** a pack whose live share of its member bytes is under this is rewritten */
  threshold: number;
  dryRun: boolean;
  onProgress?: ProgressListener | undefined;
  onLog?: ((line: string) => void) | undefined;
  /** tests: called after each step of the write phase (`packs`, `index:<setId>`, `manifest:<setId>`…) */
  onStep?: ((step: string) => Promise<void> | void) | undefined;
}

export interface RepackPackPlan {
  key: string;
  /** stored (encrypted) bytes */
  bytes: number;
  /** plaintext bytes of every member, and of those a complete set still references */
  memberBytes: number;
  liveBytes: number;
  /** how the total was learned */
  measuredBy: 'ids' | 'read';
}

export interface RepackResult {
  storage: string;
  dryRun: boolean;
  threshold: number;
  /** packs referenced by some set's manifest and examined */
  packsExamined: number;
  /** packs rewritten (on a dry run: would be) */
  repacked: RepackPackPlan[];
  /** stored bytes of the repacked packs, and of the packs written in their place (0 on a dry run) */
  bytesBefore: number;
  bytesAfter: number;
  /** on a dry run: the live plaintext bytes that would be moved */
  liveBytes: number;
  newPacks: string[];
  /** sets whose index and manifest were rewritten (would be) */
  setsRewritten: string[];
  /** sets left as they are because they are unsigned (their packs are not repacked) */
  unsignedSets: string[];
  /** what a stopped repack had left and this one finished */
  settled: string[];
  warnings: string[];
}

interface SetPlan {
  set: SetInfo;
  manifest: Extract<Manifest, { format: 'cofre-set/2' }>;
}

const log = (opts: RepackOptions, line: string): void => opts.onLog?.(line);
const sigNextKey = (setId: string): string => objectKey(setId, MANIFEST_SIG_NEXT);

/** Opens the storage named in the options, and repacks it. */
export async function repackStorage(ctx: AppContext, opts: RepackOptions): Promise<RepackResult> {
  if (!ctx.config.storage[opts.storage]) {
    throw new CofreError('INVALID_ARGUMENT', `"${opts.storage}" is not a storage in the config`, { hint: `storages: ${Object.keys(ctx.config.storage).join(', ')}` });
  }
  const storage = ctx.storage(opts.storage);
  try {
    return await repackOpen(ctx, storage, opts);
  } finally {
    storage.close();
  }
}

export async function repackOpen(ctx: AppContext, storage: Storage, opts: RepackOptions): Promise<RepackResult> {
  if (!(opts.threshold > 0 && opts.threshold <= 1)) {
    throw new CofreError('INVALID_ARGUMENT', `--threshold ${opts.threshold} is not a fraction between 0 and 1`, { hint: 'e.g. --threshold 0.5 rewrites packs less than half of whose bytes are still used' });
  }
  const st = opts.storage;
  if (objectLockPolicy(storage) && !opts.dryRun) {
    // repack replaces manifests, restore.sh and signatures in place, which Object Lock forbids until
    // they expire; and its new packs would lack the retention the sets claim
    throw new CofreError('PRECONDITION', `storage ${st} uses Object Lock: repack would replace the sets' locked manifests, so it changes nothing there`, {
      hint: 'unreferenced packs are still deleted by prune once their lock ends; `cofre repack --dry-run` shows what a repack would save', key: 'repack.objectLock', params: { storage: st },
    });
  }
  const identities = await configuredIdentities(ctx.config, ctx.env, ctx.askSecret);
  const signingKey = opts.dryRun ? undefined : await loadSigningKey(ctx.config, ctx.env);
  const recipients = ctx.config.encryption?.recipients ?? [];
  if (!opts.dryRun && recipients.length === 0) {
    throw new CofreError('CONFIG_REFERENCE', 'the config names no age recipients (encryption.recipients): new packs cannot be encrypted', { hint: 'set encryption.recipients as the backups use it' });
  }
  await busyCheck(ctx, storage, st);
  let lease: Lease | undefined;
  if (!opts.dryRun) {
    lease = await takeLease(storage, { setId: `repack-${randomBytes(4).toString('hex')}`, plan: '(repack)', now: ctx.now, onError: (m) => log(opts, `warning: ${m}`) });
  }
  try {
    return await repackLeased(ctx, storage, opts, { identities, signingKey, recipients, lease });
  } finally {
    await lease?.release();
  }
}

/** A backup holding a fresh lease on this storage, or running here, stops the repack before it starts. */
async function busyCheck(ctx: AppContext, storage: Storage, st: string): Promise<void> {
  let leases: Set<string>;
  try {
    leases = await freshLeases(storage, new Date());
  } catch (err) {
    throw new CofreError('STORAGE_UNREACHABLE', `repack stopped: the leases on storage ${st} could not be listed (${toErrorInfo(err).message}); nothing was changed`, { hint: `check that storage ${st} is reachable and run \`cofre repack\` again`, cause: err });
  }
  const running = ctx.catalog.listRuns({ kind: 'backup', status: 'running', limit: 100 })
    .filter((r) => r.plan !== null && ctx.config.plans[r.plan]?.storage === st && Date.now() - Date.parse(r.startedAt) < 24 * 3_600_000);
  const busy = [...leases, ...running.map((r) => r.setId ?? r.plan)];
  if (busy.length > 0) {
    throw new CofreError('PRECONDITION', `a backup (or another repack) is running on storage ${st} (${busy.join(', ')}); repack changes nothing while it runs`, {
      hint: 'run `cofre repack` again once it has finished (a crashed run\'s lease goes stale after 15 minutes)', key: 'repack.busy', params: { storage: st },
    });
  }
}

interface Keys {
  identities: string[];
  signingKey: Awaited<ReturnType<typeof loadSigningKey>> | undefined;
  recipients: string[];
  lease: Lease | undefined;
}

async function repackLeased(ctx: AppContext, storage: Storage, opts: RepackOptions, keys: Keys): Promise<RepackResult> {
  const st = opts.storage;
  let sets: SetInfo[];
  try {
    sets = await listSetsOf(ctx, storage);
  } catch (err) {
    throw new CofreError('STORAGE_UNREACHABLE', `repack stopped: storage ${st} could not be listed (${toErrorInfo(err).message}); nothing was changed`, { hint: `check that storage ${st} is reachable and run \`cofre repack\` again`, cause: err });
  }
  const doubt = sets.find((s) => s.state === 'doubtful' || s.unreadable);
  if (doubt) {
    throw new CofreError('PRECONDITION', `set ${doubt.setId} on storage ${st} is doubtful (${doubt.problem ?? 'its manifest cannot be trusted'}): the packs it references are unknown, so repack changes nothing`, {
      hint: `check the set (\`cofre verify ${doubt.setId}\`); if it is lost, \`cofre forget ${doubt.setId}\` clears it`, key: 'repack.blockedBySet', params: { setId: doubt.setId, storage: st },
    });
  }
  const result: RepackResult = {
    storage: st, dryRun: opts.dryRun, threshold: opts.threshold, packsExamined: 0, repacked: [], bytesBefore: 0, bytesAfter: 0, liveBytes: 0,
    newPacks: [], setsRewritten: [], unsignedSets: [], settled: [], warnings: [],
  };
  const complete: SetPlan[] = [];
  const pinned = new Set<string>(); // packs an unsigned set references
  const stored = new Map<string, ManifestRef>(); // pack key → size + hash, from the manifests
  for (const s of sets) {
    const m = s.manifest;
    if (!m || m.format !== 'cofre-set/2') continue;
    if (s.state === 'unsigned') {
      for (const p of m.packs ?? []) pinned.add(p.key);
      if (m.packs?.length) result.unsignedSets.push(s.setId);
      continue;
    }
    if (s.state !== 'complete') continue;
    complete.push({ set: s, manifest: m });
    for (const p of m.packs ?? []) {
      const seen = stored.get(p.key);
      if (seen && (seen.bytes !== p.bytes || seen.sha256 !== p.sha256)) {
        throw new CofreError('INTEGRITY', `pack ${p.key} is listed with different sizes or hashes by two sets on storage ${st}; repack changes nothing`, { hint: 'run `cofre verify --deep` on the sets that reference it' });
      }
      stored.set(p.key, p);
    }
  }
  if (!opts.dryRun) result.settled = await settle(ctx, storage, complete, opts);

  // live members: (pack key → cid → size), from every complete set's indexes
  const live = new Map<string, Map<string, number>>();
  for (const { set, manifest } of complete) {
    for (const [source, ref] of Object.entries(manifest.indexes ?? {})) {
      try {
        await scanIndex(storage, ref, keys.identities, (e) => {
          if (!e.cid || !e.pack || (e.type !== 'f' && e.type !== 'h')) return;
          const k = packKey(e.pack);
          const members = live.get(k) ?? new Map<string, number>();
          members.set(e.member || e.cid, e.size);
          live.set(k, members);
        });
      } catch (err) {
        throw new CofreError('INTEGRITY', `the index of ${source} in set ${set.setId} could not be read (${toErrorInfo(err).message}); repack changes nothing on storage ${st}`, {
          hint: `check the identity and the set (\`cofre verify ${set.setId} --deep\`)`, cause: err,
        });
      }
    }
  }
  result.packsExamined = stored.size;

  // totals: from the sealed `.ids` with this host's content key, else by reading the pack
  const key = readContentKey(ctx.home);
  const plans: RepackPackPlan[] = [];
  let measured = 0;
  for (const ref of [...stored.values()].sort((a, b) => a.key.localeCompare(b.key))) {
    const members = live.get(ref.key) ?? new Map<string, number>();
    const liveBytes = [...members.values()].reduce((a, b) => a + b, 0);
    let memberBytes: number | undefined;
    let measuredBy: RepackPackPlan['measuredBy'] = 'ids';
    if (key) {
      const name = ref.key.slice(PACKS_PREFIX.length);
      const data = await storage.getBytes(packIdsKey(name)).catch(() => undefined);
      const ids = data ? openPackIds(key, name, data) : undefined;
      if (ids && ids.bytes === ref.bytes && ids.sha256 === ref.sha256) memberBytes = ids.contents.reduce((a, c) => a + c.size, 0);
    }
    if (memberBytes === undefined) {
      measuredBy = 'read';
      memberBytes = 0;
      await readPack(storage, ref, keys.identities, opts, measured, async (_cid, size, body) => {
        memberBytes = (memberBytes ?? 0) + size;
        await drain(body);
      });
      measured += ref.bytes;
    }
    const plan: RepackPackPlan = { key: ref.key, bytes: ref.bytes, memberBytes, liveBytes, measuredBy };
    if (memberBytes > 0 && liveBytes / memberBytes < opts.threshold && liveBytes < memberBytes) {
      if (pinned.has(ref.key)) {
        result.warnings.push(`${ref.key} is mostly unused (${pct(liveBytes, memberBytes)} live) but an unsigned set references it: left as it is`);
        continue;
      }
      plans.push(plan);
    }
  }
  result.repacked = plans;
  result.bytesBefore = plans.reduce((a, p) => a + p.bytes, 0);
  result.liveBytes = plans.reduce((a, p) => a + p.liveBytes, 0);
  const chosen = new Set(plans.map((p) => p.key));
  const touched = complete.filter((c) => (c.manifest.packs ?? []).some((p) => chosen.has(p.key)));
  result.setsRewritten = touched.map((c) => c.set.setId);
  log(opts, `storage ${st}: ${stored.size} pack(s) examined; ${plans.length} under ${Math.round(opts.threshold * 100)}% live (${fmt(result.bytesBefore)} stored, ${fmt(result.liveBytes)} still used); ${touched.length} set(s) reference them`);
  if (opts.dryRun || plans.length === 0) {
    if (!opts.dryRun) result.setsRewritten = [];
    return result;
  }

  // write: the live members of the chosen packs into new packs, one writer per compression
  const writers = new Map<boolean, PackWriter>();
  const writerFor = (compress: boolean): PackWriter => {
    let w = writers.get(compress);
    if (!w) {
      w = new PackWriter(storage, keys.recipients, { compress, targetBytes: DEFAULT_PACK_BYTES });
      writers.set(compress, w);
    }
    return w;
  };
  const moved = new Map<string, Map<string, string>>(); // old pack key → cid → new pack name
  const placed = new Map<string, { pack: string; size: number }>(); // cid → new pack (one copy of each content)
  const allWritten = (): PackRecord[] => [...writers.values()].flatMap((w) => w.written);
  const total = result.bytesBefore;
  let done = 0;
  try {
    for (const plan of plans) {
      const ref = stored.get(plan.key) as ManifestRef;
      const wanted = live.get(plan.key) ?? new Map<string, number>();
      const map = new Map<string, string>();
      const writer = writerFor(isCompressedPack(plan.key));
      await readPack(storage, ref, keys.identities, opts, done, async (cid, size, body) => {
        if (!wanted.has(cid)) { await drain(body); return; }
        const already = placed.get(cid);
        if (already) { map.set(cid, already.pack); await drain(body); return; }
        const data = await holdMember(body, size, key, cid);
        try {
          const pack = await writer.add(cid, data.body, size);
          placed.set(cid, { pack, size });
          map.set(cid, pack);
        } finally {
          await data.dispose();
        }
      }, total);
      done += ref.bytes;
      for (const cid of wanted.keys()) {
        if (!map.has(cid)) throw new CofreError('INTEGRITY', `${plan.key} does not hold content ${cid.slice(0, 12)}… that a set's index places in it; repack changes nothing`, { hint: 'run `cofre verify --deep` on the sets that reference it' });
      }
      moved.set(plan.key, map);
    }
    for (const w of writers.values()) await w.close();
    if (key) {
      await writePackIds(storage, key, allWritten(), (pack) => [...placed].filter(([, p]) => p.pack === pack).map(([cid, p]) => ({ cid, size: p.size })));
    }
  } catch (err) {
    for (const w of writers.values()) w.abort();
    await deletePacks(storage, allWritten());
    throw err;
  }
  const written = new Map(allWritten().map((p) => [p.pack, p]));
  result.newPacks = [...written.keys()].map(packKey).sort();
  result.bytesAfter = [...written.values()].reduce((a, p) => a + p.bytes, 0);
  await opts.onStep?.('packs');
  log(opts, `storage ${st}: ${plans.length} pack(s) of ${fmt(result.bytesBefore)} rewritten into ${written.size} new pack(s) of ${fmt(result.bytesAfter)}`);

  // set by set: new index(es), sig.next, manifest (commit), restore.sh, sig, then the old objects go
  const rewritten: string[] = [];
  for (const { set } of touched) {
    try {
      await rewriteSet(storage, set.setId, { chosen, moved, written, keys, opts });
      rewritten.push(set.setId);
    } catch (err) {
      // sets committed so far stand (their new packs are referenced); the others keep their old manifest
      const info = toErrorInfo(err);
      throw new CofreError(info.code, `repack stopped at set ${set.setId} on storage ${st}: ${info.message}. Sets rewritten before it: ${rewritten.length ? rewritten.join(', ') : 'none'}; every set is still complete (the old manifest stays until the new one is written)`, {
        hint: 'run `cofre repack` again: it finishes what this run left; packs written and not referenced go by prune\'s garbage collection', cause: err,
      });
    }
  }
  result.setsRewritten = rewritten;
  updateDedupState(ctx.home, storage, moved, written);
  // the console's cached manifests name the old indexes: list again
  await refreshSetsCache(ctx, st, storage).catch((err: unknown) => result.warnings.push(`the sets cache could not be refreshed (${toErrorInfo(err).message}); \`cofre sets\` lists them again`));
  ctx.catalog.audit(ctx.actor, 'packs.repack', st, { storage: st, packs: plans.length, bytesBefore: result.bytesBefore, bytesAfter: result.bytesAfter, sets: rewritten });
  return result;
}

interface RewriteInput {
  chosen: ReadonlySet<string>;
  moved: ReadonlyMap<string, ReadonlyMap<string, string>>;
  written: ReadonlyMap<string, PackRecord>;
  keys: Keys;
  opts: RepackOptions;
}

async function rewriteSet(storage: Storage, setId: string, input: RewriteInput): Promise<void> {
  const { keys, opts } = input;
  // the manifest as stored (every field kept as it is); it must still be the one planned from
  const rawBytes = await storage.getBytes(manifestKey(setId));
  const raw = JSON.parse(rawBytes.toString('utf8')) as Extract<Manifest, { format: 'cofre-set/2' }>;
  const indexes = { ...(raw.indexes ?? {}) };
  const refs = new Set((raw.packs ?? []).map((p) => p.key).filter((k) => !input.chosen.has(k)));
  const superseded: string[] = [];
  const newIndexes: string[] = [];
  try {
    for (const [source, ref] of Object.entries(raw.indexes ?? {})) {
      let changed = false;
      const lines: string[] = [];
      const packsOfIndex = new Set<string>();
      await scanIndex(storage, ref, keys.identities, (e, line) => {
        const k = e.pack ? packKey(e.pack) : '';
        const to = k && input.moved.get(k)?.get(e.member || e.cid);
        if (to) {
          const f = line.split(' ');
          f[13] = to;
          lines.push(f.join(' '));
          packsOfIndex.add(packKey(to));
          changed = true;
        } else {
          if (k && input.chosen.has(k)) throw new CofreError('INTEGRITY', `an entry of ${source} names content that was not moved out of ${k}`, { hint: 'report this; the set was not changed' });
          lines.push(line);
          if (k) packsOfIndex.add(k);
        }
      });
      for (const k of packsOfIndex) refs.add(k);
      if (!changed) continue;
      const text = Buffer.from(`${INDEX_HEADER}\n${lines.join('\n')}${lines.length ? '\n' : ''}`, 'latin1');
      // a new key with the same ending, so readers (and restore.sh) still tell compression by the key alone
      const compressed = isCompressedIndex(ref.key);
      const key = objectKey(setId, `${source}.${randomBytes(4).toString('hex')}.index${compressed ? '.zst' : ''}.age`);
      const sealed = compressed ? await zstdBytes(text, INDEX_ZSTD_LEVEL) : text;
      const out = await storage.put(key, pipeline(Readable.from([sealed]), createEncryptStream(keys.recipients), () => undefined));
      newIndexes.push(key);
      indexes[source] = { key, bytes: out.bytes, sha256: out.sha256 };
      superseded.push(ref.key);
      for (const src of raw.sources) {
        if (src.name !== source) continue;
        src.objects = src.objects.map((o) => (o.format === FILES_V2_FORMAT ? { ...o, key, bytes: out.bytes, sha256: out.sha256, plainBytes: sealed.length } : o));
      }
    }
    await opts.onStep?.(`index:${setId}`);
    const packs: ManifestRef[] = [...refs].sort().map((k) => {
      const name = k.slice(PACKS_PREFIX.length);
      const w = input.written.get(name);
      if (w) return { key: k, bytes: w.bytes, sha256: w.sha256 };
      const old = (raw.packs ?? []).find((p) => p.key === k);
      if (!old) throw new CofreError('INTERNAL', `set ${setId}: pack ${k} is neither in its manifest nor written by this repack`, { hint: 'report this; the set was not changed' });
      return old;
    });
    const base = { ...raw, packs, indexes };
    const script = Buffer.from(restoreScript({ manifest: base, indexes, packs }));
    const scriptRef = { key: raw.restoreScript?.key ?? objectKey(setId, 'restore.sh'), bytes: script.length, sha256: createHash('sha256').update(script).digest('hex') };
    const manifest = { ...base, restoreScript: scriptRef };
    const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    const sig = signManifest(bytes, keys.signingKey as NonNullable<Keys['signingKey']>);
    await storage.putBytes(sigNextKey(setId), sig);
    await opts.onStep?.(`sig-next:${setId}`);
    keys.lease?.assertWithinMaxAge();
    // a prune or `forget` that deleted the set meanwhile (manifest first) must not see it come back
    const now = await storage.getBytes(manifestKey(setId)).catch(() => undefined);
    if (!now?.equals(rawBytes)) {
      throw new CofreError('PRECONDITION', `the manifest of set ${setId} changed or was deleted while repack ran (a prune, a forget or another repack); this set was left as it is`, { hint: 'run `cofre repack` again' });
    }
    await storage.putBytes(manifestKey(setId), bytes); // the commit point
  } catch (err) {
    // nothing of this set changed but new objects no manifest names: they go
    await storage.delete([...newIndexes, sigNextKey(setId)]).catch(() => undefined);
    throw err;
  }
  await opts.onStep?.(`manifest:${setId}`);
  await finishSet(storage, setId, superseded);
  await opts.onStep?.(`done:${setId}`);
  log(opts, `set ${setId} rewritten`);
}

/** After the manifest: restore.sh and manifest.json.sig follow it, sig.next and the superseded indexes go. */
async function finishSet(storage: Storage, setId: string, superseded: readonly string[]): Promise<void> {
  const manifest = JSON.parse((await storage.getBytes(manifestKey(setId))).toString('utf8')) as Extract<Manifest, { format: 'cofre-set/2' }>;
  await writeRestoreScript(storage, manifest);
  const next = sigNextKey(setId);
  if (await storage.head(next)) {
    await storage.putBytes(manifestSigKey(setId), await storage.getBytes(next));
    await storage.delete([next]);
  }
  if (superseded.length) await storage.delete([...superseded]);
}

/** Writes restore.sh as the manifest describes it (only when it comes out with the manifest's hash). */
async function writeRestoreScript(storage: Storage, manifest: Extract<Manifest, { format: 'cofre-set/2' }>): Promise<boolean> {
  const ref = manifest.restoreScript;
  if (!ref) return false;
  const script = Buffer.from(restoreScript({ manifest, indexes: manifest.indexes ?? {}, packs: manifest.packs ?? [] }));
  if (createHash('sha256').update(script).digest('hex') !== ref.sha256) return false;
  const info = await storage.head(ref.key);
  if (info && info.bytes === script.length) {
    const current = createHash('sha256').update(await storage.getBytes(ref.key)).digest('hex');
    if (current === ref.sha256) return false;
  }
  await storage.putBytes(ref.key, script);
  return true;
}

/**
 * Finishes what a stopped repack left on complete sets: a sig.next beside its manifest (the
 * signature is moved in place, or dropped when the manifest's own verifies), a restore.sh that the
 * manifest describes differently (written again), index objects the manifest no longer names.
 */
async function settle(ctx: AppContext, storage: Storage, complete: readonly SetPlan[], opts: RepackOptions): Promise<string[]> {
  const signers = ctx.config.encryption?.signers ?? [];
  const settled: string[] = [];
  for (const { set, manifest } of complete) {
    const objects: string[] = [];
    for await (const o of storage.list(setPrefix(set.setId))) objects.push(o.key);
    const named = new Set(Object.values(manifest.indexes ?? {}).map((r) => r.key));
    const strayIndexes = objects.filter((k) => /\/[^/]+\.index(\.zst)?\.age$/.test(k) && !named.has(k));
    const hasNext = objects.includes(sigNextKey(set.setId));
    let did = false;
    if (hasNext) {
      // stopped before its manifest (sig.next signs a manifest never written: it goes), or after it
      // (the manifest verifies only with sig.next: restore.sh and the signature follow it)
      const bytes = await storage.getBytes(manifestKey(set.setId));
      const own = await storage.getBytes(manifestSigKey(set.setId)).catch(() => Buffer.alloc(0));
      if (verifySshsig(bytes, own.toString('utf8'), signers).ok) {
        await storage.delete([sigNextKey(set.setId)]);
        await writeRestoreScript(storage, manifest);
      } else {
        const next = await storage.getBytes(sigNextKey(set.setId));
        if (!verifySshsig(bytes, next.toString('utf8'), signers).ok) {
          throw new CofreError('INTEGRITY', `set ${set.setId} lists as complete but neither of its signatures verifies its manifest now; repack changes nothing`, { hint: `check the set with \`cofre verify ${set.setId}\`` });
        }
        await finishSet(storage, set.setId, []);
      }
      did = true;
    } else if (await writeRestoreScript(storage, manifest)) {
      did = true;
    }
    if (strayIndexes.length) {
      await storage.delete(strayIndexes);
      did = true;
    }
    if (did) {
      settled.push(set.setId);
      log(opts, `set ${set.setId}: finished what a stopped repack left`);
    }
  }
  return settled;
}

/**
 * Streams one pack (its SHA-256 checked against the manifests at the end: the caller acts on
 * nothing irreversible before this resolves), decrypted and decompressed, member by member.
 */
async function readPack(
  storage: Storage, ref: ManifestRef, identities: readonly string[], opts: RepackOptions, base: number,
  onMember: (cid: string, size: number, body: AsyncIterable<Buffer>) => Promise<void>, total?: number,
): Promise<void> {
  const body = await storage.get(ref.key);
  const hash = createHash('sha256');
  const hasher = new Transform({ transform(chunk: Buffer, _e, cb) { hash.update(chunk); cb(null, chunk); } });
  const meter = new ByteMeter('repack', opts.onProgress, { source: ref.key, totalBytes: total ?? ref.bytes, base });
  let streamError: unknown;
  const fail = (err: unknown): void => { streamError ??= err; };
  let plain: Readable = pipeline(body, meter, hasher, createDecryptStream(identities), (err) => { if (err) fail(err); });
  let unzstd: Promise<void> = Promise.resolve();
  if (isCompressedPack(ref.key)) {
    const child = spawn('zstd', ['-d', '-q', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
    unzstd = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new CofreError('INTEGRITY', `zstd could not decompress ${ref.key} (exit ${code}): ${stderr.trim()}`))));
    });
    unzstd.catch(() => undefined);
    pipeline(plain, child.stdin, (err) => { if (err) fail(err); });
    plain = child.stdout;
  }
  const ex = tarExtract();
  plain.on('error', (err) => { fail(err); ex.destroy(err); });
  plain.pipe(ex);
  try {
    for await (const entry of ex) {
      if (entry.header.type !== 'file') { entry.resume(); continue; }
      await onMember(entry.header.name, entry.header.size ?? 0, entry as AsyncIterable<Buffer>);
    }
    await unzstd;
  } catch (err) {
    body.destroy();
    throw streamError ?? err;
  }
  if (streamError) throw streamError;
  const sha = hash.digest('hex');
  if (sha !== ref.sha256) {
    throw new CofreError('INTEGRITY', `${ref.key}: SHA-256 ${sha} differs from the manifests' ${ref.sha256}; repack changes nothing`, { hint: 'run `cofre verify --deep` on the sets that reference it' });
  }
}

async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of body) { /* skipped member */ }
}

/** Holds one member (memory, or a private temp file when large), checking its content id when the content key is here. */
async function holdMember(body: AsyncIterable<Buffer>, size: number, key: Buffer | undefined, cid: string): Promise<{ body: Buffer | Readable; dispose: () => Promise<void> }> {
  const hmac = key ? contentHmac(key) : undefined;
  const check = (): void => {
    if (hmac && hmac.digest('hex') !== cid) {
      throw new CofreError('INTEGRITY', `a member of a pack does not match its content id ${cid.slice(0, 12)}…; repack changes nothing`, { hint: 'run `cofre verify --deep`; the pack is damaged' });
    }
  };
  if (size <= IN_MEMORY) {
    const chunks: Buffer[] = [];
    for await (const c of body) { hmac?.update(c); chunks.push(c); }
    check();
    return { body: Buffer.concat(chunks), dispose: async () => undefined };
  }
  const dir = await mkdtemp(join(tmpdir(), 'cofre-repack-'));
  const file = join(dir, 'member');
  const out = createWriteStream(file, { mode: 0o600 });
  for await (const c of body) {
    hmac?.update(c);
    if (!out.write(c)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
  check();
  return { body: createReadStream(file), dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** The content key of this host, if it has one (never created here). */
function readContentKey(home: string): Buffer | undefined {
  const file = join(home, 'content-key');
  if (!existsSync(file)) return undefined;
  try {
    return contentKeyFrom(file);
  } catch {
    return undefined;
  }
}

function contentKeyFrom(file: string): Buffer | undefined {
  const text = readFileSync(file, 'utf8').trim();
  return /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/** On the backup host: its dedup state learns where the moved contents live now (so backups reuse the new packs, not the old). */
function updateDedupState(home: string, storage: Storage, moved: ReadonlyMap<string, ReadonlyMap<string, string>>, written: ReadonlyMap<string, PackRecord>): void {
  if (!stateExists(home)) return;
  const state = FilesState.open(home);
  try {
    const moves: Array<{ cid: string; from: string; to: string }> = [];
    for (const [from, map] of moved) for (const [cid, to] of map) moves.push({ cid, from: from.slice(PACKS_PREFIX.length), to });
    state.repoint(storageIdentity(storage), moves, [...written.values()]);
  } finally {
    state.close();
  }
}

function pct(part: number, whole: number): string {
  return `${whole > 0 ? Math.round((part / whole) * 100) : 0}%`;
}

function fmt(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}
