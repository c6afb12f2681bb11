/**
 * An S3-compatible server for tests: the npm `s3rver` package, in this process, on
 * 127.0.0.1 with a free port and a throwaway folder. Clients must use path-style
 * addressing (`forcePathStyle: true`) and, with AWS SDK v3, the checksum settings
 * `requestChecksumCalculation: 'WHEN_REQUIRED'`, `responseChecksumValidation: 'WHEN_REQUIRED'`.
 */
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { removeDir, tempDir } from './util.js';
import { objectLockStandIn, type KoaMiddleware, type ObjectLockStandIn } from './s3-object-lock.js';

export interface S3ServerInfo {
  /** e.g. `http://127.0.0.1:43521` */
  endpoint: string;
  region: 'us-east-1';
  accessKeyId: 'S3RVER';
  secretAccessKey: 'S3RVER';
}

export interface S3ServerHandle extends S3ServerInfo {
  host: string;
  port: number;
  /** the folder where s3rver keeps buckets and objects */
  directory: string;
  /** Creates a bucket (idempotent). */
  createBucket(name: string): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
  /** with `startS3rver({ objectLock: true })`: the test stand-in for S3 Object Lock (s3-object-lock.ts) */
  objectLock?: ObjectLockStandIn;
}

/** The little of s3rver's API used here (the package ships no types). */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  store: { putBucket(name: string): Promise<unknown> };
  /** Koa's middleware list (s3rver is a Koa app) */
  middleware: KoaMiddleware[];
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  resetOnClose: boolean;
  vhostBuckets: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const require = createRequire(import.meta.url);

/**
 * `objectLock: true` puts the Object Lock stand-in (s3-object-lock.ts: s3rver has no Object Lock)
 * in front of s3rver's own routes; buckets then get Object Lock when created with
 * `x-amz-bucket-object-lock-enabled: true` (CreateBucket's ObjectLockEnabledForBucket).
 */
export async function startS3rver(opts: { buckets?: string[]; objectLock?: boolean } = {}): Promise<S3ServerHandle> {
  const S3rver = require('s3rver') as S3rverConstructor;
  const root = await tempDir('s3');
  const directory = join(root, 'data');
  await mkdir(directory);
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    resetOnClose: false,
    vhostBuckets: false,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name })),
  });
  const lock = opts.objectLock ? objectLockStandIn() : undefined;
  // first in the chain: it answers the Object Lock calls itself and wraps the object ones
  if (lock) server.middleware.unshift(lock.middleware);
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (err) {
    await removeDir(root);
    throw new Error(`s3rver did not start: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const host = '127.0.0.1';
  const port = address.port;
  let stopped = false;
  return {
    endpoint: `http://${host}:${port}`,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    host,
    port,
    directory,
    ...(lock ? { objectLock: lock } : {}),
    async createBucket(name: string): Promise<void> {
      await server.store.putBucket(name);
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await server.close().catch(() => undefined);
      await removeDir(root);
    },
  };
}
