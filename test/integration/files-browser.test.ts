/**
 * The console's file browser against the real engine: a format-2 set made by a real backup
 * (local server, folder storage), browsed and searched through EngineServices.files, and
 * "salvar no computador" both ways — the desktop save dialog (a folder as a tar that extracts
 * to the original tree; a file byte for byte) and the browser's one-time download — audited.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AppContext } from '../../src-main/app/context.js';
import { editConfig } from '../../src-main/config/edit.js';
import { runBackup } from '../../src-main/backup/run.js';
import { setIndexFormForTests } from '../../src-main/files2/index-format.js';
import { createEngineServices, type RealEngineServices } from '../../src-main/rpc/engine-services.js';
import { makeFixture, type Fixture } from '../support/backup-fixture.js';
import { treeFingerprint, sh } from '../support/compare.js';
import { tempDir } from '../harness/index.js';

const h = inject('harness');
const actor = { actor: 'console:tecnica' };

describe('file browser on a real format-2 set', () => {
  let fx: Fixture;
  let ctx: AppContext;
  let setId: string;
  let out: string;
  let desktop: RealEngineServices;
  let browser: RealEngineServices;
  let uploads: string;
  let oldSetId: string;
  let v1SetId: string;

  beforeAll(async () => {
    fx = await makeFixture(h, { largeBytes: 3 * 1024 * 1024 });
    editConfig(fx.configPath, (doc) => {
      doc.setIn(['servers', 'clinica'], doc.createNode({ kind: 'local', location: { provider: 'clinica', region: 'sala-servidores' } }));
    });
    // first a format-1 set (one tar), then the files source moves to packs (format 2)
    const ctx1 = new AppContext({ env: fx.env });
    try {
      const old = await runBackup(ctx1, 'local');
      expect(old.error).toBeUndefined();
      oldSetId = old.setId;
    } finally {
      ctx1.close();
    }
    editConfig(fx.configPath, (doc) => {
      doc.setIn(['sources', 'arquivos', 'format'], 'packs');
    });
    // a format-2 set as Cofre wrote them before short ids (`cofre-files-index/1`: whole content ids)
    setIndexFormForTests({ v1: true });
    const ctx2 = new AppContext({ env: fx.env });
    try {
      const v1 = await runBackup(ctx2, 'local');
      expect(v1.error).toBeUndefined();
      v1SetId = v1.setId;
    } finally {
      setIndexFormForTests(undefined);
      ctx2.close();
    }
    ctx = new AppContext({ env: fx.env });
    const b = await runBackup(ctx, 'local');
    expect(b.error).toBeUndefined();
    setId = b.setId;
    out = await tempDir('files-save');
    uploads = join(fx.filesDir, 'uploads');
    desktop = createEngineServices(ctx, { pollMs: 0, saveDialog: async (name) => join(out, name) });
    browser = createEngineServices(ctx, { pollMs: 0 });
  });

  afterAll(() => {
    desktop?.close();
    browser?.close();
    ctx?.close();
    if (out) sh(`rm -rf '${out}'`);
  });

  it('lists the top folder, a folder, and finds a file by part of its name (accents ignored)', async () => {
    const top = await desktop.files.list({ setId, page: 1, pageSize: 100 });
    expect(top.format).toBe('index');
    expect(top.entries.map((e) => e.path)).toEqual([uploads]);
    const folder = await desktop.files.list({ setId, dir: uploads, page: 1, pageSize: 100 });
    expect(folder.entries[0]).toMatchObject({ name: 'exames 2026', type: 'dir' });
    expect(folder.entries.map((e) => e.name)).toContain('grande.bin');
    expect(folder.entries.map((e) => e.name)).not.toContain('temp.tmp'); // excluded from the backup
    expect(folder.entries.find((e) => e.name === 'grande.bin')).toMatchObject({ size: 3 * 1024 * 1024, mtime: '2020-01-02T03:04:05.000Z' });
    const found = await desktop.files.list({ setId, query: 'CAO', page: 1, pageSize: 100 });
    expect(found.entries.map((e) => e.path)).toEqual([join(uploads, 'exames 2026', 'raio-x ção.png')]);
    const versions = await desktop.files.versions(setId, join(uploads, 'grande.bin'));
    expect(versions.versions.find((v) => v.current)).toMatchObject({ setId, sameContent: true, size: 3 * 1024 * 1024 });
    expect(versions.skipped).toEqual([{ setId: oldSetId, reason: 'archive' }]);
  });

  it('a set with a /1 index (whole content ids) lists and saves; "other versions" finds the same content in it and in a /2 set', async () => {
    const versions = await desktop.files.versions(setId, join(uploads, 'grande.bin'));
    expect(versions.versions.find((v) => v.setId === v1SetId)).toMatchObject({ sameContent: true, current: false });
    const folder = await desktop.files.list({ setId: v1SetId, dir: uploads, page: 1, pageSize: 100 });
    expect(folder.entries.map((e) => e.name)).toContain('grande.bin');
    const file = await desktop.files.save({ setId: v1SetId, path: join(uploads, 'grande.bin') }, actor);
    expect(file).toMatchObject({ kind: 'saved', bytes: 3 * 1024 * 1024 });
    const saved = file.kind === 'saved' ? file.savedTo : '';
    expect(readFileSync(saved).equals(readFileSync(join(uploads, 'grande.bin')))).toBe(true);
    rmSync(saved);
  });

  it('a format-1 set says it is one archive (restored whole), and saving from it is refused', async () => {
    const old = await desktop.files.list({ setId: oldSetId, page: 1, pageSize: 100 });
    expect(old).toMatchObject({ format: 'archive', entries: [], sources: ['arquivos'] });
    await expect(desktop.files.save({ setId: oldSetId, path: uploads }, actor)).rejects.toMatchObject({ key: 'browser.noIndex' });
  });

  it('desktop: saves a folder as a tar that extracts to the original tree, and a file byte for byte, audited with where', async () => {
    const folder = await desktop.files.save({ setId, path: join(uploads, 'exames 2026') }, actor);
    expect(folder).toMatchObject({ kind: 'saved', savedTo: join(out, 'exames 2026.tar') });
    const x = join(out, 'x');
    mkdirSync(x);
    sh(`tar -x -f '${join(out, 'exames 2026.tar')}' -C '${x}'`);
    expect(treeFingerprint(join(x, 'exames 2026'))).toEqual(treeFingerprint(join(uploads, 'exames 2026')));
    const file = await desktop.files.save({ setId, path: join(uploads, 'grande.bin') }, actor);
    expect(file).toMatchObject({ kind: 'saved', savedTo: join(out, 'grande.bin'), bytes: 3 * 1024 * 1024 });
    expect(readFileSync(join(out, 'grande.bin')).equals(readFileSync(join(uploads, 'grande.bin')))).toBe(true);
    const audit = ctx.catalog.listAudit({ limit: 10, action: 'files.save' });
    expect(audit.map((a) => a.actor)).toContain('console:tecnica');
    expect(audit.map((a) => JSON.stringify(a.details))).toContain(JSON.stringify({ path: join(uploads, 'grande.bin'), savedTo: join(out, 'grande.bin'), bytes: 3 * 1024 * 1024 }));
  });

  it('browser: a one-time download with the decrypted bytes; a path not in the set is refused before any link', async () => {
    const r = await browser.files.save({ setId, path: join(uploads, 'segredo.txt') }, actor);
    expect(r).toMatchObject({ kind: 'download', name: 'segredo.txt' });
    const ticket = r.kind === 'download' ? r.url.replace('/download/', '') : '';
    const d = await browser.files.takeDownload(ticket);
    expect(d).toMatchObject({ name: 'segredo.txt', size: Buffer.byteLength('só o dono lê\n') });
    const chunks: Buffer[] = [];
    await d?.write(new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } }));
    expect(Buffer.concat(chunks).toString()).toBe('só o dono lê\n');
    expect(await browser.files.takeDownload(ticket)).toBeUndefined();
    await expect(browser.files.save({ setId, path: join(uploads, 'nao-existe') }, actor)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', key: 'browser.pathNotInSet' });
  });
});
