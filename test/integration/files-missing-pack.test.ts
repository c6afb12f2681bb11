/**
 * A format-2 set whose manifest is fine but one of its packs is gone from storage is not a
 * restore point: the set listing (one listing of `packs/`, no request per pack) shows it
 * doubtful naming the missing pack, like a format-1 set with a missing object; restore by id
 * refuses it, the drill takes the older complete set, and prune's pack GC deletes nothing while it
 * is there (doubtful sets block GC and are never deleted by retention).
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { listStorages } from '../../src-main/backup/storage-sets.js';
import { runRestore } from '../../src-main/restore/restore.js';
import { runDrill } from '../../src-main/restore/drill.js';
import { prunePlan } from '../../src-main/retention/prune.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { filesPlanFixture, type Fixture } from '../support/backup-fixture.js';
import { cofre } from '../support/cli.js';

const h = inject('harness');
const PLAN = 'pacotes';
const STORAGE = 'nas';

describe('a format-2 set with a missing pack', () => {
  let fx: Fixture;
  let restoreRoot: string;
  let older = '';
  let newer = '';
  let missing = '';

  const withCtx = async <T>(fn: (c: AppContext) => Promise<T>): Promise<T> => {
    const c = new AppContext({ env: fx.env, actor: 'test' });
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  };
  const packKeys = async (): Promise<string[]> => {
    const s = storageFromConfig(await withCtx(async (c) => c.config), STORAGE, fx.env);
    const keys: string[] = [];
    try {
      for await (const o of s.list('packs/')) keys.push(o.key);
    } finally {
      s.close();
    }
    return keys.sort();
  };

  beforeAll(async () => {
    restoreRoot = join('/tmp', `cofre-missing-pack-${process.pid}-${Date.now()}`);
    mkdirSync(restoreRoot, { recursive: true });
    fx = await filesPlanFixture(h, { plan: PLAN, storage: STORAGE, restoreRoot, largeBytes: 200 * 1024 });
    const a = await withCtx((c) => runBackup(c, PLAN));
    expect(a.error).toBeUndefined();
    older = a.setId;
    const before = new Set(await packKeys());
    writeFileSync(join(fx.filesDir, 'uploads', 'novo-exame.bin'), randomBytes(50_000));
    const b = await withCtx((c) => runBackup(c, PLAN));
    expect(b.error).toBeUndefined();
    newer = b.setId;
    missing = (await packKeys()).find((k) => !before.has(k)) ?? '';
    expect(missing, 'the newer set stored a pack of its own').not.toBe('');
    rmSync(join(fx.folderStorage, missing)); // lost by the storage (or deleted by hand)
  }, 300_000);
  afterAll(() => {
    if (restoreRoot) rmSync(restoreRoot, { recursive: true, force: true });
  });

  it('`cofre sets` shows it doubtful, naming the missing pack; the older set stays complete', async () => {
    const r = await cofre(['sets', '--storage', STORAGE, '--json'], { env: fx.env, fromSource: true });
    expect(r.code, r.stderr).toBe(0);
    const sets = r.json as Array<{ setId: string; state: string; problem?: string }>;
    expect(sets.find((s) => s.setId === newer)).toMatchObject({ state: 'doubtful', problem: `pack ${missing} is missing` });
    expect(sets.find((s) => s.setId === older)?.state).toBe('complete');
    // verify still checks it whole: the signature is fine, the pack's check fails
    const v = await cofre(['verify', newer, '--storage', STORAGE], { env: fx.env, fromSource: true });
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/ok\s+signature/);
    expect(v.stdout).toMatch(new RegExp(`FAIL\\s+.*${missing.slice('packs/'.length).replace(/\./g, '\\.')}`));
  }, 120_000);

  it('restore by id refuses it; the drill takes the older complete set', async () => {
    const r = await withCtx((c) => runRestore(c, { setId: newer, target: 'homologacao', yes: true }));
    expect(r.error?.message).toContain(`set ${newer} on storage ${STORAGE} is doubtful: pack ${missing} is missing`);
    const d = await withCtx((c) => runDrill(c, { target: 'homologacao', storage: STORAGE }));
    expect(d.error, JSON.stringify(d.validation)).toBeUndefined();
    expect(d.setId).toBe(older);
  }, 300_000);

  it('prune: the doubtful set blocks pack GC (nothing deleted) and is kept', async () => {
    const packs = await packKeys();
    const r = await withCtx((c) => prunePlan(c, PLAN, { dryRun: false }));
    expect(r.gc.deleted).toEqual([]);
    expect(r.gc.blocked).toMatchObject({ setId: newer, key: 'gc.blockedBySet' });
    expect(await packKeys()).toEqual(packs);
    const listing = await withCtx((c) => listStorages(c, { storages: [STORAGE] }));
    expect(listing.sets.map((s) => s.setId)).toEqual(expect.arrayContaining([older, newer]));
  }, 120_000);
});
