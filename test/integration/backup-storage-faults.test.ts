/**
 * A format-2 backup against storage that fails (test/support/faulty-storage.ts, through the
 * context's storage opener, the one way a backup opens storage): an HTTP 5xx or EIO on a pack
 * upload, a manifest write that never answers, a reused pack that storage reports truncated right
 * before the manifest. Each run fails with a message that says what broke, no set looks complete
 * (the listing `cofre sets` shows), and the next backup, without the fault, succeeds and restores
 * identical to the tree. An index write that fails reports the storage's error (the first), not
 * the stream errors that follow it; a host without zstd (compress: true) fails with PRECONDITION.
 * Neither leaves an object behind.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { treeFingerprint, type FileEntry } from '../support/compare.js';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup, type BackupResult } from '../../src-main/backup/run.js';
import { listStorages } from '../../src-main/backup/storage-sets.js';
import { runRestore } from '../../src-main/restore/restore.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { LEASES_PREFIX } from '../../src-main/backup/lease.js';
import { filesPlanFixture, type Fixture } from '../support/backup-fixture.js';
import { FaultyStorage, type Fault } from '../support/faulty-storage.js';

const h = inject('harness');
const PLAN = 'faltas';
const STORAGE = 'nas';

/** The tree as a restore must bring it back (`*.tmp` is excluded by the source). */
const snapshot = (root: string): FileEntry[] => treeFingerprint(root, { skip: (_path, name) => name.endsWith('.tmp') });

describe('format-2 backup under storage faults', () => {
  let fx: Fixture;
  let uploads: string;
  let restoreRoot: string;

  const ctxWith = (faults?: Fault[], opened?: FaultyStorage[]): AppContext => new AppContext({
    env: fx.env,
    actor: 'test',
    ...(faults ? {
      openStorage: (config, name, env) => {
        const f = new FaultyStorage(storageFromConfig(config, name, env), faults);
        opened?.push(f);
        return f;
      },
    } : {}),
  });
  const withCtx = async <T>(c: AppContext, fn: (c: AppContext) => Promise<T>): Promise<T> => {
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  };
  const backup = (faults?: Fault[], opened?: FaultyStorage[]): Promise<BackupResult> => withCtx(ctxWith(faults, opened), (c) => runBackup(c, PLAN));
  /** what `cofre sets` lists: set id → state */
  const states = async (): Promise<Map<string, string>> => {
    const listing = await withCtx(ctxWith(), (c) => listStorages(c, { storages: [STORAGE] }));
    expect(listing.unreachable).toEqual([]);
    return new Map(listing.sets.map((s) => [s.setId, s.state]));
  };
  const completeIds = (m: Map<string, string>): string[] => [...m].filter(([, st]) => st === 'complete').map(([id]) => id).sort();
  const write = (rel: string, data: Buffer): void => {
    mkdirSync(join(uploads, rel, '..'), { recursive: true });
    writeFileSync(join(uploads, rel), data);
  };

  beforeAll(async () => {
    restoreRoot = join('/tmp', `cofre-bsf-${process.pid}-${Date.now()}`);
    mkdirSync(restoreRoot, { recursive: true });
    fx = await filesPlanFixture(h, {
      plan: PLAN, storage: STORAGE, restoreRoot, largeBytes: 300 * 1024,
      packBytes: 128 * 1024, // small packs: a set spans several
      timeoutSeconds: 3,
    });
    uploads = join(fx.filesDir, 'uploads');
    for (let i = 0; i < 8; i++) write(`base/f${i}.bin`, randomBytes(40_000));
    const first = await backup();
    expect(first.error).toBeUndefined();
  }, 300_000);
  afterAll(() => {
    if (restoreRoot) rmSync(restoreRoot, { recursive: true, force: true });
  });

  const cases: Array<[string, Fault[], RegExp]> = [
    ['HTTP 5xx on a pack upload', [{ kind: '5xx', ops: ['put'], key: 'packs/' }], /put packs\/\S+ failed with HTTP 503/],
    ['EIO on a pack upload', [{ kind: 'eio', ops: ['put'], key: 'packs/' }], /put packs\/\S+ failed: EIO/],
    ['a manifest write that never answers', [{ kind: 'timeout', ops: ['put'], key: /manifest\.json$/ }], /did not answer writing sets\/\S+\/manifest\.json within 3 s: the set was not written/],
    ['a reused pack read back truncated right before the manifest', [{ kind: 'truncated', ops: ['head'], key: 'packs/' }], /pack packs\/\S+ that this set reuses is \d+ bytes, expected \d+/],
  ];
  it.each(cases)('%s: the run fails saying so, no set looks complete; the next backup restores identical', async (_name, faults, why) => {
    const before = await states();
    // one changed file (a new pack to upload) beside unchanged ones (packs to reuse)
    write('base/f0.bin', randomBytes(40_000));
    write(`novo/${randomBytes(4).toString('hex')}.bin`, randomBytes(30_000));
    const opened: FaultyStorage[] = [];
    const failed = await backup(faults, opened);
    expect(opened.flatMap((o) => o.hits).length, 'the fault was reached').toBeGreaterThan(0);
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(why);
    const after = await states();
    expect(completeIds(after)).toEqual(completeIds(before));
    expect(after.get(failed.setId) ?? 'absent').not.toBe('complete');

    const snap = snapshot(uploads);
    const next = await backup();
    expect(next.error).toBeUndefined();
    expect((await states()).get(next.setId)).toBe('complete');
    const r = await withCtx(ctxWith(), (c) => runRestore(c, { setId: next.setId, target: 'homologacao', yes: true }));
    expect(r.error, JSON.stringify(r.validation)).toBeUndefined();
    expect(snapshot(join(restoreRoot, next.setId, uploads))).toEqual(snap);
  }, 300_000);

  /** every object key in storage (leases aside), for before/after comparisons */
  const keys = async (): Promise<string[]> => withCtx(ctxWith(), async (c) => {
    const s = storageFromConfig(c.config, STORAGE, fx.env);
    try {
      const out: string[] = [];
      for await (const o of s.list('')) if (!o.key.startsWith(LEASES_PREFIX)) out.push(o.key);
      return out.sort();
    } finally {
      s.close();
    }
  });

  it('the index write fails at storage and its stream is cut as well: the storage\'s error (the first) is reported, nothing of the run is left', async () => {
    const before = await keys();
    write(`novo/${randomBytes(4).toString('hex')}.bin`, randomBytes(30_000)); // a new pack, deleted with the run
    const opened: FaultyStorage[] = [];
    // the fault destroys the index's body stream and rejects the write; the abort that follows cuts
    // the streams (premature close, zstd SIGTERM): IndexUpload keeps the first error (`failed ??=`)
    const failed = await backup([{ kind: 'eio', ops: ['put'], key: /\.index\.zst\.age$/ }], opened);
    expect(opened.flatMap((o) => o.hits)).toEqual([{ op: 'put', key: `sets/${failed.setId}/arquivos.index.zst.age`, kind: 'eio' }]);
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('STORAGE_FAILED');
    expect(failed.error?.message).toMatch(/put sets\/\S+\/arquivos\.index\.zst\.age failed: EIO/);
    // not what followed it: the stream's premature close, zstd killed by the abort, the abort itself
    expect(failed.error?.message).not.toMatch(/premature close|zstd failed|abandoned/i);
    expect(await keys()).toEqual(before);
  }, 300_000);

  it('compress: true on a backup host without zstd: PRECONDITION saying so, no object left, no set that looks complete', async () => {
    const before = await keys();
    const statesBefore = await states();
    write(`novo/${randomBytes(4).toString('hex')}.bin`, randomBytes(30_000)); // a pack to compress
    const path = process.env['PATH'];
    const empty = join(restoreRoot, 'sem-zstd');
    mkdirSync(empty, { recursive: true });
    process.env['PATH'] = empty; // zstd runs on this computer (packs and index); nothing else here is spawned
    let failed: BackupResult;
    try {
      failed = await backup();
    } finally {
      process.env['PATH'] = path;
    }
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('PRECONDITION');
    expect(failed.error?.message).toMatch(/zstd is not installed on this backup host \(needed for compress: true\)/);
    expect(await keys()).toEqual(before);
    const after = await states();
    expect(completeIds(after)).toEqual(completeIds(statesBefore));
    expect(after.has(failed.setId)).toBe(false);
  }, 300_000);
});
