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
}

/** The little of s3rver's API used here (the package ships no types). */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  store: { putBucket(name: string): Promise<unknown> };
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

export async function startS3rver(opts: { buckets?: string[] } = {}): Promise<S3ServerHandle> {
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
