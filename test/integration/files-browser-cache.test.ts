/**
 * The console's file browser keeps a few sets' decrypted indexes in memory. A set forgotten (here
 * by another process's `cofre forget`, through its own context) or gone from storage (removed by
 * hand, seen by the console's next listing) is dropped: browsing it afterwards is refused like
 * any set that is not a restore point, never answered from the stale decrypted index.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { AppContext } from '../../src-main/app/context.js';
import { editConfig } from '../../src-main/config/edit.js';
import { runBackup } from '../../src-main/backup/run.js';
import { forgetSet } from '../../src-main/retention/forget.js';
import { createEngineServices, type RealEngineServices } from '../../src-main/rpc/engine-services.js';
import { makeFixture, type Fixture } from '../support/backup-fixture.js';

const h = inject('harness');
const PLAN = 'soarquivos';

describe('file browser cache of decrypted indexes', () => {
  let fx: Fixture;
  let ctx: AppContext;
  let console_: RealEngineServices;
  const sets: string[] = [];

  /** another process (the CLI, the scheduler): its own context on the same home */
  const elsewhere = async <T>(fn: (c: AppContext) => Promise<T>): Promise<T> => {
    const c = new AppContext({ env: fx.env, actor: 'cli' });
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  };

  beforeAll(async () => {
    fx = await makeFixture(h, { largeBytes: 100 * 1024, filesFormat: 'packs' });
    editConfig(fx.configPath, (doc) => {
      doc.setIn(['servers', 'clinica'], doc.createNode({ kind: 'local', location: { provider: 'clinica', region: 'sala-servidores' } }));
      doc.setIn(['plans', PLAN], doc.createNode({ sources: ['arquivos'], storage: 'nas', schedule: '0 5 * * *', timezone: 'America/Sao_Paulo' }));
    });
    for (let i = 0; i < 3; i++) {
      const r = await elsewhere((c) => runBackup(c, PLAN));
      expect(r.error).toBeUndefined();
      sets.push(r.setId);
    }
    ctx = new AppContext({ env: fx.env });
    console_ = createEngineServices(ctx, { pollMs: 0 });
  }, 300_000);

  afterAll(() => {
    console_?.close();
    ctx?.close();
  });

  const browse = (setId: string): ReturnType<RealEngineServices['files']['list']> => console_.files.list({ setId, page: 1, pageSize: 100 });

  it('a set forgotten by another process is no longer browsable from the cached index', async () => {
    const [first] = sets as [string];
    expect((await browse(first)).entries.map((e) => e.path)).toEqual([join(fx.filesDir, 'uploads')]);
    await elsewhere((c) => forgetSet(c, first, { yes: true, storage: 'nas' }));
    await expect(browse(first)).rejects.toMatchObject({ code: 'SET_NOT_FOUND' });
  }, 120_000);

  it("a set removed from storage is dropped once the console's listing no longer shows it; the others stay browsable", async () => {
    const [, second, third] = sets as [string, string, string];
    expect((await browse(second)).format).toBe('index');
    expect((await browse(third)).format).toBe('index');
    rmSync(join(fx.folderStorage, 'sets', second), { recursive: true });
    const listed = await console_.sets.list({});
    expect(listed.sets.map((s) => s.setId)).not.toContain(second);
    await expect(browse(second)).rejects.toMatchObject({ code: 'SET_NOT_FOUND' });
    expect((await browse(third)).entries.map((e) => e.path)).toEqual([join(fx.filesDir, 'uploads')]);
  }, 120_000);
});
