/**
 * Verify for format 2: every pack a set references exists with its recorded size (from one
 * listing of `packs/`, no identity needed); with `deep`, each pack is read once: its SHA-256
 * checked, decrypted, decompressed and its tar members counted; the index is parsed.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { Readable} from 'node:stream';
import { Transform, pipeline } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import { toErrorInfo } from '../errors.js';
import type { Storage } from '../storage/types.js';
import type { Manifest, ManifestObject } from '../../shared/domain.js';
import { createDecryptStream } from '../crypto/age.js';
import { ByteMeter, type ProgressListener } from '../util/progress.js';
import { parseIndex } from './index-format.js';
import { expectedCounts } from './restore.js';
import { PACKS_PREFIX, isCompressedPack } from './packs.js';

export interface PackCheck {
  name: string;
  ok: boolean;
  message: string;
}

export async function checkPacks(
  storage: Storage,
  manifest: Manifest,
  opts: { deep: boolean; identities?: readonly string[] | undefined; onProgress?: ProgressListener | undefined },
): Promise<PackCheck[]> {
  if (manifest.format !== 'cofre-set/2') return [];
  const packs = manifest.packs ?? [];
  const out: PackCheck[] = [];
  const sizes = new Map<string, number>();
  for await (const o of storage.list(PACKS_PREFIX)) sizes.set(o.key, o.bytes);
  const bad = packs.filter((p) => sizes.get(p.key) !== p.bytes);
  out.push(bad.length === 0
    ? { name: 'packs', ok: true, message: `${packs.length} pack(s) referenced, every one present with its recorded size` }
    : { name: 'packs', ok: false, message: `${bad.length} of ${packs.length} pack(s) missing or of the wrong size: ${bad.slice(0, 5).map((p) => `${p.key} (${sizes.has(p.key) ? `${sizes.get(p.key)} bytes, expected ${p.bytes}` : 'missing'})`).join(', ')}${bad.length > 5 ? ', …' : ''}` });
  if (!opts.deep || !opts.identities) return out;
  for (const p of packs) {
    if (bad.includes(p)) continue;
    out.push(await deepPack(storage, p, opts.identities, opts.onProgress));
  }
  return out;
}

async function deepPack(storage: Storage, p: { key: string; bytes: number; sha256: string }, identities: readonly string[], onProgress?: ProgressListener): Promise<PackCheck> {
  const name = p.key;
  try {
    const body = await storage.get(p.key);
    const hash = createHash('sha256');
    const hasher = new Transform({ transform(chunk: Buffer, _e, cb) { hash.update(chunk); cb(null, chunk); } });
    const meter = new ByteMeter('verify', onProgress, { source: name, totalBytes: p.bytes });
    let streamError: unknown;
    let plain: Readable = pipeline(body, meter, hasher, createDecryptStream(identities), (err) => { if (err) streamError ??= err; });
    let zstdExit: Promise<number | null> = Promise.resolve(0);
    if (isCompressedPack(p.key)) {
      const child = spawn('zstd', ['-d', '-q', '-c'], { stdio: ['pipe', 'pipe', 'ignore'] });
      zstdExit = new Promise((resolve) => { child.on('close', resolve); child.on('error', () => resolve(null)); });
      pipeline(plain, child.stdin, (err) => { if (err) streamError ??= err; });
      plain = child.stdout;
    }
    const ex = tarExtract();
    plain.on('error', (err) => ex.destroy(err));
    plain.pipe(ex);
    let members = 0;
    let bytes = 0;
    for await (const entry of ex) {
      members++;
      bytes += entry.header.size ?? 0;
      entry.resume();
    }
    const code = await zstdExit;
    if (streamError) throw streamError;
    const sha = hash.digest('hex');
    if (sha !== p.sha256) return { name, ok: false, message: `SHA-256 mismatch: stored pack is ${sha}, manifest says ${p.sha256}` };
    if (code !== 0) return { name, ok: false, message: 'hash ok, decrypts, but zstd could not decompress it' };
    return { name, ok: true, message: `hash ok, decrypts, ${members} member(s), ${bytes} content bytes` };
  } catch (err) {
    return { name, ok: false, message: toErrorInfo(err).message };
  }
}

/** Deep verify of an index object's plaintext: every line parses and the counts match the manifest. */
export async function checkIndexContent(o: ManifestObject, plain: NodeJS.ReadableStream): Promise<{ ok: boolean; message: string }> {
  const chunks: Buffer[] = [];
  for await (const c of plain) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  const entries = parseIndex(Buffer.concat(chunks).toString('utf8'));
  const counts = expectedCounts(entries);
  const ok = counts.entries === o.fileCount && counts.bytes === o.fileBytes;
  return { ok, message: `index lists ${entries.length} entries, ${counts.bytes} file bytes${ok ? '' : ` (manifest: ${o.fileCount}, ${o.fileBytes})`}` };
}
