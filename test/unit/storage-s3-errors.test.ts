/**
 * The mapping from SDK/network errors (shaped as @aws-sdk/client-s3 and Node raise them)
 * to the messages a technician reads. The live paths are covered against s3rver in
 * test/integration/storage-contract.test.ts; this covers the AWS-only answers.
 */
import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { CofreError } from '../../src-main/errors.js';
import { isS3NotFound, mapS3Error } from '../../src-main/storage/s3-errors.js';

const ctx = { storageName: 'nuvem', bucket: 'clinica-backups', where: 'AWS us-east-2', action: 'upload sets/s/a.age' };

function serviceError(name: string, status: number, message = 'server message'): S3ServiceException {
  return new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message });
}

function netError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });
}

describe('mapS3Error', () => {
  it('network failures are STORAGE_UNREACHABLE with a hint about endpoint and network', () => {
    for (const [err, why] of [
      [netError('ECONNREFUSED'), 'connection refused'],
      [netError('ENOTFOUND'), 'host name not found'],
      [Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }), 'timed out'],
      [Object.assign(new AggregateError([netError('ECONNREFUSED')], ''), {}), 'connection refused'],
    ] as const) {
      const mapped = mapS3Error(err, ctx);
      expect(mapped.code).toBe('STORAGE_UNREACHABLE');
      expect(mapped.message).toContain(why);
      expect(mapped.hint).toContain('storage.nuvem.endpoint');
    }
  });

  it('a missing bucket names the bucket and where it was looked for', () => {
    const mapped = mapS3Error(serviceError('NoSuchBucket', 404), ctx);
    expect(mapped.code).toBe('STORAGE_FAILED');
    expect(mapped.message).toBe('storage "nuvem": bucket clinica-backups does not exist at AWS us-east-2');
    expect(mapped.hint).toMatch(/create the bucket/);
    // HeadBucket answers a bare 404
    expect(mapS3Error(serviceError('NotFound', 404), ctx).message).toMatch(/bucket clinica-backups does not exist/);
  });

  it('credential problems say which setting to fix and never echo the server message', () => {
    const secretish = 'The AWS Access Key Id AKIAEXAMPLE you provided does not exist';
    const invalid = mapS3Error(serviceError('InvalidAccessKeyId', 403, secretish), ctx);
    expect(invalid.message).not.toContain('AKIAEXAMPLE');
    expect(invalid.hint).toContain('accessKeyIdEnv');
    const sig = mapS3Error(serviceError('SignatureDoesNotMatch', 403, 'StringToSign …'), ctx);
    expect(sig.hint).toContain('secretAccessKeyEnv');
    const denied = mapS3Error(serviceError('AccessDenied', 403), ctx);
    expect(denied.message).toMatch(/access denied to bucket clinica-backups/);
  });

  it('region mistakes, throttling and unknown errors', () => {
    expect(mapS3Error(serviceError('PermanentRedirect', 301), ctx).hint).toContain('storage.nuvem.region');
    expect(mapS3Error(serviceError('SlowDown', 503), ctx).code).toBe('STORAGE_UNREACHABLE');
    const other = mapS3Error(serviceError('WeirdThing', 400, 'odd'), ctx);
    expect(other.code).toBe('STORAGE_FAILED');
    expect(other.message).toBe('storage "nuvem": could not upload sets/s/a.age at AWS us-east-2: WeirdThing (HTTP 400): odd');
  });

  it('passes CofreErrors through and tells a missing object from a missing bucket', () => {
    const own = new CofreError('CANCELLED', 'cancelled');
    expect(mapS3Error(own, ctx)).toBe(own);
    expect(mapS3Error(serviceError('NoSuchKey', 404), { ...ctx, key: 'sets/s/a.age' }).message).toMatch(/object sets\/s\/a\.age does not exist/);
    expect(isS3NotFound(serviceError('NotFound', 404))).toBe(true);
    expect(isS3NotFound(serviceError('NoSuchBucket', 404))).toBe(false);
  });
});
