/**
 * `cofre repack` moves a member larger than what it holds in memory (16 MiB: files2/repack-packs.ts
 * spools it through a file in the job's private spool): a 16 MiB + 1 byte file shares a pack with
 * small files that are then deleted; after `forget` of the first set the pack is mostly live but
 * not all, and a repack with threshold 1 rewrites it. The remaining set then restores byte for
 * byte. Real sshd, folder storage, the format-2 files plan.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { treeFingerprint, type FileEntry } from '../support/compare.js';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { runRestore } from '../../src-main/restore/restore.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { forgetSet } from '../../src-main/retention/forget.js';
import { repackOpen } from '../../src-main/files2/repack.js';
import { filesPlanFixture, type Fixture } from '../support/backup-fixture.js';

const h = inject('harness');
const PLAN = 'grande';
const STORAGE = 'nas';
/** one byte over the largest member repack holds in memory */
const BIG = 16 * 1024 * 1024 + 1;

const snapshot = (root: string): FileEntry[] => treeFingerprint(root, { skip: (_path, name) => name.endsWith('.tmp') });

describe('repack of a pack whose live member is larger than 16 MiB', () => {
  let fx: Fixture;
  let uploads: string;
  let restoreRoot: string;
  const sets: string[] = [];
  const ctx = (): AppContext => new AppContext({ env: fx.env, actor: 'test' });
  const backup = async (): Promise<string> => {
    const c = ctx();
    try {
      const r = await runBackup(c, PLAN);
      expect(r.error).toBeUndefined();
      return r.setId;
    } finally {
      c.close();
    }
  };

  beforeAll(async () => {
    restoreRoot = join('/tmp', `cofre-repack-big-${process.pid}-${Date.now()}`);
    mkdirSync(restoreRoot, { recursive: true });
    // the fixture's grande.bin is the large member; the default pack size (64 MiB) puts it in one pack with the small files
    fx = await filesPlanFixture(h, { plan: PLAN, storage: STORAGE, restoreRoot, largeBytes: BIG, planExtra: '    rpoHours: 10000\n' });
    uploads = join(fx.filesDir, 'uploads');
  }, 120_000);
  afterAll(() => {
    if (restoreRoot) rmSync(restoreRoot, { recursive: true, force: true });
  });

  it('the large member is moved into a new pack; the remaining set restores byte for byte', async () => {
    sets.push(await backup());
    // the small files die with the first set: the pack keeps grande.bin alive and nothing else
    rmSync(join(uploads, 'exames 2026'), { recursive: true });
    rmSync(join(uploads, 'segredo.txt'));
    const snap = snapshot(uploads);
    sets.push(await backup());
    let c = ctx();
    try {
      expect(await forgetSet(c, sets[0] ?? '', { yes: true, storage: STORAGE })).toBeTruthy();
    } finally {
      c.close();
    }

    c = ctx();
    const storage = storageFromConfig(c.config, STORAGE, fx.env);
    try {
      const r = await repackOpen(c, storage, { storage: STORAGE, threshold: 1, dryRun: false });
      expect(r.repacked).toHaveLength(1);
      expect(r.repacked[0]?.liveBytes).toBeGreaterThanOrEqual(BIG);
      expect(r.repacked[0]?.liveBytes).toBeLessThan(r.repacked[0]?.memberBytes ?? 0);
      expect(r.newPacks).toHaveLength(1);
      expect(r.setsRewritten).toEqual([sets[1]]);
    } finally {
      storage.close();
      c.close();
    }

    c = ctx();
    try {
      const r = await runRestore(c, { setId: sets[1] ?? '', target: 'homologacao', yes: true });
      expect(r.error, JSON.stringify(r.error ?? r.validation)).toBeUndefined();
    } finally {
      c.close();
    }
    const restored = snapshot(join(restoreRoot, sets[1] ?? '', uploads));
    expect(restored.find((e) => e.path === 'grande.bin')).toMatchObject({ type: 'file' });
    expect(restored).toEqual(snap);
  }, 300_000);
});
