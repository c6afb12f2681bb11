/**
 * Writes a set's index to storage as its lines are made: lines → zstd (a `.index.zst.age` key;
 * a `.index.age` key is stored uncompressed) → age → storage, in batches of 64 KiB, so memory
 * does not grow with the index. The one way an index is written (backup and repack). The caller
 * writes lines (waiting when the upload is behind), then `finish()`es it, or `abort()`s it: the
 * object is then deleted, since a stream cut upstream of zstd can still end as a valid (short) frame.
 */
import { PassThrough, Transform, pipeline, type Readable } from 'node:stream';
import { createEncryptStream } from '../crypto/age.js';
import { CofreError } from '../errors.js';
import type { Storage } from '../storage/types.js';
import { indexHeader, isCompressedIndex } from './index-format.js';
import { INDEX_ZSTD_LEVEL, zstdMissingForBackup, zstdStage, type ZstdStage } from './zstd.js';

const BATCH = 64 * 1024;

export interface UploadedIndex {
  key: string;
  /** stored (encrypted) bytes and their SHA-256 */
  bytes: number;
  sha256: string;
  /** the bytes age encrypted (the compressed ones, when compressed) */
  plainBytes: number;
  /** the index's text (header and lines) before compression */
  textBytes: number;
}

export interface IndexUploadOptions {
  /** cancels the storage write */
  signal?: AbortSignal;
}

export class IndexUpload {
  private readonly src = new PassThrough({ highWaterMark: BATCH });
  private readonly zstd: ZstdStage | undefined;
  private readonly stored: Promise<{ bytes: number; sha256: string }>;
  private batch = `${indexHeader()}\n`;
  private plainBytes = 0;
  private textBytes = 0;
  /** the first error of any stage (what a waiting or later `line()` throws) */
  private failed: Error | undefined;
  /** zstd is not installed: it explains whatever else failed, so it is reported first */
  private zstdMissing: Error | undefined;
  /** rejects the write waiting for the upload to catch up, if any */
  private waiting: ((err: Error) => void) | undefined;

  /** `sizeHint`: about the stored size (sizes S3's parts) */
  constructor(private readonly storage: Storage, readonly key: string, recipients: readonly string[], sizeHint: number, options: IndexUploadOptions = {}) {
    const fail = (err: unknown): void => {
      if (!err) return;
      this.failed ??= err instanceof Error ? err : new Error(String(err));
      this.waiting?.(this.failed);
    };
    let plain: Readable = this.src;
    if (isCompressedIndex(key)) {
      this.zstd = zstdStage('compress', { missing: () => (this.zstdMissing = zstdMissingForBackup()) }, INDEX_ZSTD_LEVEL);
      this.zstd.done.catch(fail);
      pipeline(plain, this.zstd.stdin, fail);
      plain = this.zstd.stdout;
    }
    const counted = new Transform({ transform: (chunk: Buffer, _e, cb) => { this.plainBytes += chunk.length; cb(null, chunk); } });
    const sealed = pipeline(plain, counted, createEncryptStream(recipients), fail);
    this.stored = storage.put(key, sealed, { sizeHint, ...(options.signal ? { signal: options.signal } : {}) });
    this.stored.catch(fail);
  }

  /** Adds one line (as stored in an index, without its newline). */
  async line(text: string): Promise<void> {
    this.batch += `${text}\n`;
    if (this.batch.length >= BATCH) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.failed) throw this.zstdMissing ?? this.failed;
    const buf = Buffer.from(this.batch, 'latin1');
    this.batch = '';
    this.textBytes += buf.length;
    if (this.src.write(buf)) return;
    await new Promise<void>((resolve, reject) => {
      this.waiting = reject;
      this.src.once('drain', () => { this.waiting = undefined; resolve(); });
    });
  }

  /** Ends the index and waits for the upload; throws (the object is then deleted) when any stage failed. */
  async finish(): Promise<UploadedIndex> {
    try {
      await this.flush();
      this.src.end();
      const stored = await this.stored;
      await this.zstd?.done;
      if (this.failed) throw this.failed;
      return { key: this.key, bytes: stored.bytes, sha256: stored.sha256, plainBytes: this.plainBytes, textBytes: this.textBytes };
    } catch (err) {
      throw await this.abort(err);
    }
  }

  /**
   * Stops the upload and deletes whatever reached storage under the key. Returns the error to
   * report for `reason` (what made the caller stop): zstd's absence when that was the cause.
   */
  async abort(reason?: unknown): Promise<unknown> {
    this.failed ??= new CofreError('CANCELLED', 'index upload abandoned');
    this.src.destroy(this.failed);
    this.zstd?.kill();
    await this.stored.catch(() => undefined);
    await this.zstd?.done.catch(() => undefined);
    await this.storage.delete([this.key]).catch(() => undefined);
    return this.zstdMissing ?? reason;
  }
}
