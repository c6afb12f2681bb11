/**
 * `cofre verify`: quick checks that every object of a set exists with the recorded size;
 * `--deep` reads each object whole: its SHA-256 over every stored byte, its decryption with the
 * identity (every chunk authenticated), and the dump inside (pg_restore --list, tar listing
 * counts, SQL dump trailer; a `.zst` stream decompressed first with the zstd CLI). A format
 * checker that cannot run here (pg_restore or zstd not installed) leaves that object
 * "unchecked", never "ok".
 */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { CofreError, toErrorInfo, type ErrorInfo } from '../errors.js';
import { said, type CatalogKey, type MessageParams } from '../../shared/i18n/catalog.js';
import type { Storage } from '../storage/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { CheckStatus, Manifest, ManifestObject, ManifestRef } from '../../shared/domain.js';
import { TarCounter } from '../sources/tar-counter.js';
import type { ProgressListener } from '../util/progress.js';
import { drainInspector, hashStoredObject, readStoredObject, sinkInspector, type Inspector, type ReadOutcome } from './object-reader.js';
import { listSets, type SetAuthenticator } from './sets.js';
import { checkPackPresence, forgetBadPacks, indexInspector } from '../files2/verify.js';
import { isCompressedIndex } from '../files2/index-format.js';
import { zstdInspector } from './zstd-inspector.js';
import { checkSetRetention, objectLockPolicy } from '../storage/object-lock.js';
import { manifestKey, manifestSigKey } from './layout.js';

export interface VerifyCheck {
  name: string;
  /** true only when the check passed (status 'ok'); kept for older readers */
  ok: boolean;
  status: CheckStatus;
  message: string;
  key?: CatalogKey;
  params?: MessageParams;
  cause?: ErrorInfo;
}

export interface VerifyResult {
  setId: string;
  deep: boolean;
  /** true only when every check passed */
  ok: boolean;
  /** 'failed' when any check failed, else 'unchecked' when any could not be made, else 'ok' */
  status: CheckStatus;
  checks: VerifyCheck[];
  /** format 2: keys of the packs found missing, of the wrong size or hash, or not decrypting */
  badPacks?: string[];
}

export function check(name: string, status: CheckStatus, message: string): VerifyCheck {
  const key = name === 'manifest' ? said('check.manifest') : said(status === 'unchecked' ? 'check.contentUnchecked' : 'check.deepObject', { object: name });
  return { name, ok: status === 'ok', status, message, ...key };
}

/** The worst status of a list: failed > unchecked > ok. */
export function overallStatus(checks: ReadonlyArray<{ status?: CheckStatus | undefined; ok: boolean }>): CheckStatus {
  const statuses = checks.map((c) => c.status ?? (c.ok ? 'ok' : 'failed'));
  if (statuses.includes('failed')) return 'failed';
  return statuses.includes('unchecked') ? 'unchecked' : 'ok';
}

/** A set with a good manifest: complete, or unsigned (verified all the same; the signature is one of the checks). */
export async function findSet(storage: Storage, setId: string, authenticate: SetAuthenticator): Promise<{ manifest: Manifest; signature: VerifyCheck }> {
  const set = (await listSets(storage, { authenticate })).find((s) => s.setId === setId);
  if (!set) throw new CofreError('SET_NOT_FOUND', `no set ${setId} in ${storage.describe}`, { hint: 'run `cofre sets` to list the restore points', ...said('set.notFound', { setId }) });
  // a set doubtful only for its packs has a good, authentic manifest: it is checked whole (the packs' checks fail)
  if ((set.state !== 'complete' && set.state !== 'unsigned' && !set.packsDoubtful) || !set.manifest) {
    throw new CofreError('SET_INCOMPLETE', `set ${setId} is ${set.state}: ${set.problem ?? 'unknown reason'}`, { hint: 'choose another set; prune removes incomplete ones', ...said('set.incomplete', { setId }) });
  }
  const signature = set.state !== 'unsigned'
    ? check(SIGNATURE_CHECK, 'ok', 'manifest signed by a configured signer')
    : check(SIGNATURE_CHECK, 'failed', `unsigned: ${set.problem ?? 'no valid signature'}`);
  return { manifest: set.manifest, signature };
}

/** The name of the check that reports the manifest's signature. */
export const SIGNATURE_CHECK = 'signature';

export async function verifySet(
  storage: Storage,
  setId: string,
  opts: {
    deep: boolean; authenticate: SetAuthenticator; identities?: string[]; onProgress?: ProgressListener;
    /** $COFRE_HOME of this backup host: packs found bad are no longer reused by its deduplication */
    dedupHome?: string; now?: () => Date;
  },
): Promise<VerifyResult> {
  const { manifest, signature } = await findSet(storage, setId, opts.authenticate);
  const checks: VerifyCheck[] = [check('manifest', 'ok', `manifest present; ${manifest.sources.length} source(s), every object present with its recorded size`), signature];
  const badPacks = new Set<string>();
  for (const p of await checkPackPresence(storage, manifest)) {
    checks.push(check(p.name, p.status, p.message));
    for (const k of p.bad) badPacks.add(k);
  }
  if (objectLockPolicy(storage)) {
    const keys = [
      manifestSigKey(setId),
      ...manifest.sources.flatMap((src) => src.objects.map((o) => o.key)),
      ...(manifest.format === 'cofre-set/2' ? [...(manifest.packs ?? []).map((p) => p.key), ...(manifest.restoreScript ? [manifest.restoreScript.key] : [])] : []),
    ];
    const lock = await checkSetRetention(storage, manifestKey(setId), [...new Set(keys)]);
    checks.push({ name: 'object lock', ok: lock.status === 'ok', status: lock.status, message: lock.message, ...said('objlock.check') });
  }
  if (opts.deep) {
    if (!opts.identities?.length) {
      throw new CofreError('KEY_UNREADABLE', 'deep verification needs the age identity (private key)', { hint: 'set encryption.identityFile in the config', ...said('verify.needsIdentity') });
    }
    for (const src of manifest.sources) {
      for (const o of src.objects) {
        checks.push(await deepCheck(storage, o, opts.identities, opts.onProgress));
      }
    }
    if (manifest.format === 'cofre-set/2') {
      for (const ref of Object.values(manifest.indexes ?? {})) checks.push(await refCheck(storage, ref, opts.identities, opts.onProgress));
      for (const ref of manifest.packs ?? []) {
        const c = await refCheck(storage, ref, opts.identities, opts.onProgress);
        checks.push(c);
        // read and found wrong (hash, size, decryption); a read that failed (network, cancelled) proves nothing
        if (c.status === 'failed' && !c.cause) badPacks.add(ref.key);
      }
      if (manifest.restoreScript) checks.push(await refCheck(storage, manifest.restoreScript, undefined, opts.onProgress));
    }
  }
  if (opts.dedupHome && badPacks.size > 0) {
    await forgetBadPacks(opts.dedupHome, storage, [...badPacks], `verify${opts.deep ? ' --deep' : ''} of set ${setId}`, (opts.now ?? (() => new Date()))());
  }
  const status = overallStatus(checks);
  return { setId, deep: opts.deep, ok: status === 'ok', status, checks, ...(badPacks.size > 0 ? { badPacks: [...badPacks].sort() } : {}) };
}

/** The objects whose stored bytes differ from the manifest's SHA-256 (the set is corrupted there). */
export function hashFailures(r: VerifyResult): VerifyCheck[] {
  return r.checks.filter((c) => c.status === 'failed' && /SHA-256 .* differs/.test(c.message));
}

/**
 * Records in the catalog that a set failed its hash check on a storage (audit trail, shown by
 * the console's Auditoria), so the set is known to be bad beyond this one run.
 */
export function recordHashFailure(catalog: Catalog, actor: string, f: { setId: string; storage: string; object: string; message: string; during: string }): string {
  const line = `set ${f.setId} failed hash check on storage ${f.storage}: ${f.object} (${f.during})`;
  catalog.audit(actor, 'set.hash_failed', f.setId, { storage: f.storage, object: f.object, during: f.during, message: f.message });
  return line;
}

type ContentVerdict = { status: CheckStatus; message: string };

function inspectorFor(o: ManifestObject): Inspector<ContentVerdict> {
  if (o.format === 'tar') return tarInspector(o);
  if (o.format === 'pgdump') return pgRestoreListInspector();
  if (o.format === 'sql') return sqlInspector();
  if (o.format === 'files-v2') {
    if (!isCompressedIndex(o.key)) return indexInspector(o);
    return zstdInspector(indexInspector(o), {
      missing: () => ({ status: 'unchecked', message: 'zstd is not installed here: the compressed index was NOT checked (install zstd to check it)' }),
      failed: (m) => ({ status: 'failed', message: `the index does not decompress (zstd: ${m})` }),
    });
  }
  return zstdInspector(o.format === 'tar.zst' ? tarInspector(o) : sqlInspector(), {
    missing: () => ({ status: 'unchecked', message: `zstd is not installed here: the ${o.format} content was NOT checked (install zstd to check it)` }),
    failed: (m) => ({ status: 'failed', message: `the ${o.format} stream does not decompress (zstd: ${m})` }),
  });
}

/** Describes a whole read of one object as a check: hash first, then decryption, then content. */
export function describeRead(name: string, o: ManifestObject, r: ReadOutcome<ContentVerdict | undefined>): VerifyCheck {
  if (!r.hashOk) {
    const also = r.decryptError ? `; it does not decrypt either (${r.decryptError})` : '';
    return check(name, 'failed', `SHA-256 ${r.sha256} differs from the manifest's ${o.sha256} (${r.storedBytes} bytes read): the stored object is corrupted${also}; restore another set (cofre sets) or from another copy`);
  }
  if (r.storedBytes !== o.bytes) return check(name, 'failed', `${r.storedBytes} bytes read, the manifest says ${o.bytes}`);
  if (r.decryptError) return check(name, 'failed', `hash ok but the object does not decrypt: ${r.decryptError}`);
  if (r.plainBytes !== o.plainBytes) return check(name, 'failed', `hash ok, decrypts to ${r.plainBytes} bytes but the manifest says ${o.plainBytes}`);
  if (!r.inspected) return check(name, 'ok', `hash ok, decrypts (${r.plainBytes} bytes)`);
  const c = r.inspected;
  return check(name, c.status, `hash ok, decrypts, ${c.message}`);
}

async function deepCheck(storage: Storage, o: ManifestObject, identities: string[], onProgress?: ProgressListener): Promise<VerifyCheck> {
  const name = o.key.split('/').pop() ?? o.key;
  try {
    const r = await readStoredObject(storage, o, identities, inspectorFor(o), { onProgress, phase: 'verify' });
    return describeRead(name, o, r);
  } catch (err) {
    const e = toErrorInfo(err);
    return { ...check(name, 'failed', `could not be read: ${e.message}`), cause: e };
  }
}

/**
 * A format-2 object outside the set's own list (index, pack: age-encrypted, read and decrypted
 * whole; restore.sh: plaintext, hashed): checked against the manifest's size and SHA-256.
 */
async function refCheck(storage: Storage, ref: ManifestRef, identities: string[] | undefined, onProgress?: ProgressListener): Promise<VerifyCheck> {
  const name = ref.key.split('/').slice(-2).join('/');
  try {
    if (!identities) {
      const r = await hashStoredObject(storage, ref.key);
      return r.sha256 === ref.sha256 && r.bytes === ref.bytes
        ? check(name, 'ok', 'hash ok')
        : check(name, 'failed', `SHA-256 ${r.sha256} differs from the manifest's ${ref.sha256} (${r.bytes} bytes read): the stored object is corrupted`);
    }
    const r = await readStoredObject(storage, ref, identities, drainInspector(), { onProgress, phase: 'verify' });
    if (!r.hashOk) return check(name, 'failed', `SHA-256 ${r.sha256} differs from the manifest's ${ref.sha256} (${r.storedBytes} bytes read): the stored object is corrupted`);
    if (r.storedBytes !== ref.bytes) return check(name, 'failed', `${r.storedBytes} bytes read, the manifest says ${ref.bytes}`);
    if (r.decryptError) return check(name, 'failed', `hash ok but the object does not decrypt: ${r.decryptError}`);
    return check(name, 'ok', `hash ok, decrypts (${r.plainBytes} bytes)`);
  } catch (err) {
    const e = toErrorInfo(err);
    return { ...check(name, 'failed', `could not be read: ${e.message}`), cause: e };
  }
}

function tarInspector(o: ManifestObject): Inspector<ContentVerdict> {
  const counter = new TarCounter();
  counter.resume(); // only the counts matter here: discard the bytes it passes through
  return sinkInspector(counter, () => {
    const { entries, fileBytes } = counter.counts;
    const ok = entries === o.fileCount && fileBytes === o.fileBytes;
    return { status: ok ? 'ok' : 'failed', message: `tar lists ${entries} entries, ${fileBytes} file bytes${ok ? '' : ` (manifest: ${o.fileCount}, ${o.fileBytes})`}` };
  });
}

function sqlInspector(): Inspector<ContentVerdict> {
  // mysqldump ends with "-- Dump completed", pg_dumpall with "dump complete"
  let head = '';
  let tail = '';
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      if (head.length < 200) head += chunk.toString('utf8', 0, Math.min(chunk.length, 200));
      tail = (tail + chunk.toString('utf8')).slice(-300);
      cb();
    },
  });
  return sinkInspector(sink, () => {
    const ok = /-- (MariaDB|MySQL) dump|PostgreSQL database cluster dump/.test(head) && /(Dump completed|dump complete)/.test(tail);
    return { status: ok ? 'ok' : 'failed', message: ok ? 'SQL dump complete (header and trailer present)' : 'SQL dump lacks its header or completion trailer' };
  });
}

/**
 * `pg_restore --list` reads the table of contents and exits: the reader drains the rest. A
 * pg_restore that is not installed here leaves the format unchecked.
 */
export function pgRestoreListInspector(): Inspector<ContentVerdict> {
  const child = spawn('pg_restore', ['--list'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let entries = 0;
  let stderr = '';
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    entries += lines.filter((l) => l && !l.startsWith(';')).length;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  const verdict = new Promise<ContentVerdict>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      resolve(err.code === 'ENOENT'
        ? { status: 'unchecked', message: 'pg_restore is not installed here: the dump format was NOT checked (install the PostgreSQL client tools to check it)' }
        : { status: 'failed', message: `pg_restore --list could not run: ${err.message}` });
    });
    child.once('close', (code) => {
      resolve(code === 0 ? { status: 'ok', message: `pg_restore --list reads ${entries} entries` } : { status: 'failed', message: `pg_restore --list failed: ${stderr.trim() || `exit ${code}`}` });
    });
  });
  return { stream: child.stdin, abort: () => child.kill(), result: () => verdict };
}
