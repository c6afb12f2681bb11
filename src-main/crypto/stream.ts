/**
 * The age payload: a 16-byte nonce, then STREAM (ChaCha20-Poly1305 over 64 KiB chunks, nonce
 * = 11-byte big-endian counter || last-chunk flag). The final chunk may be full size; it may be
 * empty only when the whole plaintext is empty. Both directions are Transforms that hold at
 * most one chunk plus the incoming buffer, so memory stays flat and backpressure works.
 */
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { CofreError } from '../errors.js';
import { ByteQueue } from './byte-queue.js';
import { buildHeader, parseHeader, verifyHeaderMac } from './header.js';
import type { ParsedHeader, Stanza } from './header.js';

export const CHUNK_SIZE = 64 * 1024;
const TAG_SIZE = 16;
const ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
const NONCE_SIZE = 16;
/** Readable/writable buffering of the transforms: a few chunks, not megabytes. */
const HIGH_WATER_MARK = 4 * ENCRYPTED_CHUNK_SIZE;

function payloadKey(fileKey: Buffer, nonce: Buffer): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32)));
}

/** Nonce for chunk `counter`: 11-byte big-endian counter, then the last-chunk flag. */
function chunkNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

export function newFileKey(): Buffer {
  return randomBytes(16);
}

/** Encrypts a plaintext stream into a complete age file (header + payload). */
export class AgeEncryptTransform extends Transform {
  private readonly queue = new ByteQueue();
  private readonly key: KeyObject;
  private prelude: Buffer | undefined;
  private counter = 0;

  constructor(fileKey: Buffer, stanzas: readonly Stanza[]) {
    super({ readableHighWaterMark: HIGH_WATER_MARK, writableHighWaterMark: HIGH_WATER_MARK });
    const nonce = randomBytes(NONCE_SIZE);
    this.prelude = Buffer.concat([buildHeader(fileKey, stanzas), nonce]);
    this.key = payloadKey(fileKey, nonce);
  }

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.pushPrelude();
      this.queue.push(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
      // A full chunk is sealed as non-final only once a byte after it exists.
      while (this.queue.length > CHUNK_SIZE) this.seal(this.queue.take(CHUNK_SIZE), false);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.pushPrelude();
      this.seal(this.queue.take(this.queue.length), true);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private pushPrelude(): void {
    if (this.prelude === undefined) return;
    this.push(this.prelude);
    this.prelude = undefined;
  }

  private seal(parts: Buffer[], last: boolean): void {
    const cipher = createCipheriv('chacha20-poly1305', this.key, chunkNonce(this.counter, last), {
      authTagLength: TAG_SIZE,
    });
    this.counter++;
    // Pushing the pieces as they come (ciphertext slices, then the tag) measured ~1.7x
    // faster than concatenating them into one 64 KiB + 16 buffer per chunk.
    for (const part of parts) this.push(cipher.update(part));
    cipher.final();
    this.push(cipher.getAuthTag());
  }
}

/** Finds the file key in a parsed header, or throws CofreError (no match, bad stanza…). */
export type FileKeyFinder = (stanzas: readonly Stanza[]) => Promise<Buffer>;

/** Decrypts an age file stream; only authenticated plaintext is ever pushed. */
export class AgeDecryptTransform extends Transform {
  private readonly queue = new ByteQueue();
  private headerBytes: Buffer[] = [];
  private headerLength = 0;
  private key: KeyObject | undefined;
  private counter = 0;

  constructor(private readonly findFileKey: FileKeyFinder) {
    super({ readableHighWaterMark: HIGH_WATER_MARK, writableHighWaterMark: HIGH_WATER_MARK });
  }

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
    const data = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    if (this.key !== undefined) {
      this.queue.push(data);
      this.run(false, callback);
      return;
    }
    this.readHeader(data).then(
      () => this.run(false, callback),
      (err: unknown) => callback(err as Error),
    );
  }

  override _flush(callback: TransformCallback): void {
    if (this.key === undefined) {
      callback(truncated('the header is incomplete'));
      return;
    }
    this.run(true, callback);
  }

  /** Collects bytes until the header and payload nonce are complete, then opens the file key. */
  private async readHeader(data: Buffer): Promise<void> {
    this.headerBytes.push(data);
    this.headerLength += data.length;
    const all = this.headerBytes.length === 1 ? data : Buffer.concat(this.headerBytes, this.headerLength);
    this.headerBytes = [all];
    const header: ParsedHeader | undefined = parseHeader(all);
    if (header === undefined || all.length < header.length + NONCE_SIZE) return;
    const fileKey = await this.findFileKey(header.stanzas);
    if (!verifyHeaderMac(fileKey, header)) {
      throw new CofreError('DECRYPT_FAILED', 'the age header failed authentication (file damaged or tampered)', {
        hint: 'Use another copy of this backup set; this object cannot be trusted.',
      });
    }
    const nonce = all.subarray(header.length, header.length + NONCE_SIZE);
    this.key = payloadKey(fileKey, nonce);
    this.headerBytes = [];
    this.queue.push(all.subarray(header.length + NONCE_SIZE));
  }

  private run(ending: boolean, callback: TransformCallback): void {
    try {
      if (this.key !== undefined) {
        while (this.queue.length > ENCRYPTED_CHUNK_SIZE) this.open(ENCRYPTED_CHUNK_SIZE, false);
        if (ending) {
          if (this.queue.length < TAG_SIZE) {
            throw truncated(this.queue.length === 0 ? 'the final chunk is missing' : 'the final chunk is cut short');
          }
          this.open(this.queue.length, true);
        }
      }
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private open(size: number, last: boolean): void {
    const key = this.key;
    if (key === undefined) throw new Error('payload key not ready');
    const parts = this.queue.take(size - TAG_SIZE);
    const tag = this.queue.takeOne(TAG_SIZE);
    const decipher = createDecipheriv('chacha20-poly1305', key, chunkNonce(this.counter, last), {
      authTagLength: TAG_SIZE,
    });
    decipher.setAuthTag(tag);
    const out: Buffer[] = [];
    let outSize = 0;
    for (const part of parts) {
      const plain = decipher.update(part);
      out.push(plain);
      outSize += plain.length;
    }
    try {
      decipher.final();
    } catch {
      throw new CofreError(
        'DECRYPT_FAILED',
        last
          ? `the age payload failed authentication at its end (chunk ${this.counter}): the file is truncated or tampered`
          : `the age payload failed authentication at chunk ${this.counter}: the file is damaged or tampered`,
        { hint: 'Use another copy of this backup set; this object cannot be trusted.' },
      );
    }
    if (last && outSize === 0 && this.counter > 0) {
      throw new CofreError('DECRYPT_FAILED', 'the age payload ends with an empty chunk, which the format forbids', {
        hint: 'The file was not written by a conforming age implementation.',
      });
    }
    this.counter++;
    for (const plain of out) if (plain.length > 0) this.push(plain);
  }
}

function truncated(what: string): CofreError {
  return new CofreError('DECRYPT_FAILED', `the age file is truncated: ${what}`, {
    hint: 'The object was cut short (interrupted upload or download); use another copy of this backup set.',
  });
}

/** Runs a whole buffer through a transform (small files such as identity files). */
export async function runTransform(transform: Transform, input: Buffer): Promise<Buffer> {
  return await new Promise<Buffer>((resolve, reject) => {
    const out: Buffer[] = [];
    transform.on('data', (chunk: Buffer) => out.push(chunk));
    transform.on('error', reject);
    transform.on('end', () => resolve(Buffer.concat(out)));
    transform.end(input);
  });
}
