/**
 * The storage contract: where sets live. Storage is the source of truth (DESIGN.md
 * "Storage layout"); every backend (S3, folder) implements the same small interface and
 * passes the same contract test suite (test/integration/storage-contract.test.ts).
 */
import type { Readable } from 'node:stream';

export interface StorageLocation {
  provider: string;
  region: string;
}

export interface S3StorageSpec {
  type: 's3';
  /** the config name, for messages */
  name: string;
  /** custom endpoint (MinIO, Wasabi, s3rver…); omitted on AWS */
  endpoint?: string;
  region: string;
  bucket: string;
  /** key prefix inside the bucket, e.g. `cofre` (leading/trailing slashes ignored) */
  prefix?: string;
  forcePathStyle?: boolean;
  location?: StorageLocation;
  /** S3 Object Lock the config asks for: check() refuses a bucket without it (object-lock.ts) */
  objectLock?: ObjectLockPolicy;
}

/** How long, and how strictly, the objects of a set stay undeletable (S3 Object Lock). */
export interface ObjectLockPolicy {
  mode: ObjectLockMode;
  days: number;
}

export type ObjectLockMode = 'COMPLIANCE' | 'GOVERNANCE';

/** An object's Object Lock retention. */
export interface ObjectRetention {
  mode: ObjectLockMode;
  retainUntil: Date;
}

export interface FolderStorageSpec {
  type: 'folder';
  name: string;
  /** the top folder; it must exist (Cofre never creates it, see folder.ts) */
  path: string;
  prefix?: string;
  location?: StorageLocation;
}

export type StorageSpec = S3StorageSpec | FolderStorageSpec;

/** Resolved S3 credentials (the caller reads them from the env vars the config names). */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface StoredObject {
  key: string;
  bytes: number;
  /** SHA-256 (hex) of the bytes stored */
  sha256: string;
}

export interface ObjectInfo {
  /** relative to the storage prefix */
  key: string;
  bytes: number;
  lastModified: Date;
}

export interface PutOptions {
  /** called with the size of each chunk as it is read from the source */
  onBytes?: (n: number) => void;
  /** aborting rejects with CofreError CANCELLED and leaves no object under the key */
  signal?: AbortSignal;
  /**
   * Expected size, if known. S3 uses it to pick a part size large enough for the
   * 10 000-part limit (without it, objects up to ~156 GiB fit: 16 MiB × 10 000).
   */
  sizeHint?: number;
}

export interface GetOptions {
  signal?: AbortSignal;
}

export interface Storage {
  /** config name, for messages */
  readonly name: string;
  /** e.g. `s3://bucket/prefix (http://127.0.0.1:9000)` or `folder /mnt/nas/cofre`; no secrets */
  readonly describe: string;
  /** reachable + bucket/folder exists + writable; a clear CofreError otherwise */
  check(): Promise<void>;
  /**
   * Streams `body` to `key`: hashes and counts on the way, never buffers the whole object.
   * On any failure nothing is left under `key`. Errors raised by `body` itself are
   * rethrown unchanged (they say what went wrong upstream); storage errors become
   * CofreError STORAGE_FAILED / STORAGE_UNREACHABLE; an abort becomes CANCELLED.
   */
  put(key: string, body: Readable, opts?: PutOptions): Promise<StoredObject>;
  /** small objects (manifest.json), written atomically */
  putBytes(key: string, data: Uint8Array): Promise<StoredObject>;
  /** a missing key rejects with STORAGE_FAILED ("… does not exist") */
  get(key: string, opts?: GetOptions): Promise<Readable>;
  getBytes(key: string): Promise<Buffer>;
  /** undefined when the key does not exist */
  head(key: string): Promise<ObjectInfo | undefined>;
  /**
   * Every object whose key starts with `prefix` (a plain string prefix, `''` for all),
   * recursively, keys relative to the storage prefix. Order is not part of the contract.
   */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** missing keys are ignored */
  delete(keys: string[]): Promise<void>;
  close(): void;
}

/** Debug lines for things that went wrong but were handled (e.g. an unsupported S3 call). */
export interface StorageLogger {
  debug(message: string): void;
}

export const silentLogger: StorageLogger = { debug: () => undefined };
