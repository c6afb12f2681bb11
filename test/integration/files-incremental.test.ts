/**
 * Issue 15, files format 2 end to end on real sshd + folder storage: three days of changes
 * (modify, add, delete, rename, chmod, symlink change, empty folder, unicode and awkward names,
 * hard links, a sparse file, a fifo) → each day's set restores identical to that day's tree with
 * Cofre AND with restore.sh under `env -i PATH=/usr/bin:/bin sh`; days 2 and 3 read and store
 * about only what changed; a failure between pack upload and manifest leaves no complete-looking
 * set and loses nothing; single-path restore; verify checks packs; `cofre files` lists entries.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { chmodSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup, type BackupResult } from '../../src-main/backup/run.js';
import { listSets, type SetAuthenticator } from '../../src-main/backup/sets.js';
import { setAuthenticator } from '../../src-main/app/signing.js';
import { verifySet } from '../../src-main/backup/verify.js';
import { runRestore } from '../../src-main/restore/restore.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { configuredIdentities } from '../../src-main/app/identity.js';
import { listSetFiles } from '../../src-main/files2/entries.js';
import { runbookMarkdown } from '../../src-main/restore/runbook.js';
import { INDEX_HEADER, parseIndex } from '../../src-main/files2/index-format.js';
import { makeFixture, stagingTargetYaml, type Fixture } from '../support/backup-fixture.js';
import { sh } from '../support/compare.js';
import { cofre } from '../support/cli.js';

const CLI_SOURCE = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url));
import type { Manifest } from '../../shared/domain.js';
import type { StorageOpener } from '../../src-main/app/context.js';
import type { GetOptions, Storage } from '../../src-main/storage/types.js';
import { FaultyStorage } from '../support/faulty-storage.js';

/** A storage that records the key of every GET (no faults). */
class CountingStorage extends FaultyStorage {
  constructor(inner: Storage, private readonly gets: string[]) {
    super(inner, []);
  }

  override get(key: string, opts?: GetOptions): ReturnType<Storage['get']> {
    this.gets.push(key);
    return super.get(key, opts);
  }

  override getBytes(key: string): ReturnType<Storage['getBytes']> {
    this.gets.push(key);
    return super.getBytes(key);
  }
}

const h = inject('harness');

interface Snap {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtimeNs: string;
  size?: number;
  sha256?: string;
  target?: string;
  /** hard links: the first path (sorted) with the same inode */
  linkedTo?: string;
}

/** Everything a restore must bring back (fifos and *.tmp are not restored). */
function snapshot(root: string): Snap[] {
  const out: Snap[] = [];
  const firstOfInode = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const st = lstatSync(full, { bigint: true });
      const path = relative(root, full);
      const base = { path, mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs.toString() };
      if (st.isSymbolicLink()) out.push({ ...base, type: 'symlink', mode: 0, target: readlinkSync(full) });
      else if (st.isDirectory()) {
        out.push({ ...base, type: 'dir' });
        walk(full);
      } else if (st.isFile()) {
        if (name.endsWith('.tmp')) continue;
        const entry: Snap = { ...base, type: 'file', size: Number(st.size), sha256: createHash('sha256').update(readFileSync(full)).digest('hex') };
        if (st.nlink > 1n) {
          const k = st.ino.toString();
          const first = firstOfInode.get(k);
          if (first) entry.linkedTo = first;
          else firstOfInode.set(k, path);
        }
        out.push(entry);
      }
    }
  };
  const st = lstatSync(root, { bigint: true });
  out.push({ path: '.', type: 'dir', mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs.toString() });
  walk(root);
  return out;
}

function dirBytes(dir: string): Map<string, number> {
  const m = new Map<string, number>();
  if (!existsSync(dir)) return m;
  for (const name of readdirSync(dir)) m.set(name, statSync(join(dir, name)).size);
  return m;
}

describe('files format 2: incremental forever (real sshd, folder storage, age, tar, zstd)', () => {
  let fx: Fixture;
  let uploads: string;
  let restoreRoot: string;
  const days: Array<{ setId: string; snap: Snap[]; result: BackupResult }> = [];

  const ctx = (): AppContext => new AppContext({ env: fx.env });
  const auth = (): SetAuthenticator => { const c = ctx(); return setAuthenticator(c.config, c.now); };
  const packsDir = (): string => join(fx.folderStorage, 'packs');
  const backup = async (plan = 'soarquivos', onLog?: (l: string) => void): Promise<BackupResult> => {
    const c = ctx();
    try {
      return await runBackup(c, plan, onLog ? { onLog } : {});
    } finally {
      c.close();
    }
  };
  const setCompress = (on: boolean): void => {
    const yaml = readFileSync(fx.configPath, 'utf8').replace('    compress: false\n', '');
    writeFileSync(fx.configPath, on ? yaml : yaml.replace('    format: packs\n', '    format: packs\n    compress: false\n'));
  };
  const write = (rel: string, data: Buffer | string, mode?: number): void => {
    const full = join(uploads, rel);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, data);
    if (mode !== undefined) chmodSync(full, mode);
  };

  afterAll(() => {
    if (restoreRoot) rmSync(restoreRoot, { recursive: true, force: true });
  });

  beforeAll(async () => {
    restoreRoot = join('/tmp', `cofre-files2-${process.pid}-${Date.now()}`);
    mkdirSync(restoreRoot, { recursive: true });
    fx = await makeFixture(h, {
      filesFormat: 'packs',
      largeBytes: 3 * 1024 * 1024,
      extraYaml: `  soarquivos:
    sources: [arquivos]
    storage: nas
    schedule: "0 4 * * *"
  s3arquivos:
    sources: [arquivos]
    storage: nuvem
    schedule: "0 5 * * *"
${stagingTargetYaml(h, restoreRoot)}`,
    });
    // small packs, so a set spans several and a single-path restore can skip some
    writeFileSync(fx.configPath, readFileSync(fx.configPath, 'utf8').replace('    format: packs\n', '    format: packs\n    packBytes: 1048576\n'));
    uploads = join(fx.filesDir, 'uploads');
    // day 1 extras: many small files, hard links, duplicated content, awkward names, empty file, sparse file, fifo
    for (let i = 0; i < 300; i++) write(`muitos/f${String(i).padStart(3, '0')}.txt`, randomBytes(1000 + i * 10));
    write('documentos/original.pdf', randomBytes(50_000));
    linkSync(join(uploads, 'documentos/original.pdf'), join(uploads, 'documentos/copia-dura.pdf'));
    write('documentos/duplicado.bin', readFileSync(join(uploads, 'muitos/f010.txt')));
    write('nome com espaço e \\ barra', 'a\n');
    write('-', 'só um traço\n');
    write('linha\nquebrada.txt', 'nome com quebra de linha\n');
    write('tab\taqui', 'tab\n');
    write('ação 🩺.txt', 'unicode\n', 0o640);
    write('vazio.txt', '');
    write('executavel.sh', '#!/bin/sh\necho ok\n', 0o755);
    sh(`truncate -s 2M ${JSON.stringify(join(uploads, 'esparso.img'))} && printf 'inicio' | dd of=${JSON.stringify(join(uploads, 'esparso.img'))} conv=notrunc status=none`);
    execFileSync('mkfifo', [join(uploads, 'fila')]);
  });

  it('day 1: a full first set in packs, with an index and restore.sh, no file names in storage', async () => {
    const snap = snapshot(uploads);
    const r = await backup();
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('succeeded');
    days.push({ setId: r.setId, snap, result: r });
    const manifest = JSON.parse(readFileSync(join(fx.folderStorage, 'sets', r.setId, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.format).toBe('cofre-set/2');
    if (manifest.format !== 'cofre-set/2') return;
    expect(manifest.packs?.length).toBeGreaterThan(2); // 3 MiB + 0.3 MiB of content in 1 MiB packs
    // the index: age over zstd (compress is on by default); opens with the age CLI + zstd -d and parses
    const indexRef = manifest.indexes?.['arquivos'];
    expect(indexRef?.key).toBe(`sets/${r.setId}/arquivos.index.zst.age`);
    const indexObject = manifest.sources[0]?.objects[0];
    expect(indexObject?.key).toBe(indexRef?.key);
    const stored = readFileSync(join(fx.folderStorage, indexRef?.key ?? ''));
    expect(stored.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    expect(createHash('sha256').update(stored).digest('hex')).toBe(indexRef?.sha256);
    const zst = execFileSync('age', ['-d', '-i', fx.identityFile, join(fx.folderStorage, indexRef?.key ?? '')]);
    expect(zst.readUInt32LE(0)).toBe(0xfd2fb528); // a zstd frame
    expect(zst.length).toBe(indexObject?.plainBytes); // what verify compares the decryption with
    const text = execFileSync('zstd', ['-d', '-q', '-c'], { input: zst, encoding: 'latin1' });
    expect(text.startsWith(INDEX_HEADER)).toBe(true);
    expect(zst.length).toBeLessThan(text.length / 2);
    const entries = parseIndex(text);
    expect(entries.filter((e) => e.type !== 'o').length).toBe(indexObject?.fileCount);
    // `/2`: the first 16 hex digits of each content id, no member field (the pack's member is named by the whole id)
    const withContent = entries.filter((e) => e.cid);
    expect(withContent.length).toBeGreaterThan(300);
    for (const e of withContent) expect([e.cid, e.member], e.path).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/), '']);
    expect(entries.find((e) => e.path === join(uploads, 'grande.bin'))).toMatchObject({ type: 'f', size: 3 * 1024 * 1024 });
    expect(entries.find((e) => e.path === join(uploads, 'ação 🩺.txt'))).toMatchObject({ type: 'f', mode: '640' });
    expect(manifest.restoreScript?.key).toBe(`sets/${r.setId}/restore.sh`);
    expect(r.files?.[0]?.filesRead).toBeGreaterThan(300);
    // every pack the manifest lists is in storage with its size and hash
    for (const p of manifest.packs ?? []) {
      const data = readFileSync(join(fx.folderStorage, p.key));
      expect(data.length).toBe(p.bytes);
      expect(createHash('sha256').update(data).digest('hex')).toBe(p.sha256);
      expect(p.key).toMatch(/^packs\/[0-9a-f]{32}\.tar\.zst\.age$/);
    }
    // restore.sh's hash is in the manifest; no file name anywhere in plaintext storage
    const script = readFileSync(join(fx.folderStorage, manifest.restoreScript?.key ?? ''));
    expect(createHash('sha256').update(script).digest('hex')).toBe(manifest.restoreScript?.sha256);
    const plaintext = sh(`cd ${fx.folderStorage} && cat sets/*/manifest.json sets/*/restore.sh`);
    for (const name of ['grande.bin', 'segredo', 'raio-x', 'exames', 'muitos', 'documentos', 'uploads']) expect(plaintext).not.toContain(name);
    expect(sh(`cd ${fx.folderStorage} && grep -rl -a 'grande.bin' . || true`).trim()).toBe('');
  });

  it('day 2: only changed content is read and stored; moved and chmod-ed files are not stored again', async () => {
    const before = dirBytes(packsDir());
    const modified = randomBytes(120_000);
    write('exames 2026/raio-x ção.png', modified); // modify (size changes too)
    const added = randomBytes(300_000);
    write('novos/laudo 2026 ü.pdf', added); // add, unicode name
    unlinkSync(join(uploads, 'muitos/f100.txt')); // delete
    renameSync(join(uploads, 'muitos/f200.txt'), join(uploads, 'renomeado.txt')); // rename: same content
    chmodSync(join(uploads, 'executavel.sh'), 0o700); // chmod
    unlinkSync(join(uploads, 'atalho'));
    symlinkSync('grande.bin', join(uploads, 'atalho')); // symlink change
    mkdirSync(join(uploads, 'pasta vazia nova')); // empty folder
    const snap = snapshot(uploads);
    // compress off for this day: its index is `.index.age` with plain text inside, as every set
    // written before indexes were compressed; the later days read, list, verify and restore it
    setCompress(false);
    const r = await backup();
    setCompress(true);
    expect(r.error).toBeUndefined();
    days.push({ setId: r.setId, snap, result: r });
    const manifest = JSON.parse(readFileSync(join(fx.folderStorage, 'sets', r.setId, 'manifest.json'), 'utf8')) as Manifest;
    const indexKey = manifest.format === 'cofre-set/2' ? manifest.indexes?.['arquivos']?.key : undefined;
    expect(indexKey).toBe(`sets/${r.setId}/arquivos.index.age`);
    const plain = execFileSync('age', ['-d', '-i', fx.identityFile, join(fx.folderStorage, indexKey ?? '')], { encoding: 'latin1' });
    expect(plain.startsWith(INDEX_HEADER)).toBe(true);
    const stats = r.files?.[0];
    const changed = modified.length + added.length;
    const reread = changed + readFileSync(join(uploads, 'renomeado.txt')).length + readFileSync(join(uploads, 'executavel.sh')).length;
    expect(stats?.filesRead).toBe(4);
    // read over SSH: the changed files plus tar headers, not the 3 MiB tree
    expect(stats?.bytesRead).toBeGreaterThanOrEqual(reread);
    expect(stats?.bytesRead).toBeLessThan(reread + 4 * 3 * 1024 + 20 * 1024);
    // stored: only the two new contents (random bytes do not compress)
    expect(stats?.newContents).toBe(2);
    const after = dirBytes(packsDir());
    const addedPackBytes = [...after].filter(([k]) => !before.has(k)).reduce((a, [, b]) => a + b, 0);
    expect(addedPackBytes).toBe(stats?.newPackBytes);
    expect(addedPackBytes).toBeGreaterThan(changed * 0.99);
    expect(addedPackBytes).toBeLessThan(changed * 1.01 + 8 * 1024);
  });

  it('a failure between the pack upload and the manifest leaves no complete-looking set and loses nothing', async () => {
    write('muitos/f050.txt', randomBytes(70_000));
    write('dia3/novo.bin', randomBytes(200_000));
    rmSync(join(uploads, 'pasta vazia nova'), { recursive: true });
    mkdirSync(join(uploads, 'outra vazia'));
    chmodSync(join(uploads, 'segredo.txt'), 0o400);
    unlinkSync(join(uploads, 'atalho'));
    symlinkSync('../fora', join(uploads, 'atalho'));
    const beforePacks = dirBytes(packsDir());
    const setsBefore = (await listSets(storageFromConfig(ctx().config, 'nas', fx.env), { authenticate: auth() })).filter((s) => s.complete).map((s) => s.setId);
    let setId = '';
    const r = await backup('soarquivos', (line) => {
      const m = /^set (\S+) →/.exec(line);
      if (m?.[1]) setId = m[1];
      // the packs are uploaded: make the manifest write fail (a directory where the file goes)
      if (/pack\(s\) referenced/.test(line)) mkdirSync(join(fx.folderStorage, 'sets', setId, 'manifest.json'), { recursive: true });
    });
    expect(r.status).toBe('failed');
    rmSync(join(fx.folderStorage, 'sets', setId, 'manifest.json'), { recursive: true, force: true });
    const sets = await listSets(storageFromConfig(ctx().config, 'nas', fx.env), { authenticate: auth() });
    expect(sets.filter((s) => s.complete).map((s) => s.setId)).toEqual(setsBefore);
    expect(sets.find((s) => s.setId === setId)?.complete ?? false).toBe(false);
    // the run's own packs are gone again; every earlier pack is still there
    const afterPacks = dirBytes(packsDir());
    for (const k of beforePacks.keys()) expect(afterPacks.has(k)).toBe(true);
    expect([...afterPacks.keys()].filter((k) => !beforePacks.has(k))).toEqual([]);
  });

  it('day 3 after the failure: the next run stores the changes and is complete', async () => {
    const snap = snapshot(uploads);
    const r = await backup();
    expect(r.error).toBeUndefined();
    days.push({ setId: r.setId, snap, result: r });
    expect(r.files?.[0]?.newContents).toBe(2);
    expect(r.files?.[0]?.bytesRead).toBeLessThan(300_000 + 70_000 + 40 * 1024);
  });

  it('each day restores identical with restore.sh under env -i PATH=/usr/bin:/bin sh', () => {
    for (const [i, day] of days.entries()) {
      const out = join(restoreRoot, `sh-day${i + 1}`);
      const run = spawnSync('env', ['-i', 'PATH=/usr/bin:/bin', 'sh', ...(process.env['COFRE_TRACE'] ? ['-x'] : []), `sets/${day.setId}/restore.sh`, fx.identityFile, out], { cwd: fx.folderStorage, encoding: 'utf8', timeout: 180_000 });
      if (process.env['COFRE_TRACE']) writeFileSync(`/tmp/restore-sh-trace-${i}.log`, run.stderr);
      expect(run.status, run.stderr.slice(-2000)).toBe(0);
      expect(snapshot(join(out, 'arquivos', uploads))).toEqual(day.snap);
      expect(readdirSync(out)).toEqual(['arquivos']); // the stage folder is gone
    }
    const packs = execFileSync('sh', [`sets/${days[2]?.setId}/restore.sh`, '--list-packs'], { cwd: fx.folderStorage, encoding: 'utf8' }).trim().split('\n');
    const manifest = JSON.parse(readFileSync(join(fx.folderStorage, 'sets', days[2]?.setId ?? '', 'manifest.json'), 'utf8')) as { packs: Array<{ key: string }> };
    expect(packs.sort()).toEqual(manifest.packs.map((p) => p.key).sort());
  }, 600_000); // one process or two per file: minutes on this shared 2-core machine

  it('each day restores identical through Cofre (staging target)', async () => {
    for (const day of days) {
      const c = ctx();
      const r = await runRestore(c, { setId: day.setId, target: 'homologacao', yes: true }).finally(() => c.close());
      expect(r.error, JSON.stringify(r.validation)).toBeUndefined();
      expect(r.status).toBe('succeeded');
      expect(r.validation.every((v) => v.ok)).toBe(true);
      expect(snapshot(join(restoreRoot, day.setId, uploads))).toEqual(day.snap);
    }
  }, 600_000);

  it('restores one folder and one file only, reading only the packs they need; a path not in the set fails clearly', async () => {
    const day = days[2];
    if (!day) throw new Error('no day 3');
    const c = ctx();
    // the target folder of the full restore above exists: restore beside it under another root
    const folder = join(uploads, 'exames 2026');
    const file = join(uploads, 'dia3/novo.bin');
    const yaml = readFileSync(fx.configPath, 'utf8').replace(`filesRoot: ${restoreRoot}`, `filesRoot: ${join(restoreRoot, 'parcial')}`);
    const partialConfig = join(fx.dir, 'parcial.yaml');
    writeFileSync(partialConfig, yaml);
    const pc = new AppContext({ env: fx.env, configFlag: partialConfig });
    const r = await runRestore(pc, { setId: day.setId, target: 'homologacao', yes: true, paths: [folder, file] }).finally(() => pc.close());
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('succeeded');
    const dest = join(restoreRoot, 'parcial', day.setId);
    const restored = snapshot(join(dest, uploads));
    const expected = day.snap.filter((e) => e.path === 'exames 2026' || e.path.startsWith('exames 2026/') || e.path === 'dia3/novo.bin');
    expect(restored.filter((e) => e.path !== '.' && e.path !== 'dia3')).toEqual(expected);
    expect(existsSync(join(dest, uploads, 'grande.bin'))).toBe(false);
    const badConfig = join(fx.dir, 'parcial2.yaml');
    writeFileSync(badConfig, yaml.replace(`filesRoot: ${join(restoreRoot, 'parcial')}`, `filesRoot: ${join(restoreRoot, 'parcial2')}`));
    const bc = new AppContext({ env: fx.env, configFlag: badConfig });
    const bad = await runRestore(bc, { setId: day.setId, target: 'homologacao', yes: true, paths: [join(uploads, 'nao-existe')] }).finally(() => bc.close());
    c.close();
    expect(bad.status).toBe('failed');
    expect(bad.error?.message).toMatch(/nao-existe is not in/);
  });

  it('a single-file restore reads the index once and fetches only the pack that holds the file (storage GETs counted)', async () => {
    const day = days[2];
    if (!day) throw new Error('no day 3');
    const file = join(uploads, 'dia3/novo.bin');
    const manifest = JSON.parse(readFileSync(join(fx.folderStorage, 'sets', day.setId, 'manifest.json'), 'utf8')) as Manifest;
    if (manifest.format !== 'cofre-set/2') throw new Error('not format 2');
    const indexKey = manifest.indexes?.['arquivos']?.key ?? '';
    const zst = execFileSync('age', ['-d', '-i', fx.identityFile, join(fx.folderStorage, indexKey)]);
    const entry = parseIndex(execFileSync('zstd', ['-d', '-q', '-c'], { input: zst, encoding: 'latin1' })).find((e) => e.path === file);
    expect(entry?.pack).toMatch(/^[0-9a-f]{32}/);
    expect(manifest.packs?.length).toBeGreaterThan(2); // the set spans packs the file does not need
    const yaml = readFileSync(fx.configPath, 'utf8').replace(`filesRoot: ${restoreRoot}`, `filesRoot: ${join(restoreRoot, 'um')}`);
    const oneConfig = join(fx.dir, 'um.yaml');
    writeFileSync(oneConfig, yaml);
    const gets: string[] = [];
    const counting: StorageOpener = (config, name, env) => new CountingStorage(storageFromConfig(config, name, env), gets);
    const c = new AppContext({ env: fx.env, configFlag: oneConfig, openStorage: counting });
    const r = await runRestore(c, { setId: day.setId, target: 'homologacao', yes: true, paths: [file] }).finally(() => c.close());
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('succeeded');
    const restored = join(restoreRoot, 'um', day.setId, file);
    expect(createHash('sha256').update(readFileSync(restored)).digest('hex')).toBe(day.snap.find((e) => e.path === 'dia3/novo.bin')?.sha256);
    expect(gets.filter((k) => k.startsWith('packs/'))).toEqual([`packs/${entry?.pack ?? ''}`]);
    expect(gets.filter((k) => k === indexKey)).toHaveLength(1);
  });

  it('cofre files lists entries; verify checks packs (quick: presence and size; deep: hash, each pack once)', async () => {
    const day = days[2];
    if (!day) throw new Error('no day 3');
    const c = ctx();
    const storage = storageFromConfig(c.config, 'nas', fx.env);
    try {
      const identities = await configuredIdentities(c.config, fx.env);
      const manifest = (await listSets(storage, { authenticate: auth() })).find((s) => s.setId === day.setId)?.manifest;
      if (!manifest) throw new Error('no manifest');
      const entries = await listSetFiles(storage, manifest, identities, join(uploads, 'documentos'));
      expect(entries.map((e) => [e.path.slice(uploads.length), e.type])).toEqual([
        // the first path of a hard-link group (sorted) carries the content
        ['/documentos', 'dir'], ['/documentos/copia-dura.pdf', 'file'], ['/documentos/duplicado.bin', 'file'], ['/documentos/original.pdf', 'hardlink'],
      ]);
      expect(entries.find((e) => e.path.endsWith('original.pdf'))?.size).toBe(50_000);

      expect((await verifySet(storage, day.setId, { deep: true, authenticate: auth(), identities })).ok).toBe(true);
      // day 2's set has an uncompressed index (as sets made before indexes were compressed): listed and verified alike
      const day2 = (await listSets(storage, { authenticate: auth() })).find((s) => s.setId === days[1]?.setId)?.manifest;
      if (!day2) throw new Error('no day 2 manifest');
      const old = await listSetFiles(storage, day2, identities, join(uploads, 'novos'));
      expect(old.map((e) => [e.path.slice(uploads.length), e.type, e.size])).toEqual([['/novos', 'dir', 0], ['/novos/laudo 2026 ü.pdf', 'file', 300_000]]);
      const oldVerify = await verifySet(storage, day2.setId, { deep: true, authenticate: auth(), identities });
      expect(oldVerify.ok, JSON.stringify(oldVerify.checks)).toBe(true);
      expect(oldVerify.checks.find((k) => k.name === 'arquivos.index.age')?.message).toMatch(/index lists \d+ entries/);
      const newVerify = await verifySet(storage, day.setId, { deep: true, authenticate: auth(), identities });
      expect(newVerify.checks.find((k) => k.name === 'arquivos.index.zst.age')?.message).toMatch(/index lists \d+ entries/);
      if (manifest.format !== 'cofre-set/2') throw new Error('format 1');
      const pack = manifest.packs?.[0];
      if (!pack) throw new Error('no pack');
      // one byte flipped near the end: quick verify cannot see it, deep verify names the pack
      const file = join(fx.folderStorage, pack.key);
      const original = readFileSync(file);
      const flipped = Buffer.from(original);
      flipped[flipped.length - 5] = (flipped[flipped.length - 5] ?? 0) ^ 0xff;
      writeFileSync(file, flipped);
      expect((await verifySet(storage, day.setId, { deep: false, authenticate: auth() })).ok).toBe(true);
      const deep = await verifySet(storage, day.setId, { deep: true, authenticate: auth(), identities });
      expect(deep.ok).toBe(false);
      expect(deep.checks.find((k) => !k.ok)?.name).toBe(pack.key);
      // missing: quick verify fails
      unlinkSync(file);
      const quick = await verifySet(storage, day.setId, { deep: false, authenticate: auth() });
      expect(quick.ok).toBe(false);
      expect(quick.checks.find((k) => k.name === 'packs')?.message).toContain(pack.key);
      writeFileSync(file, original);
      // the runbook sends format-2 files to restore.sh, with its checks first
      const md = runbookMarkdown(c.config, { configPath: fx.configPath, generatedAt: new Date().toISOString() });
      expect(md).toContain('restore.sh --list-packs');
      expect(md).toContain('sha256sum sets/<setId>/restore.sh');
      expect(md).toMatch(/age -d -i \S+ sets\/<setId>\/<origem>\.index\.zst\.age \| zstd -d/);
    } finally {
      storage.close();
      c.close();
    }
  });

  it('cofre files --json prints [{path,type,size,mtime,mode}]; a prefix not in the set exits non-zero', async () => {
    const day = days[2];
    if (!day) throw new Error('no day 3');
    const r = await cofre(['files', day.setId, '--path', join(uploads, 'documentos'), '--json'], { env: fx.env, fromSource: true });
    expect(r.code, r.stderr).toBe(0);
    const list = r.json as Array<{ path: string; type: string; size: number; mtime: string; mode: string }>;
    expect(list.find((e) => e.path === join(uploads, 'documentos/copia-dura.pdf'))).toMatchObject({ type: 'file', size: 50_000, mode: '0644' });
    expect(Date.parse(list[0]?.mtime ?? '')).toBeGreaterThan(0);
    const bad = await cofre(['files', day.setId, '--path', join(uploads, 'nao-existe')], { env: fx.env, fromSource: true });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/nao-existe is not in/);
  });

  it('a backup killed (SIGKILL) while its packs upload leaves no complete-looking set; earlier sets stay good; the next run is complete', async () => {
    for (let i = 0; i < 40; i++) write(`lote/exame-${i}.dcm`, randomBytes(300_000));
    const isPack = (k: string): boolean => /^[0-9a-f]{32}\.tar/.test(k);
    const before = new Set([...dirBytes(packsDir()).keys()].filter(isPack));
    const storage = storageFromConfig(ctx().config, 'nas', fx.env);
    const goodBefore = (await listSets(storage, { authenticate: auth() })).filter((s) => s.complete).map((s) => s.setId);
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_SOURCE, 'backup', '--plan', 'soarquivos'], { env: fx.env, stdio: 'ignore' });
    const closed = once(child, 'close');
    const deadline = Date.now() + 90_000;
    while (![...dirBytes(packsDir()).keys()].some((k) => isPack(k) && !before.has(k))) {
      if (Date.now() > deadline) throw new Error('no pack was uploaded');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await closed;
    const after = await listSets(storage, { authenticate: auth() });
    expect(after.filter((s) => s.complete).map((s) => s.setId)).toEqual(goodBefore);
    expect(after.filter((s) => !s.complete).every((s) => s.state === 'incomplete')).toBe(true);
    for (const k of before) expect(existsSync(join(packsDir(), k))).toBe(true);
    const identities = await configuredIdentities(ctx().config, fx.env);
    expect((await verifySet(storage, days[2]?.setId ?? '', { deep: true, authenticate: auth(), identities })).ok).toBe(true);
    storage.close();
    // the next run reads and stores what the killed one did not commit, and restores identical
    const snap = snapshot(uploads);
    const r = await backup();
    expect(r.error).toBeUndefined();
    expect(r.files?.[0]?.newContents).toBe(40);
    const out = join(restoreRoot, 'sh-after-kill');
    const run = spawnSync('env', ['-i', 'PATH=/usr/bin:/bin', 'sh', `sets/${r.setId}/restore.sh`, fx.identityFile, out], { cwd: fx.folderStorage, encoding: 'utf8', timeout: 90_000 });
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    expect(snapshot(join(out, 'arquivos', uploads))).toEqual(snap);
  }, 300_000);

  it('S3 (s3rver): the second set stores only what changed, verifies deep and restores identical through Cofre', async () => {
    const c = ctx();
    try {
      const first = await runBackup(c, 's3arquivos');
      expect(first.error).toBeUndefined();
      const changed = randomBytes(150_000);
      write('s3/novo.bin', changed);
      const snap = snapshot(uploads);
      // the second backup runs as a user runs it, the built (bundled) CLI: the AWS SDK it loads on
      // demand must work from the bundle
      const cli = await cofre(['backup', '--plan', 's3arquivos', '--json'], { env: fx.env });
      expect(cli.code, cli.stderr.slice(-2000)).toBe(0);
      const second = cli.json as Awaited<ReturnType<typeof runBackup>>;
      expect(second.error).toBeUndefined();
      expect(second.files?.[0]?.newContents).toBe(1);
      expect(second.files?.[0]?.newPackBytes).toBeLessThan(changed.length * 1.01 + 8 * 1024);
      expect(second.files?.[0]?.bytesRead).toBeLessThan(changed.length + 20 * 1024);
      const storage = storageFromConfig(c.config, 'nuvem', fx.env);
      try {
        expect((await verifySet(storage, second.setId, { deep: true, authenticate: auth(), identities: await configuredIdentities(c.config, fx.env) })).ok).toBe(true);
      } finally {
        storage.close();
      }
      const r = await runRestore(c, { setId: second.setId, target: 'homologacao', yes: true });
      expect(r.error, JSON.stringify(r.validation)).toBeUndefined();
      expect(snapshot(join(restoreRoot, second.setId, uploads))).toEqual(snap);
    } finally {
      c.close();
    }
  }, 300_000);
});

describe('format-1 files sets stay listable and restorable by path (the one tar is streamed)', () => {
  let fx: Fixture;
  let restoreRoot: string;
  afterAll(() => {
    if (restoreRoot) rmSync(restoreRoot, { recursive: true, force: true });
  });
  beforeAll(async () => {
    restoreRoot = join('/tmp', `cofre-files1-${process.pid}-${Date.now()}`);
    mkdirSync(restoreRoot, { recursive: true });
    fx = await makeFixture(h, {
      filesFormat: 'tar',
      largeBytes: 512 * 1024,
      extraYaml: `  soarquivos:
    sources: [arquivos]
    storage: nas
    schedule: "0 4 * * *"
${stagingTargetYaml(h, restoreRoot)}`,
    });
  });

  it('cofre files lists the tar members; restore --path extracts only that folder', async () => {
    const c = new AppContext({ env: fx.env });
    try {
      const r = await runBackup(c, 'soarquivos');
      expect(r.error).toBeUndefined();
      const storage = storageFromConfig(c.config, 'nas', fx.env);
      const manifest = (await listSets(storage, { authenticate: setAuthenticator(c.config, c.now) })).find((s) => s.setId === r.setId)?.manifest;
      expect(manifest?.sources[0]?.objects[0]?.format).toBe('tar'); // format 1's one tar
      if (!manifest) throw new Error('no manifest');
      const uploads = join(fx.filesDir, 'uploads');
      const folder = join(uploads, 'exames 2026');
      const entries = await listSetFiles(storage, manifest, await configuredIdentities(c.config, fx.env), folder).finally(() => storage.close());
      expect(entries.map((e) => [e.path, e.type])).toEqual([[folder, 'dir'], [join(folder, 'raio-x ção.png'), 'file'], [join(folder, 'vazia'), 'dir']]);
      const restored = await runRestore(c, { setId: r.setId, target: 'homologacao', yes: true, paths: [folder] });
      expect(restored.error).toBeUndefined();
      const dest = join(restoreRoot, r.setId, uploads);
      expect(readdirSync(dest)).toEqual(['exames 2026']);
      expect(readFileSync(join(dest, 'exames 2026', 'raio-x ção.png'))).toEqual(readFileSync(join(folder, 'raio-x ção.png')));
    } finally {
      c.close();
    }
  });
});
