/**
 * TEST STAND-IN for AWS S3 Object Lock, because s3rver has none (nor versioning). It is NOT AWS:
 * Cofre's Object Lock code was not verified against AWS, only against this. A Koa middleware put
 * in front of s3rver's own (test/harness/s3.ts, `startS3rver({ objectLock: true })`) that follows
 * the S3 API reference for the calls Cofre makes:
 * - CreateBucket with `x-amz-bucket-object-lock-enabled: true` enables Object Lock on the bucket;
 *   GetObjectLockConfiguration (`GET /bucket?object-lock`) answers `ObjectLockEnabled: Enabled`, or
 *   404 ObjectLockConfigurationNotFoundError for a bucket created without it.
 * - PutObject with `x-amz-object-lock-mode` + `x-amz-object-lock-retain-until-date` (Content-MD5 or
 *   an x-amz-checksum-* header required, as AWS does) stores the object retained; HEAD/GET show it.
 * - PutObjectRetention (`PUT /bucket/key?retention`, Content-MD5 or a checksum header required): retention may grow; shortening it, or
 *   COMPLIANCE → GOVERNANCE, is AccessDenied (no governance bypass here). GetObjectRetention
 *   answers the XML, 404 NoSuchObjectLockConfiguration for an object without one, and
 *   400 InvalidRequest on a bucket without Object Lock.
 * - DeleteObject / DeleteObjects of an object retained past the stand-in's clock: AccessDenied
 *   ("Access Denied because object protected by object lock."), the others are deleted.
 * Differences from AWS, on purpose: no versions, so a delete of a retained object is refused
 * outright (AWS, without a version id, would add a delete marker and keep the locked version:
 * the data survives either way) and overwriting a retained object is refused too. Lock state lives
 * in memory for the server's life. The clock is the test's (`now`), so a test can let a lock expire
 * without waiting.
 */
import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  req: IncomingMessage;
  status: number;
  body: unknown;
  type: string;
  get(header: string): string;
  set(header: string, value: string): void;
  store: {
    existsObject(bucket: string, key: string): Promise<boolean>;
    deleteObject(bucket: string, key: string): Promise<unknown>;
  };
}
type Next = () => Promise<unknown>;
export type KoaMiddleware = (ctx: KoaContext, next: Next) => Promise<unknown>;

type S3ErrorClass = new (code: string, message: string, detail?: Record<string, string>) => Error & { status: number };
const require = createRequire(import.meta.url);
const S3Error = require('s3rver/lib/models/error') as S3ErrorClass;

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

type Mode = 'COMPLIANCE' | 'GOVERNANCE';
interface Retention {
  mode: Mode;
  until: Date;
}

export interface ObjectLockStandIn {
  middleware: KoaMiddleware;
  /** the clock retention is judged by (default: the real one) */
  setNow(now: () => Date): void;
  /** what the stand-in holds for an object (tests' own checks) */
  retention(bucket: string, key: string): Retention | undefined;
}

function s3Error(code: string, message: string, status?: number): Error {
  const err = new S3Error(code, message);
  if (status !== undefined) err.status = status;
  return err;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function tag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m?.[1] === undefined ? undefined : unescapeXml(m[1].trim());
}

function parseMode(v: string | undefined): Mode {
  if (v === 'COMPLIANCE' || v === 'GOVERNANCE') return v;
  throw s3Error('InvalidArgument', 'Unknown wormMode directive.');
}

function parseDate(v: string | undefined): Date {
  const d = new Date(v ?? '');
  if (Number.isNaN(d.getTime())) throw s3Error('InvalidArgument', 'The retain until date must be provided in ISO 8601 format');
  return d;
}

/** AWS requires Content-MD5 or an x-amz-checksum-* header on Object Lock writes. */
function requireIntegrityHeader(ctx: KoaContext, what: string): void {
  if (ctx.get('content-md5') === '' && !Object.keys(ctx.req.headers).some((h) => h.startsWith('x-amz-checksum-'))) {
    throw s3Error('InvalidRequest', `Content-MD5 OR x-amz-checksum- HTTP header is required for ${what}`);
  }
}

function hasQuery(ctx: KoaContext, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(ctx.query, name);
}

/** No sub-resource in the query (the AWS SDK v3 adds `x-id=<Operation>` to plain object calls). */
function plain(ctx: KoaContext): boolean {
  return Object.keys(ctx.query).every((k) => k === 'x-id');
}

export function objectLockStandIn(): ObjectLockStandIn {
  const lockedBuckets = new Set<string>();
  const retentions = new Map<string, Retention>();
  let now: () => Date = () => new Date();
  const id = (bucket: string, key: string): string => `${bucket}\u0000${key}`;
  const retained = (bucket: string, key: string): Retention | undefined => {
    const r = retentions.get(id(bucket, key));
    return r && r.until.getTime() > now().getTime() ? r : undefined;
  };
  const requireLockedBucket = (bucket: string): void => {
    if (!lockedBuckets.has(bucket)) throw s3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration');
  };
  const requireObject = async (ctx: KoaContext, bucket: string, key: string): Promise<void> => {
    if (!(await ctx.store.existsObject(bucket, key))) throw s3Error('NoSuchKey', 'The specified key does not exist.');
  };
  const futureRetention = (mode: Mode, until: Date): Retention => {
    if (until.getTime() <= now().getTime()) throw s3Error('InvalidArgument', 'The retain until date must be in the future!');
    return { mode, until };
  };

  const middleware: KoaMiddleware = async (ctx, next) => {
    // path-style only (the harness runs s3rver without vhost buckets)
    const [, rawBucket = '', ...rest] = ctx.path.split('/');
    const bucket = decodeURIComponent(rawBucket);
    const key = rest.length > 0 ? decodeURIComponent(rest.join('/')) : '';
    if (bucket === '') return await next();

    if (key === '') {
      if (ctx.method === 'PUT' && plain(ctx)) {
        await next();
        if (ctx.get('x-amz-bucket-object-lock-enabled').toLowerCase() === 'true' && ctx.status < 300) lockedBuckets.add(bucket);
        return undefined;
      }
      if (ctx.method === 'GET' && hasQuery(ctx, 'object-lock')) {
        if (!lockedBuckets.has(bucket)) throw s3Error('ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket', 404);
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ObjectLockConfiguration xmlns="${XMLNS}"><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>`;
        return undefined;
      }
      if (ctx.method === 'POST' && hasQuery(ctx, 'delete') && lockedBuckets.has(bucket)) {
        const xml = await readBody(ctx.req);
        const quiet = tag(xml, 'Quiet') === 'true';
        const out: string[] = [];
        for (const m of xml.matchAll(/<Object>([\s\S]*?)<\/Object>/g)) {
          const k = tag(m[1] ?? '', 'Key') ?? '';
          if (retained(bucket, k)) {
            out.push(`<Error><Key>${escapeXml(k)}</Key><Code>AccessDenied</Code><Message>Access Denied because object protected by object lock.</Message></Error>`);
            continue;
          }
          if (await ctx.store.existsObject(bucket, k)) await ctx.store.deleteObject(bucket, k);
          retentions.delete(id(bucket, k));
          if (!quiet) out.push(`<Deleted><Key>${escapeXml(k)}</Key></Deleted>`);
        }
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="${XMLNS}">${out.join('')}</DeleteResult>`;
        return undefined;
      }
      return await next();
    }

    if (hasQuery(ctx, 'retention')) {
      requireLockedBucket(bucket);
      await requireObject(ctx, bucket, key);
      if (ctx.method === 'GET') {
        const r = retentions.get(id(bucket, key));
        if (!r) throw s3Error('NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration', 404);
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Retention xmlns="${XMLNS}"><Mode>${r.mode}</Mode><RetainUntilDate>${r.until.toISOString()}</RetainUntilDate></Retention>`;
        return undefined;
      }
      if (ctx.method === 'PUT') {
        requireIntegrityHeader(ctx, 'Put Object Retention requests');
        const xml = await readBody(ctx.req);
        const wanted = futureRetention(parseMode(tag(xml, 'Mode')), parseDate(tag(xml, 'RetainUntilDate')));
        const current = retained(bucket, key);
        if (current && (wanted.until.getTime() < current.until.getTime() || (current.mode === 'COMPLIANCE' && wanted.mode === 'GOVERNANCE'))) {
          throw s3Error('AccessDenied', 'Access Denied');
        }
        retentions.set(id(bucket, key), wanted);
        ctx.status = 200;
        ctx.body = '';
        return undefined;
      }
      return await next();
    }

    if (ctx.method === 'PUT' && plain(ctx)) {
      const modeHeader = ctx.get('x-amz-object-lock-mode');
      const untilHeader = ctx.get('x-amz-object-lock-retain-until-date');
      if (retained(bucket, key)) throw s3Error('AccessDenied', 'Access Denied because object protected by object lock.');
      if (modeHeader === '' && untilHeader === '') {
        await next();
        if (ctx.status < 300) retentions.delete(id(bucket, key));
        return undefined;
      }
      requireLockedBucket(bucket);
      requireIntegrityHeader(ctx, 'Put Object requests with Object Lock parameters');
      const wanted = futureRetention(parseMode(modeHeader), parseDate(untilHeader));
      await next();
      if (ctx.status < 300) retentions.set(id(bucket, key), wanted);
      return undefined;
    }

    if (ctx.method === 'DELETE' && plain(ctx)) {
      if (retained(bucket, key)) throw s3Error('AccessDenied', 'Access Denied because object protected by object lock.');
      await next();
      retentions.delete(id(bucket, key));
      return undefined;
    }

    if ((ctx.method === 'GET' || ctx.method === 'HEAD') && plain(ctx)) {
      await next();
      const r = retentions.get(id(bucket, key));
      if (r && ctx.status < 300) {
        ctx.set('x-amz-object-lock-mode', r.mode);
        ctx.set('x-amz-object-lock-retain-until-date', r.until.toISOString());
      }
      return undefined;
    }
    return await next();
  };

  return {
    middleware,
    setNow(clock: () => Date): void {
      now = clock;
    },
    retention(bucket: string, key: string): Retention | undefined {
      return retentions.get(id(bucket, key));
    },
  };
}
