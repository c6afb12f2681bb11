/**
 * Reads one stored object end to end: the SHA-256 of every stored byte, the age decryption of
 * every byte (age authenticates each 64 KiB chunk and the final one), and the plaintext offered
 * to an inspector (a format checker). An inspector may stop reading early — `pg_restore --list`
 * exits after the table of contents — and the rest is then drained, so the hash and the
 * decryption always cover the whole object, at any size. A decryption failure does not stop
 * the hashing either: a corrupted object is reported by its hash, the clearest diagnosis.
 */
import { createHash } from 'node:crypto';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { toErrorInfo, type ErrorInfo } from '../errors.js';
import type { Storage } from '../storage/types.js';
import type { ManifestObject } from '../../shared/domain.js';
import { createDecryptStream } from '../crypto/age.js';
import { ByteMeter, type ProgressListener } from '../util/progress.js';

/**
 * Forwards what it is given to `target` while the target accepts it (with backpressure), and
 * discards the rest once the target has closed, ended or failed. Its own stream never fails
 * because of the target: the caller reads `targetError` instead.
 */
export class Spill extends Writable {
  targetError: Error | undefined;
  private open = true;

  constructor(private readonly target: NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean }) {
    super();
    target.on('error', (err: Error) => {
      this.targetError ??= err;
      this.open = false;
    });
    target.on('close', () => {
      this.open = false;
    });
  }

  private accepting(): boolean {
    return this.open && !this.target.destroyed && !this.target.writableEnded;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.accepting()) {
      cb();
      return;
    }
    if (this.target.write(chunk)) {
      cb();
      return;
    }
    const go = (): void => {
      this.target.removeListener('drain', go);
      this.target.removeListener('close', go);
      this.target.removeListener('error', go);
      cb();
    };
    this.target.on('drain', go);
    this.target.on('close', go);
    this.target.on('error', go);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.accepting()) this.target.end();
    cb();
  }
}

/** Something that reads the plaintext: a writable side and, once it has all it wants, a verdict. */
export interface Inspector<R> {
  stream: NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean };
  /** settles once the inspector has read what it needs (it may have stopped early) */
  result(): Promise<R>;
  /** stop it (called when decryption failed) */
  abort(): void;
}

export interface ReadOutcome<R> {
  /** SHA-256 of the stored bytes, hex */
  sha256: string;
  hashOk: boolean;
  storedBytes: number;
  plainBytes: number;
  /** why the object did not decrypt (age authentication failed, wrong identity, truncated) */
  decryptError?: string;
  /** the same failure whole (message, hint, code), for a check that reports it as its own */
  decryptCause?: ErrorInfo;
  /** the inspector's verdict; absent when decryption failed */
  inspected?: R;
  durationMs: number;
}

class Hasher extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

class Counter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

/**
 * Reads `o` from storage whole. Throws only when storage cannot be read (missing, I/O, network);
 * a wrong hash, a failed decryption and the inspector's findings come back as values.
 */
export async function readStoredObject<R>(
  storage: Storage,
  o: Pick<ManifestObject, 'key' | 'bytes' | 'sha256'>,
  identities: readonly string[],
  inspector: Inspector<R>,
  opts: { onProgress?: ProgressListener | undefined; phase?: string; signal?: AbortSignal | undefined } = {},
): Promise<ReadOutcome<R>> {
  const t0 = Date.now();
  const name = o.key.split('/').pop() ?? o.key;
  const body = await storage.get(o.key, opts.signal ? { signal: opts.signal } : {});
  const meter = new ByteMeter(opts.phase ?? 'verify', opts.onProgress, { source: name, totalBytes: o.bytes });
  const hasher = new Hasher();
  const decrypt = createDecryptStream(identities);
  const plainCounter = new Counter();
  const toDecrypt = new Spill(decrypt);
  const toInspector = new Spill(inspector.stream);
  // plaintext side: decrypt → count → inspector (drained past the point the inspector stops)
  const plainSide = pipeline(decrypt, plainCounter, toInspector).then(
    () => undefined,
    (err: unknown) => err,
  );
  // stored side: every byte hashed, whatever the plaintext side does
  try {
    await pipeline(body, meter, hasher, toDecrypt);
  } catch (err) {
    decrypt.destroy();
    inspector.abort();
    throw err;
  }
  const plainErr = await plainSide;
  const sha256 = hasher.hash.digest('hex');
  const decryptFailure = toDecrypt.targetError ?? (plainErr instanceof Error ? plainErr : undefined);
  const base = { sha256, hashOk: sha256 === o.sha256, storedBytes: hasher.bytes, plainBytes: plainCounter.bytes };
  if (decryptFailure) {
    inspector.abort();
    const cause = toErrorInfo(decryptFailure);
    return { ...base, decryptError: cause.message, decryptCause: cause, durationMs: Date.now() - t0 };
  }
  const inspected = await inspector.result();
  return { ...base, inspected, durationMs: Date.now() - t0 };
}

/** An inspector that only reads (counts) the bytes. */
export function drainInspector(): Inspector<undefined> {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  return { stream: sink, result: () => Promise.resolve(undefined), abort: () => sink.destroy() };
}

/** SHA-256 and size of a stored object that is not encrypted (format 2's restore.sh). */
export async function hashStoredObject(storage: Storage, key: string, signal?: AbortSignal): Promise<{ sha256: string; bytes: number }> {
  const hasher = new Hasher();
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  await pipeline(await storage.get(key, signal ? { signal } : {}), hasher, sink);
  return { sha256: hasher.hash.digest('hex'), bytes: hasher.bytes };
}

/**
 * An Inspector over a writable `sink` that reads the whole plaintext: `result` runs once the sink has
 * taken every byte (or rejects with the sink's error).
 */
export function sinkInspector<R>(sink: Writable, result: () => R | Promise<R>): Inspector<R> {
  const finished = new Promise<void>((resolve, reject) => {
    sink.once('finish', resolve);
    sink.once('error', reject);
  });
  return {
    stream: sink,
    abort: () => sink.destroy(),
    async result() {
      await finished;
      return await result();
    },
  };
}

/** An inspector that keeps the plaintext in memory, up to `limit` bytes (beyond it: `overflow`). */
export function bufferInspector(limit: number): Inspector<{ data: Buffer; bytes: number; overflow: boolean }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      bytes += chunk.length;
      if (bytes <= limit) chunks.push(chunk);
      cb();
    },
  });
  return sinkInspector(sink, () => ({ data: Buffer.concat(chunks), bytes, overflow: bytes > limit }));
}
