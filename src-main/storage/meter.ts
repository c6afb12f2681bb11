/**
 * Hashes (SHA-256) and counts the bytes of a source stream while it flows to a backend,
 * and remembers whether a failure came from the source itself, so that `put` can rethrow
 * the source's own error instead of a storage error.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CofreError } from '../errors.js';

export class StreamMeter {
  bytes = 0;
  /** set when reading the source failed (including an abort) */
  sourceFailed = false;
  sourceError: unknown = undefined;
  private readonly hash = createHash('sha256');
  private readonly onBytes: ((n: number) => void) | undefined;

  constructor(onBytes?: (n: number) => void) {
    this.onBytes = onBytes;
  }

  /**
   * The source's chunks as Buffers, metered. Aborting `signal` destroys the source so a
   * pending read rejects at once.
   */
  async *chunks(source: Readable, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const onAbort = (): void => {
      source.destroy(cancelledError());
    };
    if (signal?.aborted) {
      this.sourceFailed = true;
      this.sourceError = cancelledError();
      throw this.sourceError;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of source) {
        const buffer = toBuffer(chunk);
        if (buffer.length === 0) continue;
        this.hash.update(buffer);
        this.bytes += buffer.length;
        this.onBytes?.(buffer.length);
        yield buffer;
      }
      if (signal?.aborted) throw cancelledError();
    } catch (err) {
      this.sourceFailed = true;
      this.sourceError = err;
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

export function cancelledError(what?: string): CofreError {
  return new CofreError('CANCELLED', what === undefined ? 'cancelled' : `${what} cancelled`);
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new CofreError('INTERNAL', 'a storage source stream produced a chunk that is not bytes');
}

/**
 * The error `put` should reject with once a write failed: the abort, else the source's own
 * error unchanged, else the mapped storage error.
 */
export function putFailure(meter: StreamMeter, signal: AbortSignal | undefined, key: string, storageError: () => unknown): unknown {
  if (signal?.aborted) return cancelledError(`upload of ${key}`);
  if (meter.sourceFailed) {
    return meter.sourceError instanceof CofreError && meter.sourceError.code === 'CANCELLED'
      ? cancelledError(`upload of ${key}`)
      : meter.sourceError;
  }
  return storageError();
}
