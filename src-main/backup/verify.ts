/**
 * `cofre verify`: quick checks that every object of a set exists with the recorded size;
 * `--deep` downloads each object, checks its SHA-256, decrypts it with the identity and checks
 * that the dump inside is readable (pg_restore --list, tar listing counts, SQL dump trailer).
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { Transform, Writable, pipeline } from 'node:stream';
import { CofreError, toErrorInfo } from '../errors.js';
import type { Storage } from '../storage/types.js';
import type { Manifest, ManifestObject } from '../../shared/domain.js';
import { createDecryptStream } from '../crypto/age.js';
import { TarCounter } from '../sources/tar-counter.js';
import { ByteMeter, type ProgressListener } from '../util/progress.js';
import { listSets } from './sets.js';
import { checkIndexContent, checkPacks } from '../files2/verify.js';

export interface VerifyCheck {
  name: string;
  ok: boolean;
  message: string;
}

export interface VerifyResult {
  setId: string;
  deep: boolean;
  ok: boolean;
  checks: VerifyCheck[];
}

export async function findSet(storage: Storage, setId: string): Promise<{ manifest: Manifest }> {
  const set = (await listSets(storage)).find((s) => s.setId === setId);
  if (!set) throw new CofreError('SET_NOT_FOUND', `no set ${setId} in ${storage.describe}`, { hint: 'run `cofre sets` to list the restore points' });
  if (!set.complete || !set.manifest) {
    throw new CofreError('SET_INCOMPLETE', `set ${setId} is incomplete: ${set.problem ?? 'unknown reason'}`, { hint: 'choose another set; prune removes incomplete ones' });
  }
  return { manifest: set.manifest };
}

export async function verifySet(
  storage: Storage,
  setId: string,
  opts: { deep: boolean; identities?: string[]; onProgress?: ProgressListener },
): Promise<VerifyResult> {
  const { manifest } = await findSet(storage, setId);
  const checks: VerifyCheck[] = [{ name: 'manifest', ok: true, message: `manifest present; ${manifest.sources.length} source(s), every object present with its recorded size` }];
  checks.push(...(await checkPacks(storage, manifest, { deep: opts.deep && Boolean(opts.identities?.length), identities: opts.identities, onProgress: opts.onProgress })));
  if (opts.deep) {
    if (!opts.identities?.length) {
      throw new CofreError('KEY_UNREADABLE', 'deep verification needs the age identity (private key)', { hint: 'set encryption.identityFile in the config' });
    }
    for (const src of manifest.sources) {
      for (const o of src.objects) {
        checks.push(await deepCheck(storage, o, opts.identities, opts.onProgress));
      }
    }
  }
  return { setId, deep: opts.deep, ok: checks.every((c) => c.ok), checks };
}

async function deepCheck(storage: Storage, o: ManifestObject, identities: string[], onProgress?: ProgressListener): Promise<VerifyCheck> {
  const name = o.key.split('/').pop() ?? o.key;
  try {
    const body = await storage.get(o.key);
    const hash = createHash('sha256');
    const hasher = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    const meter = new ByteMeter('verify', onProgress, { source: name, totalBytes: o.bytes });
    const plain = pipeline(body, meter, hasher, createDecryptStream(identities), () => undefined);
    const content = await checkContent(o, plain);
    const sha = hash.digest('hex');
    if (sha !== o.sha256) return { name, ok: false, message: `SHA-256 mismatch: stored object is ${sha}, manifest says ${o.sha256}` };
    return { name, ok: content.ok, message: `hash ok, decrypts, ${content.message}` };
  } catch (err) {
    return { name, ok: false, message: toErrorInfo(err).message };
  }
}

async function checkContent(o: ManifestObject, plain: NodeJS.ReadableStream): Promise<{ ok: boolean; message: string }> {
  if (o.format === 'files-v2') return checkIndexContent(o, plain);
  if (o.format === 'tar') {
    const counter = new TarCounter();
    counter.resume(); // only the counts matter here: discard the bytes it passes through
    await drain(plain, counter);
    const { entries, fileBytes } = counter.counts;
    const ok = entries === o.fileCount && fileBytes === o.fileBytes;
    return { ok, message: `tar lists ${entries} entries, ${fileBytes} file bytes${ok ? '' : ` (manifest: ${o.fileCount}, ${o.fileBytes})`}` };
  }
  if (o.format === 'pgdump') return pgRestoreList(plain);
  // SQL dumps: mysqldump ends with "-- Dump completed", pg_dumpall with "dump complete".
  let head = '';
  let tail = '';
  await drain(plain, new Writable({
    write(chunk: Buffer, _e, cb) {
      if (head.length < 200) head += chunk.toString('utf8', 0, Math.min(chunk.length, 200));
      tail = (tail + chunk.toString('utf8')).slice(-300);
      cb();
    },
  }));
  const ok = /-- (MariaDB|MySQL) dump|PostgreSQL database cluster dump/.test(head) && /(Dump completed|dump complete)/.test(tail);
  return { ok, message: ok ? 'SQL dump complete (header and trailer present)' : 'SQL dump lacks its header or completion trailer' };
}

function drain(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    pipeline(from, to as Writable, (err) => (err ? reject(err) : resolve()));
  });
}

function pgRestoreList(plain: NodeJS.ReadableStream): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve, reject) => {
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
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') resolve({ ok: true, message: 'pg_restore is not installed here: format not checked' });
      else reject(err);
    });
    pipeline(plain, child.stdin, (err) => {
      if (err && (err as NodeJS.ErrnoException).code !== 'EPIPE') reject(err);
    });
    child.on('close', (code) => {
      resolve(code === 0 ? { ok: true, message: `pg_restore --list reads ${entries} entries` } : { ok: false, message: `pg_restore --list failed: ${stderr.trim()}` });
    });
  });
}
