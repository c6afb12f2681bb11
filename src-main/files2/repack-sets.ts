/**
 * `cofre repack`, step 3: the sets, one at a time. A new index under a new key
 * (`<source>.<8 hex>.index[.zst].age`, never the object the signed manifest points to), streamed
 * to storage as the old one is read (IndexUpload: memory does not grow with the index); then the
 * new manifest's signature as `manifest.json.sig.next`, then the manifest (the commit point: the
 * old manifest stays valid until this put), then restore.sh and manifest.json.sig, and only then
 * the superseded objects go. A crash at any point leaves every set complete: before the manifest
 * put, the old manifest with its old index and old packs (untouched); after it, the new one,
 * authenticated by sig.next until sig is replaced (app/signing.ts). A later repack finishes what
 * a stopped one left (`settle`).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../app/context.js';
import { MANIFEST_SIG_NEXT, signManifest, type loadSigningKey } from '../app/signing.js';
import type { Lease } from '../backup/lease.js';
import { manifestKey, manifestSigKey, objectKey, setPrefix } from '../backup/layout.js';
import { verifySshsig } from '../crypto/sshsig.js';
import { CofreError } from '../errors.js';
import type { Storage } from '../storage/types.js';
import type { ManifestRef } from '../../shared/domain.js';
import { FILES_V2_FORMAT } from './backup.js';
import { escapeField, isCompressedIndex, memberField, shortCid } from './index-format.js';
import { IndexUpload, type UploadedIndex } from './index-upload.js';
import { PACKS_PREFIX, packKey } from './packs.js';
import type { SetPlan, V2Manifest } from './repack-plan.js';
import type { RepackScratch } from './repack-scratch.js';
import { restoreScript } from './restore-script.js';
import { scanIndex } from './restore.js';
import type { PackRecord } from './state.js';

export const sigNextKey = (setId: string): string => objectKey(setId, MANIFEST_SIG_NEXT);

export interface RewriteInput {
  storage: Storage;
  /** the packs rewritten (keys) and the packs written in their place (by name) */
  chosen: ReadonlySet<string>;
  written: ReadonlyMap<string, PackRecord>;
  scratch: RepackScratch;
  identities: readonly string[];
  recipients: readonly string[];
  signingKey: NonNullable<Awaited<ReturnType<typeof loadSigningKey>>>;
  lease: Lease | undefined;
  /** tests: called after each step (`index:<setId>`, `sig-next:<setId>`, `manifest:<setId>`, `done:<setId>`) */
  onStep?: ((step: string) => Promise<void> | void) | undefined;
  log: (line: string) => void;
}

/** Rewrites one set that references a chosen pack: its indexes, restore.sh, manifest and signature. */
export async function rewriteSet(setId: string, input: RewriteInput): Promise<void> {
  const { storage } = input;
  // the manifest as stored (every field kept as it is); it must still be the one planned from
  const rawBytes = await storage.getBytes(manifestKey(setId));
  const raw = JSON.parse(rawBytes.toString('utf8')) as V2Manifest;
  const indexes = { ...(raw.indexes ?? {}) };
  const refs = new Set((raw.packs ?? []).map((p) => p.key).filter((k) => !input.chosen.has(k)));
  const superseded: string[] = [];
  const newIndexes: string[] = [];
  try {
    for (const [source, ref] of Object.entries(raw.indexes ?? {})) {
      const out = await rewriteIndex(setId, source, ref, input);
      for (const k of out.packs) refs.add(k);
      if (!out.uploaded) continue;
      const { key, bytes, sha256, plainBytes } = out.uploaded;
      newIndexes.push(key);
      indexes[source] = { key, bytes, sha256 };
      superseded.push(ref.key);
      for (const src of raw.sources) {
        if (src.name !== source) continue;
        src.objects = src.objects.map((o) => (o.format === FILES_V2_FORMAT ? { ...o, key, bytes, sha256, plainBytes } : o));
      }
    }
    await input.onStep?.(`index:${setId}`);
    const packs: ManifestRef[] = [...refs].sort().map((k) => {
      const w = input.written.get(k.slice(PACKS_PREFIX.length));
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
    const sig = signManifest(bytes, input.signingKey);
    await storage.putBytes(sigNextKey(setId), sig);
    await input.onStep?.(`sig-next:${setId}`);
    input.lease?.assertWithinMaxAge();
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
  await input.onStep?.(`manifest:${setId}`);
  await finishSet(storage, setId, superseded);
  await input.onStep?.(`done:${setId}`);
  input.log(`set ${setId} rewritten`);
}

/**
 * One index, read (streamed, hash-checked at its end) and written again as it is read (a
 * `cofre-files-index/2` header), with every entry whose content moved pointing at its new pack by
 * the short form of its content id (`shortCid`, member `-`); the other entries stay as they were
 * (whole ids, for a pack written before short names were kept unique in a pack). `uploaded` is undefined when no entry moved
 * (the new object then goes: the old index stays). `packs`: the pack keys the index names.
 */
async function rewriteIndex(setId: string, source: string, ref: ManifestRef, input: RewriteInput): Promise<{ uploaded: UploadedIndex | undefined; packs: Set<string> }> {
  // a new key with the same ending, so readers (and restore.sh) still tell compression by the key alone
  const key = objectKey(setId, `${source}.${randomBytes(4).toString('hex')}.index${isCompressedIndex(ref.key) ? '.zst' : ''}.age`);
  const upload = new IndexUpload(input.storage, key, input.recipients, ref.bytes + 64 * 1024);
  const packs = new Set<string>();
  let changed = false;
  try {
    await scanIndex(input.storage, ref, input.identities, async (e, line) => {
      const k = e.pack ? packKey(e.pack) : '';
      const moved = k && input.chosen.has(k) ? input.scratch.live(k, memberField(e)) : undefined;
      const to = moved?.moved;
      if (to && moved.name) {
        // its new pack was written by PackWriter (short names unique in it): the short form, no member field
        const f = line.split(' ');
        f[12] = escapeField(shortCid(moved.name));
        f[13] = to;
        f[14] = '-';
        await upload.line(f.join(' '));
        packs.add(packKey(to));
        changed = true;
        return;
      }
      if (k && input.chosen.has(k)) throw new CofreError('INTEGRITY', `an entry of ${source} names content that was not moved out of ${k}`, { hint: 'report this; the set was not changed' });
      await upload.line(line);
      if (k) packs.add(k);
    });
  } catch (err) {
    await upload.abort();
    throw err;
  }
  if (!changed) {
    await upload.abort();
    return { uploaded: undefined, packs };
  }
  return { uploaded: await upload.finish(), packs };
}

/** After the manifest: restore.sh and manifest.json.sig follow it, sig.next and the superseded indexes go. */
async function finishSet(storage: Storage, setId: string, superseded: readonly string[]): Promise<void> {
  const manifest = JSON.parse((await storage.getBytes(manifestKey(setId))).toString('utf8')) as V2Manifest;
  await writeRestoreScript(storage, manifest);
  const next = sigNextKey(setId);
  if (await storage.head(next)) {
    await storage.putBytes(manifestSigKey(setId), await storage.getBytes(next));
    await storage.delete([next]);
  }
  if (superseded.length) await storage.delete([...superseded]);
}

/** Writes restore.sh as the manifest describes it (only when it comes out with the manifest's hash). */
async function writeRestoreScript(storage: Storage, manifest: V2Manifest): Promise<boolean> {
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
export async function settle(ctx: AppContext, storage: Storage, complete: readonly SetPlan[], log: (line: string) => void): Promise<string[]> {
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
      log(`set ${set.setId}: finished what a stopped repack left`);
    }
  }
  return settled;
}
