/**
 * Packs: tar archives of file contents, one member per content id, zstd-compressed (the `zstd`
 * CLI, the tool restore.sh uses too) when the source's `compress` is on, encrypted to the
 * recipients and stored as `packs/<32 random hex>.tar[.zst].age`: the name reveals nothing.
 * A pack is closed once its plaintext reaches the target size; the next member opens a new one.
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { Readable, pipeline, type Writable } from 'node:stream';
import { pack as tarPack, type Pack } from 'tar-stream';
import { CofreError } from '../errors.js';
import { createEncryptStream } from '../crypto/age.js';
import type { Storage } from '../storage/types.js';
import type { PackRecord } from './state.js';

export const PACKS_PREFIX = 'packs/';
/** Default pack size (plaintext): large enough to keep object counts low, small enough to fetch one file cheaply. */
export const DEFAULT_PACK_BYTES = 64 * 1024 * 1024;

export const PACK_NAME = /^[0-9a-f]{32}\.tar(\.zst)?\.age$/;

export function packKey(pack: string): string {
  return `${PACKS_PREFIX}${pack}`;
}

export function isCompressedPack(pack: string): boolean {
  return pack.endsWith('.tar.zst.age');
}

interface OpenPack {
  name: string;
  tar: Pack;
  plainBytes: number;
  zstd: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  zstdDone: Promise<void>;
  stored: Promise<{ bytes: number; sha256: string }>;
}

export class PackWriter {
  private current: OpenPack | undefined;
  readonly written: PackRecord[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly recipients: readonly string[],
    private readonly opts: { compress: boolean; targetBytes: number; signal?: AbortSignal | undefined },
  ) {}

  /** Adds one member (content `cid`) and returns the pack it went into. */
  async add(cid: string, data: Buffer | Readable, size: number): Promise<string> {
    const p = this.current ?? this.open();
    const written = new Promise<void>((resolve, reject) => {
      const header = { name: cid, size, mode: 0o600, mtime: new Date(0), type: 'file' as const };
      if (Buffer.isBuffer(data)) {
        // errors reach the callback; the sink's own error event (abort() destroys it) has no reader
        p.tar.entry(header, data, (err) => (err ? reject(err) : resolve())).on('error', () => undefined);
      } else {
        const entry = p.tar.entry(header, (err) => (err ? reject(err) : resolve()));
        pipeline(data, entry, (err) => { if (err) reject(err); });
      }
    });
    written.catch(() => undefined); // after a failed upload, abort() ends the entry: nobody waits for it then
    // an upload that fails stops the member from waiting forever
    await Promise.race([written, p.stored.then(() => undefined), p.zstdDone.then(() => new Promise<void>(() => undefined))]);
    p.plainBytes += size;
    if (p.plainBytes >= this.opts.targetBytes) await this.close();
    return p.name;
  }

  /** Closes the open pack (if any) and waits for its upload. */
  async close(): Promise<void> {
    const p = this.current;
    if (!p) return;
    this.current = undefined;
    p.tar.finalize();
    const [stored] = await Promise.all([p.stored, p.zstdDone]);
    this.written.push({ pack: p.name, bytes: stored.bytes, sha256: stored.sha256 });
  }

  /** After a failure: stops the open pack's upload (storage leaves nothing under its key). */
  abort(): void {
    const p = this.current;
    this.current = undefined;
    if (!p) return;
    p.tar.destroy(new CofreError('CANCELLED', 'pack abandoned'));
    p.zstd?.kill();
    p.stored.catch(() => undefined);
    p.zstdDone.catch(() => undefined);
  }

  private open(): OpenPack {
    const name = `${randomBytes(16).toString('hex')}.tar${this.opts.compress ? '.zst' : ''}.age`;
    const tar = tarPack();
    let zstd: OpenPack['zstd'];
    // tar-stream's streams are streamx streams: bridge through its async iterator
    let plain: Readable = Readable.from(tar);
    let zstdDone: Promise<void> = Promise.resolve();
    if (this.opts.compress) {
      const child = spawn('zstd', ['-q', '-c', '-3', '-T0'], { stdio: ['pipe', 'pipe', 'pipe'] });
      zstd = child;
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
      zstdDone = new Promise((resolve, reject) => {
        child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT'
          ? new CofreError('PRECONDITION', 'zstd is not installed on this backup host (needed for compress: true)', { hint: 'install zstd (apt install zstd), or set compress: false on the files source' })
          : err));
        child.on('close', (code) => (code === 0 ? resolve() : reject(new CofreError('STORAGE_FAILED', `zstd failed (exit ${code}): ${stderr.trim()}`))));
      });
      pipeline(plain, child.stdin, () => undefined);
      plain = child.stdout;
    }
    const encrypted = pipeline(plain, createEncryptStream(this.recipients), () => undefined);
    const stored = this.storage.put(packKey(name), encrypted, this.opts.signal ? { signal: this.opts.signal } : {});
    stored.catch(() => undefined);
    zstdDone.catch(() => undefined);
    this.current = { name, tar, plainBytes: 0, zstd, zstdDone, stored };
    return this.current;
  }
}
