/**
 * `cofre repack` moves a member larger than what it holds in memory (16 MiB: files2/repack-packs.ts
 * spools it through a file in the job's private spool): a 16 MiB + 1 byte file shares a pack with
 * small files that are then deleted; after `forget` of the first set the pack is mostly live but
 * not all, and a repack with threshold 1 rewrites it. The remaining set then restores byte for
 * byte. Real sshd, folder storage, the format-2 files plan.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { treeFingerprint, type FileEntry } from '../support/compare.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { forgetSet } from '../../src-main/retention/forget.js';
import { repackOpen } from '../../src-main/files2/repack.js';
import { filesPlanFixture, makeRestoreRoot, type Fixture } from '../support/backup-fixture.js';
import { backupSet, restoreRun, withContext } from '../support/runs.js';

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

  beforeAll(async () => {
    restoreRoot = makeRestoreRoot('repack-big');
    // the fixture's grande.bin is the large member; the default pack size (64 MiB) puts it in one pack with the small files
    fx = await filesPlanFixture(h, { plan: PLAN, storage: STORAGE, restoreRoot, largeBytes: BIG, planExtra: '    rpoHours: 10000\n' });
    uploads = join(fx.filesDir, 'uploads');
  }, 120_000);
  afterAll(() => {
    if (restoreRoot) rmSync(restoreRoot, { recursive: true, force: true });
  });

  it('the large member is moved into a new pack; the remaining set restores byte for byte', async () => {
    sets.push(await backupSet(fx, PLAN));
    // the small files die with the first set: the pack keeps grande.bin alive and nothing else
    rmSync(join(uploads, 'exames 2026'), { recursive: true });
    rmSync(join(uploads, 'segredo.txt'));
    const snap = snapshot(uploads);
    sets.push(await backupSet(fx, PLAN));
    expect(await withContext(fx, (c) => forgetSet(c, sets[0] ?? '', { yes: true, storage: STORAGE }))).toBeTruthy();

    const r = await withContext(fx, async (c) => {
      const storage = storageFromConfig(c.config, STORAGE, fx.env);
      try {
        return await repackOpen(c, storage, { storage: STORAGE, threshold: 1, dryRun: false });
      } finally {
        storage.close();
      }
    });
    expect(r.repacked).toHaveLength(1);
    expect(r.repacked[0]?.liveBytes).toBeGreaterThanOrEqual(BIG);
    expect(r.repacked[0]?.liveBytes).toBeLessThan(r.repacked[0]?.memberBytes ?? 0);
    expect(r.newPacks).toHaveLength(1);
    expect(r.setsRewritten).toEqual([sets[1]]);

    const restored = await restoreRun(fx, { setId: sets[1] ?? '', target: 'homologacao', yes: true });
    expect(restored.error, JSON.stringify(restored.error ?? restored.validation)).toBeUndefined();
    const tree = snapshot(join(restoreRoot, sets[1] ?? '', uploads));
    expect(tree.find((e) => e.path === 'grande.bin')).toMatchObject({ type: 'file' });
    expect(tree).toEqual(snap);
  }, 300_000);
});
