/**
 * Reading one stored pack of format 2, the one way export, repack and restore do it: the object is
 * fetched, its bytes are counted (optional meter) and hashed while they stream, age-decrypted here
 * and, when asked (a compressed pack read here), zstd-decompressed. The SHA-256 is known only at
 * the end: callers act on nothing irreversible before `verify` passes (fail closed: a short or
 * changed stream is an error, never a complete pack).
 */
import { createHash } from 'node:crypto';
import { Transform, pipeline, type Readable } from 'node:stream';
import { extract as tarExtract, type Extract } from 'tar-stream';
import { createDecryptStream } from '../crypto/age.js';
import type { Storage } from '../storage/types.js';
import type { ManifestRef } from '../../shared/domain.js';
import { zstdStage, type ZstdErrors, type ZstdStage } from './zstd.js';

/** One member of a pack as tar-stream gives it (its header and its bytes). */
export type PackMember = Extract extends AsyncIterable<infer M> ? M : never;

export interface OpenPackOptions {
  signal?: AbortSignal | undefined;
  /** counts the stored bytes (progress); placed before the hash */
  meter?: Transform | undefined;
  /** decompress here with zstd, with these errors (the caller tells whether the pack is compressed) */
  unzstd?: ZstdErrors | undefined;
}

export interface PackStream {
  /** the decrypted (and, when asked, decompressed) bytes */
  plain: Readable;
  /** the zstd stage, when decompressing here; its failure is judged by `cause` */
  zstd: ZstdStage | undefined;
  /** The first cause of a failure: storage or decryption, then zstd, then feeding zstd, then `err`. */
  cause(err: unknown): unknown;
  /** Stops reading (storage stream and zstd) after a failure. */
  abort(): void;
  /** After the stream ended: throws a failure of storage or decryption, else `mismatch` when the SHA-256 differs from the manifest's. */
  verify(mismatch: (sha: string) => Error): void;
}

export async function openPack(storage: Storage, ref: ManifestRef, identities: readonly string[], opts: OpenPackOptions = {}): Promise<PackStream> {
  const body = await storage.get(ref.key, opts.signal ? { signal: opts.signal } : {});
  const hash = createHash('sha256');
  const hasher = new Transform({ transform(chunk: Buffer, _e, cb) { hash.update(chunk); cb(null, chunk); } });
  let streamError: unknown;
  let zstdError: unknown;
  let feedError: unknown;
  const stages = [body, ...(opts.meter ? [opts.meter] : []), hasher, createDecryptStream([...identities])];
  let plain = pipeline(stages, (err) => { if (err) streamError ??= err; }) as unknown as Readable;
  let zstd: ZstdStage | undefined;
  if (opts.unzstd) {
    zstd = zstdStage('decompress', opts.unzstd);
    zstd.done.catch((err: unknown) => { zstdError ??= err; });
    // a zstd that died makes writing to it fail (EPIPE): its own error comes first
    pipeline(plain, zstd.stdin, (err) => { if (err) feedError ??= err; });
    plain = zstd.stdout;
  }
  return {
    plain,
    zstd,
    cause: (err) => streamError ?? zstdError ?? feedError ?? err,
    abort: () => { zstd?.kill(); body.destroy(); },
    verify: (mismatch) => {
      if (streamError) throw streamError;
      const sha = hash.digest('hex');
      if (sha !== ref.sha256) throw mismatch(sha);
    },
  };
}

/**
 * Parses the pack's plain bytes as tar, member by member (`onEntry` consumes or resumes each),
 * then waits for zstd; a failure throws its first cause. The caller then calls `verify`.
 */
export async function forEachMember(pack: PackStream, onEntry: (entry: PackMember) => Promise<void>): Promise<void> {
  const ex = tarExtract();
  pack.plain.on('error', (err) => ex.destroy(err));
  pack.plain.pipe(ex);
  try {
    for await (const entry of ex) await onEntry(entry);
    await pack.zstd?.done;
  } catch (err) {
    const cause = pack.cause(err);
    pack.abort();
    throw cause;
  }
}
