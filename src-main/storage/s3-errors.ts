/**
 * Turns AWS SDK / network errors into CofreErrors that say what was wrong and what to do.
 * Messages never include credentials (S3 error messages for auth failures are not echoed).
 */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';

export interface S3ErrorContext {
  storageName: string;
  bucket: string;
  /** endpoint URL or "AWS <region>" */
  where: string;
  /** what Cofre was doing, e.g. "upload sets/x/a.age" */
  action: string;
  /** the object key, when the call was about one object */
  key?: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface SdkErrorFields {
  name: string;
  code: string | undefined;
  status: number | undefined;
  message: string;
}

function fields(err: unknown): SdkErrorFields {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    code?: unknown;
    Code?: unknown;
    message?: unknown;
    errors?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  let code = typeof e.code === 'string' ? e.code : typeof e.Code === 'string' ? e.Code : undefined;
  // Node's happy-eyeballs connect failure is an AggregateError with the causes in `errors`.
  if (code === undefined && Array.isArray(e.errors)) {
    const first = e.errors[0] as { code?: unknown } | undefined;
    if (typeof first?.code === 'string') code = first.code;
  }
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    code,
    status,
    message: typeof e.message === 'string' ? e.message : String(err),
  };
}

/** The SDK error's name (e.g. `AccessDenied`, `NoSuchObjectLockConfiguration`), or '' for a non-error. */
export function s3ErrorName(err: unknown): string {
  return err instanceof Error ? fields(err).name : '';
}

/**
 * S3 refused to delete objects that are still under Object Lock retention: an expected state, not a
 * fault. Nothing of those objects was deleted; retry after `until` (the latest retain-until date).
 */
export class ObjectLockedError extends CofreError {
  readonly locked: ReadonlyArray<{ key: string; retainUntil: Date }>;
  readonly until: Date;

  constructor(storageName: string, locked: ReadonlyArray<{ key: string; retainUntil: Date }>) {
    const until = new Date(Math.max(...locked.map((l) => l.retainUntil.getTime())));
    const first = locked[0]?.key ?? '?';
    super('STORAGE_FAILED', `storage "${storageName}": ${locked.length} object(s) are still under Object Lock until ${until.toISOString()} (e.g. ${first}); S3 refused to delete them`, {
      hint: 'nothing to do: they are deleted by a prune after that date',
      ...said('objlock.stillLocked', { storage: storageName, until: until.toISOString() }),
    });
    this.name = 'ObjectLockedError';
    this.locked = locked;
    this.until = until;
  }
}

export function isS3NotFound(err: unknown): boolean {
  const f = fields(err);
  return f.name === 'NotFound' || f.name === 'NoSuchKey' || (f.status === 404 && f.name !== 'NoSuchBucket');
}

export function isS3NotImplemented(err: unknown): boolean {
  const f = fields(err);
  return f.name === 'NotImplemented' || f.status === 501;
}

export function mapS3Error(err: unknown, ctx: S3ErrorContext): CofreError {
  if (err instanceof CofreError) return err;
  const f = fields(err);
  const who = `storage "${ctx.storageName}"`;
  const nameKey = `storage.${ctx.storageName}`;

  if ((f.code !== undefined && NETWORK_CODES.has(f.code)) || f.name === 'TimeoutError' || f.name === 'RequestTimeout') {
    const why = f.code === 'ECONNREFUSED' ? 'connection refused'
      : f.code === 'ENOTFOUND' || f.code === 'EAI_AGAIN' ? 'host name not found'
      : f.name === 'TimeoutError' || f.code === 'ETIMEDOUT' ? 'timed out'
      : f.code?.startsWith('ERR_TLS') || f.code?.includes('CERT') ? `TLS certificate problem (${f.code})`
      : (f.code ?? f.name);
    return new CofreError('STORAGE_UNREACHABLE', `${who}: ${ctx.where} is unreachable (${why}) while trying to ${ctx.action}`, {
      ...said('storage.unreachable', { storage: ctx.storageName }),
      hint: `check ${nameKey}.endpoint / region in the config and this machine's network connection, then try again`,
      cause: err,
    });
  }
  switch (f.name) {
    case 'NoSuchBucket':
      return bucketMissing(ctx, err);
    case 'AccessDenied':
    case 'AllAccessDisabled':
    case 'Forbidden':
      return new CofreError('STORAGE_FAILED', `${who}: access denied to bucket ${ctx.bucket} at ${ctx.where} while trying to ${ctx.action}`, {
        ...said('storage.denied', { storage: ctx.storageName }),
        hint: 'give the credentials s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on the bucket (and check the bucket policy)',
        cause: err,
      });
    case 'InvalidAccessKeyId':
      return new CofreError('STORAGE_FAILED', `${who}: ${ctx.where} does not know the access key id in use`, {
        ...said('storage.credentials', { storage: ctx.storageName }),
        hint: `check the variable named by ${nameKey}.accessKeyIdEnv (a key for another provider or a deleted key?)`,
        cause: err,
      });
    case 'SignatureDoesNotMatch':
      return new CofreError('STORAGE_FAILED', `${who}: ${ctx.where} rejected the secret access key (signature does not match)`, {
        ...said('storage.credentials', { storage: ctx.storageName }),
        hint: `check the variable named by ${nameKey}.secretAccessKeyEnv`,
        cause: err,
      });
    case 'ExpiredToken':
    case 'TokenRefreshRequired':
      return new CofreError('STORAGE_FAILED', `${who}: the session token has expired`, {
        ...said('storage.credentials', { storage: ctx.storageName }),
        hint: 'renew the temporary credentials',
        cause: err,
      });
    case 'RequestTimeTooSkewed':
      return new CofreError('STORAGE_FAILED', `${who}: this machine's clock differs too much from ${ctx.where}`, {
        ...said('storage.clock', { storage: ctx.storageName }),
        hint: 'synchronise the clock (NTP) and try again',
        cause: err,
      });
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
    case 'IllegalLocationConstraintException':
      return new CofreError('STORAGE_FAILED', `${who}: bucket ${ctx.bucket} is not in the region the config says`, {
        ...said('storage.region', { storage: ctx.storageName }),
        hint: `set ${nameKey}.region to the bucket's region (or fix the endpoint)`,
        cause: err,
      });
    case 'NoSuchKey':
      return objectMissing(ctx, err);
    case 'SlowDown':
    case 'ServiceUnavailable':
    case 'InternalError':
      return new CofreError('STORAGE_UNREACHABLE', `${who}: ${ctx.where} is overloaded or failing (${f.name}) while trying to ${ctx.action}`, {
        ...said('storage.unreachable', { storage: ctx.storageName }),
        hint: 'try again later; if it persists check the provider status page',
        cause: err,
      });
    case 'EntityTooLarge':
      return new CofreError('STORAGE_FAILED', `${who}: object too large for ${ctx.where} while trying to ${ctx.action}`, {
        ...said('storage.failed', { storage: ctx.storageName }),
        hint: 'split the source (e.g. one source per folder) or raise the provider limit',
        cause: err,
      });
    default:
      break;
  }
  if (f.status === 404 && ctx.key === undefined) return bucketMissing(ctx, err);
  if (f.status === 404) return objectMissing(ctx, err);
  if (f.status === 403) {
    return new CofreError('STORAGE_FAILED', `${who}: access denied to bucket ${ctx.bucket} at ${ctx.where} while trying to ${ctx.action}`, {
      ...said('storage.denied', { storage: ctx.storageName }),
      hint: 'check the credentials and their permissions on the bucket',
      cause: err,
    });
  }
  const status = f.status === undefined ? '' : ` (HTTP ${f.status})`;
  return new CofreError('STORAGE_FAILED', `${who}: could not ${ctx.action} at ${ctx.where}: ${f.name}${status}: ${f.message}`, {
    ...said('storage.failed', { storage: ctx.storageName }),
    cause: err,
  });
}

function bucketMissing(ctx: S3ErrorContext, cause: unknown): CofreError {
  return new CofreError('STORAGE_FAILED', `storage "${ctx.storageName}": bucket ${ctx.bucket} does not exist at ${ctx.where}`, {
    ...said('storage.noBucket', { storage: ctx.storageName, bucket: ctx.bucket }),
    hint: `create the bucket (in the provider's console), or fix storage.${ctx.storageName}.bucket / region / endpoint in the config`,
    cause,
  });
}

function objectMissing(ctx: S3ErrorContext, cause: unknown): CofreError {
  return new CofreError('STORAGE_FAILED', `storage "${ctx.storageName}": object ${ctx.key ?? '?'} does not exist in bucket ${ctx.bucket}`, {
    ...said('storage.objectMissing', { storage: ctx.storageName }),
    hint: 'list the sets again (`cofre sets`); the object may have been pruned or never written',
    cause,
  });
}
