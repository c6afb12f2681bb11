/**
 * One contract suite run against every storage backend (restic style): whatever the
 * backend, a put stores exactly the bytes streamed, list shows exactly what was stored,
 * a failed or aborted put leaves nothing behind, and errors say what went wrong.
 * Backend-specific faults (unreachable endpoint, missing bucket, disk full) follow.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CofreError } from '../../src-main/errors.js';
import { openStorage } from '../../src-main/storage/index.js';
import type { Storage } from '../../src-main/storage/index.js';
import { isUnderRetention } from '../../src-main/storage/object-lock.js';
import { startS3rver } from '../harness/s3.js';
import type { S3ServerHandle } from '../harness/s3.js';
import { freePort, removeDir, run, tempDir } from '../harness/util.js';

const MIB = 1024 * 1024;

interface Subject {
  storage: Storage;
  /** every object physically present, reserved/temp names included, relative to the backend root */
  rawKeys(): Promise<string[]>;
  cleanup(): Promise<void>;
}
type MakeSubject = (prefix: string) => Promise<Subject>;

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `data` as a stream of 64 KiB chunks (never one big chunk, like a real dump stream). */
function streamOf(data: Buffer, chunk = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
    })(),
  );
}

/** Yields `bytesBeforeError` random bytes, then fails like a broken SSH channel. */
function failingStream(bytesBeforeError: number, error: Error): Readable {
  return Readable.from(
    (async function* () {
      const chunk = randomBytes(256 * 1024);
      for (let sent = 0; sent < bytesBeforeError; sent += chunk.length) yield chunk;
      throw error;
    })(),
  );
}

/** Produces bytes until destroyed. */
function endlessStream(): Readable {
  const chunk = randomBytes(256 * 1024);
  return new Readable({
    read() {
      setImmediate(() => this.push(chunk));
    },
  });
}

async function streamHash(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function listKeys(storage: Storage, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of storage.list(prefix)) keys.push(info.key);
  return keys.sort();
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

function expectCofreError(err: unknown, code: string, message?: RegExp): CofreError {
  expect(err).toBeInstanceOf(CofreError);
  const e = err as CofreError;
  expect(e.code, e.message).toBe(code);
  if (message) expect(e.message).toMatch(message);
  return e;
}

async function walkFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const key = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await walkFiles(join(dir, entry.name), key)));
    else out.push(key);
  }
  return out.sort();
}

function storageContract(name: string, makeSubject: MakeSubject): void {
  describe(`storage contract: ${name}`, () => {
    const subjects: Subject[] = [];
    const subject = async (prefix = 'cofre'): Promise<Subject> => {
      const s = await makeSubject(prefix);
      subjects.push(s);
      return s;
    };
    afterAll(async () => {
      for (const s of subjects) {
        s.storage.close();
        await s.cleanup();
      }
    });

    it('check() passes on a usable storage and leaves nothing behind', async () => {
      const { storage, rawKeys } = await subject();
      await storage.check();
      expect(await rawKeys()).toEqual([]);
      expect(storage.describe).not.toMatch(/S3RVER/); // no credentials in descriptions
    });

    it.each([
      ['0 B', 0],
      ['1 B', 1],
      ['20 MiB (multipart)', 20 * MIB],
    ])('put/get round trip of %s keeps every byte', async (_label, size) => {
      const { storage } = await subject();
      const data = randomBytes(size);
      let reported = 0;
      const key = `sets/20260101T020000Z-abcdef/banco.clinica.pgdump.age`;
      const stored = await storage.put(key, streamOf(data), { onBytes: (n) => (reported += n) });
      expect(stored).toEqual({ key, bytes: size, sha256: sha256(data) });
      expect(reported).toBe(size);

      const head = await storage.head(key);
      expect(head?.bytes).toBe(size);
      expect(head?.lastModified).toBeInstanceOf(Date);

      const back = await streamHash(await storage.get(key));
      expect(back).toEqual({ sha256: sha256(data), bytes: size });
    });

    it.each([
      ['exactly one 5 MiB part', 5 * MIB, 1000 * 1000],
      ['two parts and one byte, in uneven chunks', 10 * MIB + 1, 777_777],
      ['three exact parts, in chunks larger than a part', 15 * MIB, 6 * MIB + 3],
    ])('put keeps every byte at part boundaries: %s', async (_label, size, chunk) => {
      const { storage } = await subject();
      const data = randomBytes(size);
      const key = 'sets/20260101T020000Z-abcdef/arquivos.files.tar.age';
      expect(await storage.put(key, streamOf(data, chunk), { sizeHint: size })).toEqual({ key, bytes: size, sha256: sha256(data) });
      expect(await streamHash(await storage.get(key))).toEqual({ sha256: sha256(data), bytes: size });
    });

    it('putBytes/getBytes store small objects such as the manifest, replacing an older one', async () => {
      const { storage } = await subject();
      const key = 'sets/20260101T020000Z-abcdef/manifest.json';
      const first = Buffer.from('{"v":1}');
      const second = Buffer.from('{"v":2,"sources":[]}');
      expect(await storage.putBytes(key, first)).toEqual({ key, bytes: first.length, sha256: sha256(first) });
      await storage.putBytes(key, second);
      expect((await storage.getBytes(key)).equals(second)).toBe(true);
      expect(await listKeys(storage)).toEqual([key]);
    });

    it('list shows exactly what was stored, by prefix, relative to the storage prefix', async () => {
      const { storage, rawKeys } = await subject('clinica/cofre');
      const keys = [
        'sets/20260101T020000Z-aaaaaa/a.files.tar.age',
        'sets/20260101T020000Z-aaaaaa/manifest.json',
        'sets/20260102T020000Z-bbbbbb/b.clinica.pgdump.age',
        'sets/20260102T020000Z-bbbbbbX/c.sql.age',
        'notes.txt',
      ];
      for (const [i, key] of keys.entries()) await storage.putBytes(key, Buffer.alloc(i + 1, i));

      const all: { key: string; bytes: number }[] = [];
      for await (const info of storage.list('')) all.push({ key: info.key, bytes: info.bytes });
      all.sort((a, b) => a.key.localeCompare(b.key));
      expect(all).toEqual(keys.map((key, i) => ({ key, bytes: i + 1 })).sort((a, b) => a.key.localeCompare(b.key)));

      expect(await listKeys(storage, 'sets/')).toEqual(keys.slice(0, 4).sort());
      expect(await listKeys(storage, 'sets/20260101T020000Z-aaaaaa/')).toEqual(keys.slice(0, 2).sort());
      expect(await listKeys(storage, 'sets/20260102T020000Z-bbbbbb/')).toEqual([keys[2]]);
      expect(await listKeys(storage, 'sets/20260102T020000Z-bbbbbb')).toEqual([keys[2], keys[3]]);
      expect(await listKeys(storage, 'nothing-here/')).toEqual([]);
      // physically under the configured prefix
      expect(await rawKeys()).toEqual(keys.map((k) => `clinica/cofre/${k}`).sort());
    });

    it('delete removes exactly the given keys and ignores missing ones', async () => {
      const { storage } = await subject();
      const keys = ['sets/s1/a.age', 'sets/s1/manifest.json', 'sets/s2/a.age', 'sets/s2/manifest.json'];
      for (const key of keys) await storage.putBytes(key, Buffer.from(key));
      await storage.delete(['sets/s1/a.age', 'sets/s1/manifest.json', 'sets/never/was.age']);
      expect(await listKeys(storage)).toEqual(['sets/s2/a.age', 'sets/s2/manifest.json']);
      expect(await storage.head('sets/s1/a.age')).toBeUndefined();
      await storage.delete([]);
      expect(await listKeys(storage)).toHaveLength(2);
    });

    it('head of a missing key is undefined; get of a missing key says it does not exist', async () => {
      const { storage } = await subject();
      expect(await storage.head('sets/nope/manifest.json')).toBeUndefined();
      const err = await rejection(storage.get('sets/nope/manifest.json'));
      expectCofreError(err, 'STORAGE_FAILED', /sets\/nope\/manifest\.json does not exist/);
    });

    it('a source that fails mid-way rejects with its own error and leaves no object', async () => {
      const { storage, rawKeys } = await subject();
      const boom = new Error('ssh channel closed: pg_dump exited with 1');
      const key = 'sets/s1/banco.clinica.pgdump.age';
      // past the first part, so S3 is in a multipart upload when the source breaks
      const err = await rejection(storage.put(key, failingStream(20 * MIB, boom)));
      expect(err).toBe(boom);
      expect(await storage.head(key)).toBeUndefined();
      expect(await listKeys(storage)).toEqual([]);
      expect(await rawKeys()).toEqual([]);

      // the same for a small object (S3 single-put path)
      const err2 = await rejection(storage.put(key, failingStream(1000, boom)));
      expect(err2).toBe(boom);
      expect(await rawKeys()).toEqual([]);
    });

    it('aborting a put rejects with CANCELLED and leaves no object', async () => {
      const { storage, rawKeys } = await subject();
      const key = 'sets/s1/arquivos.files.tar.age';
      const controller = new AbortController();
      const source = endlessStream();
      let seen = 0;
      const pending = storage.put(key, source, {
        signal: controller.signal,
        onBytes: (n) => {
          seen += n;
          if (seen >= 24 * MIB && !controller.signal.aborted) controller.abort();
        },
      });
      const started = Date.now();
      const err = await rejection(pending);
      expectCofreError(err, 'CANCELLED', /upload of sets\/s1\/arquivos\.files\.tar\.age cancelled/);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(source.destroyed).toBe(true);
      expect(await listKeys(storage)).toEqual([]);
      expect(await rawKeys()).toEqual([]);

      // already aborted before it starts
      const err2 = await rejection(storage.put(key, streamOf(Buffer.from('x')), { signal: AbortSignal.abort() }));
      expectCofreError(err2, 'CANCELLED');
      expect(await rawKeys()).toEqual([]);
    });

    it('rejects keys that could escape the prefix', async () => {
      const { storage } = await subject();
      for (const bad of ['', '../x', 'a/../../x', '/etc/passwd', 'a//b', 'a/', './a', 'a\\b', '.cofre-tmp-x']) {
        expectCofreError(await rejection(storage.putBytes(bad, Buffer.from('x'))), 'INVALID_ARGUMENT');
      }
      expectCofreError(await rejection(listKeys(storage, '../')), 'INVALID_ARGUMENT');
    });

    it('no object is under S3 Object Lock retention by default', async () => {
      const { storage } = await subject();
      await storage.putBytes('sets/s1/manifest.json', Buffer.from('{}'));
      expect(await isUnderRetention(storage, 'sets/s1/manifest.json')).toBe(false);
    });
  });
}

// ---------------------------------------------------------------- folder

async function makeFolderSubject(prefix: string): Promise<Subject> {
  const dir = await tempDir('storage-folder');
  return {
    storage: openStorage({ type: 'folder', name: 'nas', path: dir, prefix }),
    rawKeys: () => walkFiles(dir),
    cleanup: () => removeDir(dir),
  };
}

storageContract('folder', makeFolderSubject);

// ---------------------------------------------------------------- s3 (s3rver)

let s3: S3ServerHandle | undefined;
let bucketCounter = 0;

async function s3Server(): Promise<S3ServerHandle> {
  s3 ??= await startS3rver();
  return s3;
}

afterAll(async () => {
  await s3?.stop();
});

function rawS3Client(server: S3ServerHandle): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
}

async function makeS3Subject(prefix: string): Promise<Subject> {
  const server = await s3Server();
  const bucket = `contract-${process.pid}-${++bucketCounter}`;
  await server.createBucket(bucket);
  const storage = openStorage(
    { type: 's3', name: 'nuvem', endpoint: server.endpoint, region: server.region, bucket, prefix, forcePathStyle: true },
    { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  );
  const client = rawS3Client(server);
  return {
    storage,
    rawKeys: async () => {
      const res = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (res.Contents ?? []).map((c) => c.Key ?? '').sort();
    },
    cleanup: async () => client.destroy(),
  };
}

storageContract('s3 (s3rver)', makeS3Subject);

// ---------------------------------------------------------------- faults

describe('storage faults: s3', () => {
  it('an endpoint with nothing listening fails fast with STORAGE_UNREACHABLE', async () => {
    const port = await freePort();
    const storage = openStorage(
      { type: 's3', name: 'nuvem', endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', bucket: 'b1', forcePathStyle: true },
      { accessKeyId: 'AKIAEXAMPLESECRETID', secretAccessKey: 'very-secret-key-value' },
    );
    try {
      const started = Date.now();
      const err = expectCofreError(await rejection(storage.check()), 'STORAGE_UNREACHABLE', /127\.0\.0\.1.*unreachable \(connection refused\)/);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(err.hint).toMatch(/storage\.nuvem\.endpoint/);
      expect(`${err.message} ${err.hint}`).not.toMatch(/AKIAEXAMPLESECRETID|very-secret-key-value/);

      const putErr = await rejection(storage.put('sets/s1/a.age', streamOf(randomBytes(1000))));
      expectCofreError(putErr, 'STORAGE_UNREACHABLE');
    } finally {
      storage.close();
    }
  });

  it('a missing bucket is named in the message', async () => {
    const server = await s3Server();
    const storage = openStorage(
      { type: 's3', name: 'nuvem', endpoint: server.endpoint, region: server.region, bucket: 'no-such-bucket-here', forcePathStyle: true },
      { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    );
    try {
      const err = expectCofreError(await rejection(storage.check()), 'STORAGE_FAILED', /bucket no-such-bucket-here does not exist at http:\/\/127\.0\.0\.1/);
      expect(err.hint).toMatch(/create the bucket/);
      const putErr = await rejection(storage.put('sets/s1/a.age', streamOf(randomBytes(1000))));
      expectCofreError(putErr, 'STORAGE_FAILED', /no-such-bucket-here/);
    } finally {
      storage.close();
    }
  });

  it('a part S3 refuses in the middle of a multipart upload fails the put and leaves no object', async () => {
    const server = await s3Server();
    await server.createBucket('refused-part');
    // A faulty link in front of the real s3rver: it answers 500 to every upload of part 2.
    const proxy = createServer((req, res) => {
      if (/[?&]partNumber=2(&|$)/.test(req.url ?? '')) {
        req.resume();
        req.on('end', () => res.writeHead(500, { 'content-type': 'application/xml' }).end('<Error><Code>InternalError</Code><Message>disk failure</Message></Error>'));
        return;
      }
      const upstream = httpRequest(`${server.endpoint}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as AddressInfo).port;
    const storage = openStorage(
      { type: 's3', name: 'nuvem', endpoint: `http://127.0.0.1:${port}`, region: server.region, bucket: 'refused-part', forcePathStyle: true },
      { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    );
    const client = rawS3Client(server);
    try {
      const key = 'sets/s1/arquivos.files.tar.age';
      const err = await rejection(storage.put(key, streamOf(randomBytes(30 * MIB))));
      expectCofreError(err, 'STORAGE_UNREACHABLE', /failing \(InternalError\).*arquivos\.files\.tar\.age/);
      const res = await client.send(new ListObjectsV2Command({ Bucket: 'refused-part' }));
      expect(res.Contents ?? []).toEqual([]);
    } finally {
      storage.close();
      client.destroy();
      proxy.close();
    }
  });

  it('unknown credentials are reported without echoing them', async () => {
    const server = await s3Server();
    await server.createBucket('creds-bucket');
    const storage = openStorage(
      { type: 's3', name: 'nuvem', endpoint: server.endpoint, region: server.region, bucket: 'creds-bucket', forcePathStyle: true },
      { accessKeyId: 'AKIAWRONGWRONGWRONG', secretAccessKey: 'wrong-secret-value' },
    );
    try {
      const err = expectCofreError(await rejection(storage.putBytes('x', Buffer.from('x'))), 'STORAGE_FAILED');
      expect(`${err.message} ${err.hint ?? ''}`).not.toMatch(/AKIAWRONGWRONGWRONG|wrong-secret-value/);
      expect(err.message).toMatch(/access key id|access denied/);
    } finally {
      storage.close();
    }
  });
});

describe('storage faults: folder', () => {
  let tmpfs: string | undefined;
  let tmpfsRoot: string | undefined;
  let mountError: string | undefined;

  beforeAll(async () => {
    tmpfsRoot = await tempDir('storage-tmpfs');
    tmpfs = join(tmpfsRoot, 'disk');
    await mkdir(tmpfs);
    const res = await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', tmpfs]);
    if (res.code !== 0) mountError = `mount -t tmpfs not permitted here: ${res.stderr.trim()}`;
  });

  afterAll(async () => {
    if (tmpfs !== undefined && mountError === undefined) await run('umount', [tmpfs]);
    if (tmpfsRoot !== undefined) await removeDir(tmpfsRoot);
  });

  it('a missing top folder is reported (never created, so an unmounted NAS is noticed)', async () => {
    const dir = await tempDir('storage-missing');
    const path = join(dir, 'not-mounted');
    const storage = openStorage({ type: 'folder', name: 'nas', path });
    try {
      const err = expectCofreError(await rejection(storage.check()), 'STORAGE_FAILED', /folder .*not-mounted does not exist/);
      expect(err.hint).toMatch(/mount/);
      expectCofreError(await rejection(storage.put('sets/s1/a.age', streamOf(Buffer.from('x')))), 'STORAGE_FAILED', /does not exist/);
      await expect(stat(path)).rejects.toThrow();
    } finally {
      await removeDir(dir);
    }
  });

  it('a full disk fails the put with "disk full" and leaves no partial file', async (ctx) => {
    if (mountError !== undefined) ctx.skip(mountError);
    const disk = tmpfs as string;
    const storage = openStorage({ type: 'folder', name: 'nas', path: disk, prefix: 'cofre' });
    const source = streamOf(randomBytes(5 * MIB));
    const err = expectCofreError(await rejection(storage.put('sets/s1/big.tar.age', source)), 'STORAGE_FAILED', /disk full on /);
    expect(err.message).toContain(disk);
    expect(source.destroyed).toBe(true);
    expect(await walkFiles(disk)).toEqual([]);
    // and the disk is usable again afterwards
    await storage.putBytes('sets/s1/manifest.json', Buffer.from('{}'));
    expect(await walkFiles(disk)).toEqual(['cofre/sets/s1/manifest.json']);
  });
});
