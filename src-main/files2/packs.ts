/**
 * Packs: tar archives of file contents, one member per content id, zstd-compressed (the `zstd`
 * CLI, the tool restore.sh uses too) when the source's `compress` is on, encrypted to the
 * recipients and stored as `packs/<32 random hex>.tar[.zst].age`: the name reveals nothing.
 * A pack is closed once its plaintext reaches the target size; the next member opens a new one. A
 * member of the target size or more gets a pack of its own: a pack then holds less than twice the
 * target, or one file, and its upload is sized for that (S3: 5 MiB parts, 15 MiB in flight).
 * Members are named by their whole content id; indexes name them by its first digits
 * (`shortCid`), so a pack never holds two members whose names share those digits: a member whose
 * short form the open pack already holds closes it and opens the next (uniqueness by
 * construction, not by the odds of a 64-bit clash).
 */
import { randomBytes } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { pack as tarPack, type Pack } from 'tar-stream';
import { CofreError } from '../errors.js';
import { createEncryptStream } from '../crypto/age.js';
import type { Storage } from '../storage/types.js';
import type { PackRecord } from './state.js';
import type { ManifestRef } from '../../shared/domain.js';
import { shortCid } from './index-format.js';
import { PACK_ZSTD_LEVEL, zstdMissingForBackup, zstdStage, type ZstdStage } from './zstd.js';

export const PACKS_PREFIX = 'packs/';
/** Default pack size (plaintext): large enough to keep object counts low, small enough to fetch one file cheaply. */
export const DEFAULT_PACK_BYTES = 64 * 1024 * 1024;

export const PACK_NAME = /^[0-9a-f]{32}\.tar(\.zst)?\.age$/;

export function packKey(pack: string): string {
  return `${PACKS_PREFIX}${pack}`;
}

/** The manifest's entry of each pack named (undefined where the manifest does not list it). */
export function neededRefs(packs: readonly ManifestRef[], needed: readonly string[]): Array<ManifestRef | undefined> {
  const byKey = new Map(packs.map((p) => [p.key, p]));
  return needed.map((name) => byKey.get(packKey(name)));
}

export function isCompressedPack(pack: string): boolean {
  return pack.endsWith('.tar.zst.age');
}

interface OpenPack {
  name: string;
  tar: Pack;
  plainBytes: number;
  /** the short forms (`shortCid`) of the members it holds: each names one member */
  shortNames: Set<string>;
  zstd: ZstdStage | undefined;
  zstdDone: Promise<void>;
  stored: Promise<{ bytes: number; sha256: string }>;
  /** the first error of zstd or the upload, once there is one */
  failed: Error | undefined;
  /** rejects the member being written, if any */
  waiting: ((err: Error) => void) | undefined;
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
    // a member of the target size or more gets a pack of its own, whose size is then known up front
    if (size >= this.opts.targetBytes) await this.close();
    // two members sharing a short name never go into one pack: an index could not tell them apart
    const short = shortCid(cid);
    if (this.current?.shortNames.has(short)) await this.close();
    const p = this.current ?? this.open(size >= this.opts.targetBytes ? size : 2 * this.opts.targetBytes);
    if (p.failed) throw p.failed;
    await new Promise<void>((resolve, reject) => {
      // an upload or zstd that fails rejects the member waiting here (one slot, not a reaction per
      // member on the pack's promises: those stay pending until the pack closes and would hold
      // every member's closure, ≈ 650 B each, 65 MB for a pack of 100 000 small files)
      p.waiting = reject;
      const done = (err?: Error | null): void => {
        p.waiting = undefined;
        if (err) reject(err);
        else resolve();
      };
      const header = { name: cid, size, mode: 0o600, mtime: new Date(0), type: 'file' as const };
      if (Buffer.isBuffer(data)) {
        // the callback gets the entry's failure; the entry also emits it, with no reader left
        // once the pack is abandoned: unheard, that 'error' would end the process
        p.tar.entry(header, data, done).on('error', () => undefined);
      } else {
        const entry = p.tar.entry(header, done);
        pipeline(data, entry, (err) => { if (err) done(err); });
      }
    });
    p.plainBytes += size;
    p.shortNames.add(short);
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

  /** `bound`: the most plaintext the pack will hold (sizes the S3 upload's parts: 5 MiB ones, not 16, for a normal pack) */
  private open(bound: number): OpenPack {
    const name = `${randomBytes(16).toString('hex')}.tar${this.opts.compress ? '.zst' : ''}.age`;
    const tar = tarPack();
    let zstd: OpenPack['zstd'];
    // tar-stream's streams are streamx streams: bridge through its async iterator
    let plain: Readable = Readable.from(tar);
    let zstdDone: Promise<void> = Promise.resolve();
    if (this.opts.compress) {
      zstd = zstdStage('compress', { missing: zstdMissingForBackup }, PACK_ZSTD_LEVEL);
      zstdDone = zstd.done;
      pipeline(plain, zstd.stdin, () => undefined);
      plain = zstd.stdout;
    }
    const encrypted = pipeline(plain, createEncryptStream(this.recipients), () => undefined);
    // zstd (random data grows by < 0.1 %), tar headers and age's 16 B per 64 KiB fit in the 1 % added
    const sizeHint = Math.ceil(bound * 1.01) + 64 * 1024;
    const stored = this.storage.put(packKey(name), encrypted, { sizeHint, ...(this.opts.signal ? { signal: this.opts.signal } : {}) });
    const p: OpenPack = { name, tar, plainBytes: 0, shortNames: new Set(), zstd, zstdDone, stored, failed: undefined, waiting: undefined };
    const fail = (err: unknown): void => {
      p.failed ??= err instanceof Error ? err : new Error(String(err));
      p.waiting?.(p.failed);
    };
    stored.catch(fail);
    zstdDone.catch(fail);
    this.current = p;
    return p;
  }
}
