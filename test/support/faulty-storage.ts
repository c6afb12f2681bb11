/**
 * A fault-injecting Storage wrapper (issue 14 "Tests"): wraps a real backend (folder or S3 on
 * s3rver) and makes chosen operations on chosen keys fail the way real storage fails: an I/O error
 * (EIO, as a dying disk or NFS mount gives), an HTTP 5xx that outlived the S3 client's retries, a
 * request that never answers (timeout), or a read that returns a truncated or corrupted body.
 * Everything not matched goes to the real backend unchanged.
 */
import { Readable } from 'node:stream';
import { CofreError } from '../../src-main/errors.js';
import type { GetOptions, ObjectInfo, PutOptions, Storage, StoredObject } from '../../src-main/storage/types.js';

export type FaultKind = 'eio' | '5xx' | 'timeout' | 'truncated' | 'corrupted';
export type FaultOp = 'list' | 'get' | 'head' | 'put' | 'delete';

export interface Fault {
  kind: FaultKind;
  /** the operations it applies to */
  ops: readonly FaultOp[];
  /** keys (or list prefixes) it applies to: a substring or a pattern; omitted: every key */
  key?: string | RegExp;
}

export const FAULT_KINDS: readonly FaultKind[] = ['eio', '5xx', 'timeout', 'truncated', 'corrupted'];

function matches(f: Fault, op: FaultOp, key: string): boolean {
  if (!f.ops.includes(op)) return false;
  if (f.key === undefined) return true;
  return typeof f.key === 'string' ? key.includes(f.key) : f.key.test(key);
}

/** The error each failing kind raises, shaped like the real backends' (a CofreError naming storage and key). */
function failure(storage: Storage, kind: FaultKind, op: FaultOp, key: string): CofreError {
  if (kind === 'eio') {
    const cause = Object.assign(new Error(`EIO: i/o error, ${op} '${key}'`), { code: 'EIO', errno: -5 });
    return new CofreError('STORAGE_FAILED', `storage ${storage.name}: ${op} ${key} failed: EIO: i/o error`, { hint: 'check the disk or network mount behind the storage', cause });
  }
  return new CofreError('STORAGE_UNREACHABLE', `storage ${storage.name}: ${op} ${key} failed with HTTP 503 Service Unavailable after 3 retries`, {
    hint: 'the storage service is failing; try again later or check its status page',
  });
}

/** A promise that never settles unless the signal aborts (a request the server never answers). */
function hang<T>(signal?: AbortSignal): Promise<T> {
  return new Promise<T>((_, reject) => {
    signal?.addEventListener('abort', () => reject(new CofreError('CANCELLED', 'cancelled')), { once: true });
  });
}

function damage(kind: 'truncated' | 'corrupted', data: Buffer): Buffer {
  if (kind === 'truncated') return data.subarray(0, Math.floor(data.length / 2));
  const copy = Buffer.from(data);
  if (copy.length > 0) {
    const i = Math.max(0, copy.length - 2);
    copy[i] = (copy[i] ?? 0) ^ 0xff;
  }
  return copy;
}

export class FaultyStorage implements Storage {
  readonly name: string;
  readonly describe: string;
  /** every operation that hit a fault, for assertions */
  readonly hits: Array<{ op: FaultOp; key: string; kind: FaultKind }> = [];
  /** every key passed to delete (whether it failed or not) */
  readonly deleted: string[] = [];

  constructor(
    private readonly inner: Storage,
    private readonly faults: readonly Fault[],
  ) {
    this.name = inner.name;
    // the same storage: its description is its identity (e.g. in the host's dedup state)
    this.describe = inner.describe;
  }

  private fault(op: FaultOp, key: string): Fault | undefined {
    const f = this.faults.find((x) => matches(x, op, key));
    if (f) this.hits.push({ op, key, kind: f.kind });
    return f;
  }

  check(): Promise<void> {
    return this.inner.check();
  }

  async put(key: string, body: Readable, opts?: PutOptions): Promise<StoredObject> {
    const f = this.fault('put', key);
    if (f?.kind === 'timeout') return hang(opts?.signal);
    if (f && (f.kind === 'eio' || f.kind === '5xx')) {
      body.destroy();
      throw failure(this, f.kind, 'put', key);
    }
    return this.inner.put(key, body, opts);
  }

  async putBytes(key: string, data: Uint8Array): Promise<StoredObject> {
    const f = this.fault('put', key);
    if (f?.kind === 'timeout') return hang();
    if (f && (f.kind === 'eio' || f.kind === '5xx')) throw failure(this, f.kind, 'put', key);
    return this.inner.putBytes(key, data);
  }

  async get(key: string, opts?: GetOptions): Promise<Readable> {
    const f = this.fault('get', key);
    if (!f) return this.inner.get(key, opts);
    if (f.kind === 'timeout') return hang(opts?.signal);
    if (f.kind === 'eio' || f.kind === '5xx') throw failure(this, f.kind, 'get', key);
    const data = await this.inner.getBytes(key);
    return Readable.from([damage(f.kind, data)]);
  }

  async getBytes(key: string): Promise<Buffer> {
    const f = this.fault('get', key);
    if (!f) return this.inner.getBytes(key);
    if (f.kind === 'timeout') return hang();
    if (f.kind === 'eio' || f.kind === '5xx') throw failure(this, f.kind, 'get', key);
    return damage(f.kind, await this.inner.getBytes(key));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const f = this.fault('head', key);
    if (f?.kind === 'timeout') return hang();
    if (f && (f.kind === 'eio' || f.kind === '5xx')) throw failure(this, f.kind, 'head', key);
    const info = await this.inner.head(key);
    // a truncated object: storage answers with fewer bytes than were written
    if (f?.kind === 'truncated' && info) return { ...info, bytes: Math.floor(info.bytes / 2) };
    return info;
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    const f = this.fault('list', prefix);
    const inner = this.inner;
    const fail = (kind: FaultKind): CofreError => failure(this, kind, 'list', prefix);
    return (async function* () {
      if (f?.kind === 'timeout') await hang<void>();
      if (f && (f.kind === 'eio' || f.kind === '5xx')) throw fail(f.kind);
      let n = 0;
      for await (const o of inner.list(prefix)) {
        // a listing cut short: the first page arrives, the next one fails
        if (f && (f.kind === 'truncated' || f.kind === 'corrupted') && n++ >= 1) throw fail('5xx');
        yield o;
      }
    })();
  }

  async delete(keys: string[]): Promise<void> {
    this.deleted.push(...keys);
    for (const k of keys) {
      const f = this.fault('delete', k);
      if (f?.kind === 'timeout') return hang();
      if (f && (f.kind === 'eio' || f.kind === '5xx')) throw failure(this, f.kind, 'delete', k);
    }
    return this.inner.delete(keys);
  }

  close(): void {
    this.inner.close();
  }
}
