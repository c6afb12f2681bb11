/**
 * S3 backend (AWS or any S3-compatible service). Streams go through `MultipartUpload`
 * (s3-multipart.ts): parts from a fixed pool of partSize × (queueSize + 1) bytes, a single
 * PutObject for objects smaller than one part. The AWS SDK is loaded on first use, so
 * commands that only touch a folder storage do not pay its start-up (≈ 75 ms).
 */
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type * as S3Multipart from './s3-multipart.js';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, addAbortSignal } from 'node:stream';
import { CofreError } from '../errors.js';
import { isReservedKey, normalizePrefix, RESERVED_NAME_PREFIX, validateKey, validateListPrefix } from './keys.js';
import { StreamMeter, cancelledError, putFailure } from './meter.js';
import { ObjectLockedError, isS3NotFound, isS3NotImplemented, mapS3Error, s3ErrorName } from './s3-errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type {
  GetOptions,
  ObjectInfo,
  ObjectLockMode,
  ObjectLockPolicy,
  ObjectRetention,
  PutOptions,
  S3Credentials,
  S3StorageSpec,
  Storage,
  StorageLogger,
  StoredObject,
} from './types.js';
import { silentLogger } from './types.js';

type Sdk = typeof S3Sdk;
type Multipart = typeof S3Multipart;

const MIB = 1024 * 1024;
/**
 * Parts are buffered whole, partSize × (queueSize + 1) at once: 5 MiB (the smallest part S3
 * accepts) and 2 keep it at 15 MiB. With a size hint, parts grow to fit it in
 * 9 000 parts (S3 allows 10 000); without one, 16 MiB parts allow objects up to ≈ 156 GiB.
 */
export const DEFAULT_PART_SIZE = 5 * MIB;
export const UNSIZED_PART_SIZE = 16 * MIB;
const HINT_PARTS = 9_000;
export const DEFAULT_QUEUE_SIZE = 2;
/** Part buffers of one upload stay within this, down to one part uploading while the next fills. */
const MAX_POOL_BYTES = 48 * MIB;
const DELETE_BATCH = 1000;

export interface S3StorageOptions {
  logger?: StorageLogger;
  /** multipart tuning (tests); defaults 5 MiB (16 MiB without a size hint) and 2 */
  partSize?: number;
  queueSize?: number;
  /** TCP connect timeout; default 5 s so an unreachable endpoint fails fast */
  connectionTimeoutMs?: number;
  /** socket inactivity timeout; default 60 s */
  socketTimeoutMs?: number;
  /** SDK attempts for transient errors (standard retry); default 3 */
  maxAttempts?: number;
}

export type { ObjectRetention };

export class S3Storage implements Storage {
  readonly name: string;
  readonly describe: string;
  readonly bucket: string;
  private readonly prefix: string;
  private readonly where: string;
  private readonly config: S3ClientConfig;
  private api: Promise<{ sdk: Sdk; client: S3Client; multipart: Multipart }> | undefined;
  private client: S3Client | undefined;
  private readonly logger: StorageLogger;
  private readonly partSize: number;
  private readonly unsizedPartSize: number;
  private readonly queueSize: number;
  /** the Object Lock the config asks for on this storage, if any */
  readonly objectLock: ObjectLockPolicy | undefined;

  constructor(spec: S3StorageSpec, credentials: S3Credentials | undefined, opts: S3StorageOptions = {}) {
    this.name = spec.name;
    this.bucket = spec.bucket;
    this.prefix = normalizePrefix(spec.prefix);
    this.where = spec.endpoint ?? `AWS ${spec.region}`;
    this.describe = `s3://${spec.bucket}${this.prefix === '' ? '' : `/${this.prefix}`} (${this.where})`;
    this.logger = opts.logger ?? silentLogger;
    this.partSize = opts.partSize ?? DEFAULT_PART_SIZE;
    this.unsizedPartSize = opts.partSize ?? UNSIZED_PART_SIZE;
    this.queueSize = opts.queueSize ?? DEFAULT_QUEUE_SIZE;
    this.objectLock = spec.objectLock;
    const config: S3ClientConfig = {
      region: spec.region,
      forcePathStyle: spec.forcePathStyle ?? false,
      maxAttempts: opts.maxAttempts ?? 3,
      // Checksums only where the API requires them. With the newer default
      // (WHEN_SUPPORTED) streamed bodies are sent aws-chunked with trailing checksums,
      // which S3-compatible servers such as s3rver store verbatim, framing included.
      // Harmless on AWS; integrity is covered by our own SHA-256 and the size check.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: opts.connectionTimeoutMs ?? 5_000,
        socketTimeout: opts.socketTimeoutMs ?? 60_000,
      },
    };
    if (spec.endpoint !== undefined) config.endpoint = spec.endpoint;
    // Without explicit credentials the SDK's default chain applies (env, profile, instance role).
    if (credentials !== undefined) config.credentials = credentials;
    this.config = config;
  }

  /** The SDK, its client and the uploader, loaded and made on first use. */
  private sdk(): Promise<{ sdk: Sdk; client: S3Client; multipart: Multipart }> {
    this.api ??= Promise.all([import('@aws-sdk/client-s3'), import('./s3-multipart.js')]).then(([sdk, multipart]) => {
      this.client = new sdk.S3Client(this.config);
      return { sdk, client: this.client, multipart };
    });
    return this.api;
  }

  async check(): Promise<void> {
    const { sdk, client } = await this.sdk();
    try {
      await client.send(new sdk.HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      throw mapS3Error(err, this.ctx(`open bucket ${this.bucket}`));
    }
    if (this.objectLock) await this.assertObjectLockEnabled();
    const probe = this.fullKey(`${RESERVED_NAME_PREFIX}check-${randomBytes(6).toString('hex')}`);
    try {
      await client.send(new sdk.PutObjectCommand({ Bucket: this.bucket, Key: probe, Body: 'cofre write check\n' }));
    } catch (err) {
      throw mapS3Error(err, this.ctx('write a test object'));
    }
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: probe }));
    } catch (err) {
      throw mapS3Error(err, this.ctx('delete a test object'));
    }
  }

  async put(key: string, body: Readable, opts: PutOptions = {}): Promise<StoredObject> {
    validateKey(key);
    const fullKey = this.fullKey(key);
    const signal = opts.signal;
    const meter = new StreamMeter(opts.onBytes);
    const partSize = opts.sizeHint === undefined
      ? this.unsizedPartSize
      : Math.max(this.partSize, Math.ceil(opts.sizeHint / HINT_PARTS));
    const { client, multipart } = await this.sdk();
    // Huge objects need big parts (S3 allows 10 000): then fewer of them travel at once.
    const queueSize = Math.max(1, Math.min(this.queueSize, Math.floor(MAX_POOL_BYTES / partSize) - 1));
    const upload = new multipart.MultipartUpload({ client, bucket: this.bucket, key: fullKey, partSize, queueSize, signal });
    let completed = false;
    try {
      await upload.send(meter.chunks(body, signal));
      completed = true;
      if (signal?.aborted) throw cancelledError(`upload of ${key}`);
      // Guard against a server storing something else than what we streamed.
      const stored = await this.head(key);
      if (stored?.bytes !== meter.bytes) {
        throw new CofreError('STORAGE_FAILED', `storage "${this.name}": ${key} was stored with ${stored?.bytes ?? 'no'} bytes instead of ${meter.bytes}`, {
          hint: 'the S3 service altered the upload; check the endpoint is really S3-compatible',
        });
      }
      return { key, bytes: meter.bytes, sha256: meter.digest() };
    } catch (err) {
      if (!body.destroyed) body.destroy();
      await this.cleanupFailedUpload(upload.uploadId, fullKey, completed);
      throw putFailure(meter, signal, key, () => mapS3Error(err, this.ctx(`upload ${key}`, key)));
    }
  }

  /**
   * With `retention`, the object is written already under Object Lock (x-amz-object-lock-mode and
   * -retain-until-date; S3 then requires Content-MD5): a manifest is never stored unprotected.
   */
  async putBytes(key: string, data: Uint8Array, retention?: ObjectRetention): Promise<StoredObject> {
    validateKey(key);
    const { sdk, client } = await this.sdk();
    const lock = retention === undefined ? {} : {
      ObjectLockMode: retention.mode,
      ObjectLockRetainUntilDate: retention.retainUntil,
      ContentMD5: createHash('md5').update(data).digest('base64'),
    };
    try {
      await client.send(
        new sdk.PutObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key), Body: data, ContentLength: data.byteLength, ...lock }),
      );
    } catch (err) {
      throw mapS3Error(err, this.ctx(`upload ${key}`, key));
    }
    return { key, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') };
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    validateKey(key);
    let body: unknown;
    const { sdk, client } = await this.sdk();
    try {
      const res = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }),
        opts.signal === undefined ? {} : { abortSignal: opts.signal },
      );
      body = res.Body;
    } catch (err) {
      if (opts.signal?.aborted) throw cancelledError(`download of ${key}`);
      throw mapS3Error(err, this.ctx(`download ${key}`, key));
    }
    if (!(body instanceof Readable)) {
      throw new CofreError('INTERNAL', `storage "${this.name}": the S3 client returned no stream for ${key}`);
    }
    return opts.signal === undefined ? body : addAbortSignal(opts.signal, body);
  }

  async getBytes(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const stream = await this.get(key);
    try {
      for await (const chunk of stream) chunks.push(chunk as Buffer);
    } catch (err) {
      throw mapS3Error(err, this.ctx(`download ${key}`, key));
    }
    return Buffer.concat(chunks);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key);
    const { sdk, client } = await this.sdk();
    try {
      const res = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      return { key, bytes: res.ContentLength ?? 0, lastModified: res.LastModified ?? new Date(0) };
    } catch (err) {
      // HeadObject has no body, so a missing bucket also shows as 404; check() tells them apart.
      if (isS3NotFound(err)) return undefined;
      throw mapS3Error(err, this.ctx(`read the size of ${key}`, key));
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    validateListPrefix(prefix);
    const root = this.prefix === '' ? '' : `${this.prefix}/`;
    let token: string | undefined;
    const { sdk, client } = await this.sdk();
    do {
      let res;
      try {
        res = await client.send(
          new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: root + prefix, ContinuationToken: token }),
        );
      } catch (err) {
        throw mapS3Error(err, this.ctx(`list ${prefix === '' ? 'objects' : prefix}`));
      }
      for (const item of res.Contents ?? []) {
        if (item.Key === undefined || !item.Key.startsWith(root)) continue;
        const key = item.Key.slice(root.length);
        if (key === '' || isReservedKey(key)) continue;
        yield { key, bytes: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0) };
      }
      token = res.IsTruncated === true ? res.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /**
   * Deletes in batches of 1000; a failure in one batch does not stop the others. Keys S3 refused
   * with AccessDenied are asked for their retention: when every refused key is still under Object
   * Lock, the error is an ObjectLockedError (an expected state: retry after the date), otherwise a
   * plain STORAGE_FAILED (e.g. missing s3:DeleteObject).
   */
  async delete(keys: string[]): Promise<void> {
    for (const key of keys) validateKey(key);
    if (keys.length === 0) return;
    const { sdk, client } = await this.sdk();
    const failed: Array<{ key: string; code: string; message: string }> = [];
    let thrown: unknown;
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      let res;
      try {
        res = await client.send(
          new sdk.DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((key) => ({ Key: this.fullKey(key) })), Quiet: true },
          }),
        );
      } catch (err) {
        thrown ??= mapS3Error(err, this.ctx(`delete ${batch.length} object(s)`));
        continue;
      }
      for (const e of res.Errors ?? []) {
        if (e.Code === 'NoSuchKey') continue;
        failed.push({ key: this.relativeKey(e.Key ?? '?'), code: e.Code ?? 'error', message: e.Message ?? '' });
      }
    }
    if (thrown !== undefined) throw thrown;
    if (failed.length === 0) return;
    const denied = failed.filter((f) => f.code === 'AccessDenied');
    if (denied.length === failed.length) {
      const locked: Array<{ key: string; retainUntil: Date }> = [];
      for (const f of denied) {
        const r = await this.objectRetention(f.key).catch(() => undefined);
        if (r) locked.push({ key: f.key, retainUntil: r.retainUntil });
      }
      if (locked.length === denied.length) throw new ObjectLockedError(this.name, locked);
    }
    const first = failed[0] as (typeof failed)[number];
    throw new CofreError(
      'STORAGE_FAILED',
      `storage "${this.name}": could not delete ${failed.length} object(s), e.g. ${first.key}: ${first.code} ${first.message}`.trim(),
      { hint: first.code === 'AccessDenied' ? 'the credentials need s3:DeleteObject (and the objects must not be under Object Lock)' : 'try again; if it persists check the bucket in the provider console' },
    );
  }

  /**
   * Puts `retention` on an object already stored (PutObjectRetention). Retention can only grow: when
   * S3 refuses (an object already retained longer, or in COMPLIANCE while GOVERNANCE is asked), the
   * object's current retention is read and accepted if it protects at least as long and as strictly.
   */
  async retain(key: string, retention: ObjectRetention): Promise<void> {
    validateKey(key);
    const { sdk, client } = await this.sdk();
    try {
      await client.send(new sdk.PutObjectRetentionCommand({
        Bucket: this.bucket, Key: this.fullKey(key), Retention: { Mode: retention.mode, RetainUntilDate: retention.retainUntil },
      }));
      return;
    } catch (err) {
      if (isS3NotFound(err)) throw mapS3Error(err, this.ctx(`extend the Object Lock retention of ${key}`, key));
      const current = await this.objectRetention(key).catch(() => undefined);
      if (current && covers(current, retention)) return;
      const base = mapS3Error(err, this.ctx(`extend the Object Lock retention of ${key} to ${retention.retainUntil.toISOString()}`, key));
      throw new CofreError('STORAGE_FAILED', `${base.message}${current ? ` (it is retained ${current.mode} until ${current.retainUntil.toISOString()})` : ''}`, {
        hint: 'give the credentials s3:PutObjectRetention and s3:GetObjectRetention on the bucket; the set was not written',
        ...said('objlock.retainFailed', { storage: this.name }),
        cause: err,
      });
    }
  }

  /** Throws unless the bucket has Object Lock enabled (GetObjectLockConfiguration). */
  async assertObjectLockEnabled(): Promise<void> {
    const { sdk, client } = await this.sdk();
    let enabled: string | undefined;
    try {
      const res = await client.send(new sdk.GetObjectLockConfigurationCommand({ Bucket: this.bucket }));
      enabled = res.ObjectLockConfiguration?.ObjectLockEnabled;
    } catch (err) {
      const name = s3ErrorName(err);
      if (!(isS3NotImplemented(err) || name === 'ObjectLockConfigurationNotFoundError' || name === 'NoSuchObjectLockConfiguration')) {
        throw mapS3Error(err, this.ctx(`read the Object Lock configuration of bucket ${this.bucket}`));
      }
      this.logger.debug(`storage "${this.name}": bucket ${this.bucket} has no Object Lock configuration (${name})`);
    }
    if (enabled !== 'Enabled') {
      throw new CofreError('PRECONDITION', `storage "${this.name}": the config asks for Object Lock (storage.${this.name}.objectLock) but bucket ${this.bucket} at ${this.where} does not have Object Lock enabled; nothing was backed up, since the sets would claim a protection they do not have`, {
        hint: 'Object Lock can only be turned on when a bucket is created (AWS: --object-lock-enabled-for-bucket, which also turns versioning on): create a new bucket with it and point the storage there, or remove objectLock from the config',
        ...said('objlock.bucketNotLocked', { storage: this.name, bucket: this.bucket }),
      });
    }
  }

  /**
   * The S3 Object Lock retention of an object, or undefined when it has none. Servers
   * without Object Lock support (s3rver answers NotImplemented) count as "no lock".
   */
  async objectRetention(key: string): Promise<ObjectRetention | undefined> {
    validateKey(key);
    const { sdk, client } = await this.sdk();
    try {
      const res = await client.send(new sdk.GetObjectRetentionCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      const mode = res.Retention?.Mode;
      const until = res.Retention?.RetainUntilDate;
      return (mode === 'COMPLIANCE' || mode === 'GOVERNANCE') && until !== undefined ? { mode, retainUntil: new Date(until) } : undefined;
    } catch (err) {
      const name = s3ErrorName(err);
      if (
        isS3NotImplemented(err) ||
        name === 'ObjectLockConfigurationNotFoundError' ||
        name === 'NoSuchObjectLockConfiguration' ||
        name === 'InvalidRequest'
      ) {
        this.logger.debug(`storage "${this.name}": no object lock information for ${key} (${name})`);
        return undefined;
      }
      throw mapS3Error(err, this.ctx(`read the object lock of ${key}`, key));
    }
  }

  close(): void {
    this.client?.destroy();
  }

  private fullKey(key: string): string {
    return this.prefix === '' ? key : `${this.prefix}/${key}`;
  }

  private relativeKey(fullKey: string): string {
    return this.prefix !== '' && fullKey.startsWith(`${this.prefix}/`) ? fullKey.slice(this.prefix.length + 1) : fullKey;
  }

  private ctx(action: string, key?: string): { storageName: string; bucket: string; where: string; action: string; key?: string } {
    return key === undefined
      ? { storageName: this.name, bucket: this.bucket, where: this.where, action }
      : { storageName: this.name, bucket: this.bucket, where: this.where, action, key };
  }

  /**
   * After a failed put: abort the multipart upload so its parts are freed, and remove
   * the object if the upload had completed before the failure (abort or size mismatch).
   * A multipart upload that never completed leaves no object under the key; a single
   * PutObject is only sent once the whole source has been read. s3rver does not
   * implement AbortMultipartUpload: that failure is logged at debug level and ignored,
   * since no object exists under the key either way (only orphaned parts, which a
   * bucket lifecycle rule "abort incomplete multipart uploads" cleans up on AWS).
   */
  private async cleanupFailedUpload(uploadId: string | undefined, fullKey: string, completed: boolean): Promise<void> {
    const { sdk, client } = await this.sdk();
    if (uploadId !== undefined && !completed) {
      try {
        await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: fullKey, UploadId: uploadId }));
      } catch (err) {
        const name = err instanceof Error ? err.name : String(err);
        this.logger.debug(`storage "${this.name}": could not abort multipart upload of ${fullKey} (${name}); no object was completed`);
      }
    }
    if (completed) {
      try {
        await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: fullKey }));
      } catch (err) {
        const name = err instanceof Error ? err.name : String(err);
        this.logger.debug(`storage "${this.name}": could not remove ${fullKey} after a failed upload (${name})`);
      }
    }
  }
}

/** True when `current` protects at least until `wanted` and at least as strictly (COMPLIANCE ≥ GOVERNANCE). */
export function covers(current: ObjectRetention, wanted: ObjectRetention): boolean {
  const strict = (m: ObjectLockMode): number => (m === 'COMPLIANCE' ? 1 : 0);
  return current.retainUntil.getTime() >= wanted.retainUntil.getTime() && strict(current.mode) >= strict(wanted.mode);
}
