/**
 * Issue 15, `cofre repack`, on real sshd + format-2 files sets on a folder storage and on S3
 * (s3rver): three days of backups where day 2 deletes three quarters of day 1's files, so after
 * `forget` of day 1 every day-1 pack is still referenced but mostly dead. Then:
 * - `--dry-run` plans it and changes nothing in storage;
 * - a doubtful set makes repack refuse (naming it) and change nothing;
 * - a repack SIGKILLed after the new packs are uploaded, after a set's new index and sig.next,
 *   and right after a set's new manifest: every set still lists complete and restores identical;
 * - days 1 and 2 are written with `cofre-files-index/1` indexes (whole content ids, as before short
 *   ids), day 3 with `/2`: both kinds plan, repack and restore;
 * - the full repack rewrites those packs; every remaining set restores identical with Cofre AND with
 *   restore.sh under `env -i PATH=/usr/bin:/bin sh`, `cofre verify --deep` passes (signature,
 *   hashes, every pack read), and after prunes past the GC delay the storage holds fewer bytes.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { treeFingerprint, type FileEntry } from '../support/compare.js';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { listSetsOf, type SetInfo } from '../../src-main/backup/sets.js';
import { manifestKey, newSetId } from '../../src-main/backup/layout.js';
import { LEASES_PREFIX } from '../../src-main/backup/lease.js';
import { runRestore } from '../../src-main/restore/restore.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { prunePlan } from '../../src-main/retention/prune.js';
import { forgetSet } from '../../src-main/retention/forget.js';
import { GC_DELAY_MS } from '../../src-main/retention/pack-gc.js';
import { repackOpen } from '../../src-main/files2/repack.js';
import { setIndexFormForTests } from '../../src-main/files2/index-format.js';
import { verifySshsig } from '../../src-main/crypto/sshsig.js';
import { VERIFY_COMMAND, VERIFY_NEXT_COMMAND, allowedSignersText, runbookMarkdown } from '../../src-main/restore/runbook.js';
import { filesPlanFixture, type Fixture } from '../support/backup-fixture.js';
import { cofre } from '../support/cli.js';
import { FaultyStorage, type Fault } from '../support/faulty-storage.js';
import type { Storage } from '../../src-main/storage/types.js';

const h = inject('harness');
const CLI_SOURCE = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url));
const MINUTE = 60_000;

const snapshot = (root: string): FileEntry[] => treeFingerprint(root, { skip: (_path, name) => name.endsWith('.tmp') });

interface RepackJson {
  dryRun: boolean;
  storages: Array<{
    storage: string; packsExamined: number; repacked: Array<{ key: string; bytes: number; liveBytes: number; memberBytes: number; measuredBy: string }>;
    bytesBefore: number; bytesAfter: number; newPacks: string[]; setsRewritten: string[]; settled: string[]; error?: { message: string };
  }>;
}

describe.each([['nas', 'rpnas'], ['nuvem', 'rps3']] as const)('cofre repack on storage %s (plan %s)', (storageName, plan) => {
  let fx: Fixture;
  let uploads: string;
  let restoreRoot: string;
  const days: Array<{ setId: string; snap: FileEntry[] }> = [];

  const ctxAt = (offsetMs = 0): AppContext => new AppContext({ env: fx.env, actor: 'test', now: () => new Date(Date.now() + offsetMs) });
  const withCtx = async <T>(c: AppContext, fn: (c: AppContext) => Promise<T>): Promise<T> => {
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  };
  const withCtxSync = <T>(fn: (c: AppContext) => T): T => {
    const c = ctxAt();
    try {
      return fn(c);
    } finally {
      c.close();
    }
  };
  const open = (): Storage => storageFromConfig(ctxAt().config, storageName, fx.env);
  const withStorage = async <T>(fn: (s: Storage) => Promise<T>): Promise<T> => {
    const s = open();
    try {
      return await fn(s);
    } finally {
      s.close();
    }
  };
  /** every object in storage with its size (leases and the GC's pending file are not set data) */
  const objects = (): Promise<string[]> => withStorage(async (s) => {
    const out: string[] = [];
    for await (const o of s.list('')) if (!o.key.startsWith(LEASES_PREFIX)) out.push(`${o.key} ${o.bytes}`);
    return out.sort();
  });
  const packBytes = (): Promise<number> => withStorage(async (s) => {
    let n = 0;
    for await (const o of s.list('packs/')) n += o.bytes;
    return n;
  });
  const sets = (): Promise<SetInfo[]> => withStorage((s) => withCtx(ctxAt(), (c) => listSetsOf(c, s)));
  const write = (rel: string, data: Buffer): void => {
    mkdirSync(join(uploads, rel, '..'), { recursive: true });
    writeFileSync(join(uploads, rel), data);
  };
  const repackCli = (args: string[], env: NodeJS.ProcessEnv = fx.env): ReturnType<typeof cofre> =>
    cofre(['repack', '--storage', storageName, ...args], { env, fromSource: true, timeoutMs: 240_000 });
  /** the lease of a killed repack is fresh for 15 minutes: a test stands for that time passing */
  const dropStaleLeases = (): Promise<void> => withStorage(async (s) => {
    const keys: string[] = [];
    for await (const o of s.list(LEASES_PREFIX)) keys.push(o.key);
    if (keys.length) await s.delete(keys);
  });

  /** the two remaining days: every set complete, restored by Cofre identical to its day's tree */
  const remainingRestore = async (label: string): Promise<void> => {
    const listed = await sets();
    for (const day of days.slice(1)) {
      expect(listed.find((x) => x.setId === day.setId)?.state, `${label}: ${day.setId}`).toBe('complete');
      const c = ctxAt();
      try {
        const r = await runRestore(c, { setId: day.setId, target: 'homologacao', yes: true });
        expect(r.error, `${label}: ${JSON.stringify(r.error ?? r.validation)}`).toBeUndefined();
      } finally {
        c.close();
      }
      expect(snapshot(join(restoreRoot, day.setId, uploads)), label).toEqual(day.snap);
      rmSync(join(restoreRoot, day.setId), { recursive: true, force: true });
    }
  };

  beforeAll(async () => {
    restoreRoot = join('/tmp', `cofre-repack-${storageName}-${process.pid}-${Date.now()}`);
    mkdirSync(restoreRoot, { recursive: true });
    fx = await filesPlanFixture(h, {
      plan, storage: storageName, restoreRoot, largeBytes: 300 * 1024, planExtra: '    rpoHours: 10000\n', packBytes: 256 * 1024,
    });
    uploads = join(fx.filesDir, 'uploads');
  });
  afterAll(() => {
    if (restoreRoot) rmSync(restoreRoot, { recursive: true, force: true });
  });

  it('three days of backups; forget day 1: its packs stay referenced but mostly dead', async () => {
    for (let i = 0; i < 24; i++) write(`base/f${i}.bin`, randomBytes(40_000));
    const backup = async (): Promise<void> => {
      const r = await withCtx(ctxAt(), (c) => runBackup(c, plan));
      expect(r.error).toBeUndefined();
      days.push({ setId: r.setId, snap: snapshot(uploads) });
    };
    // days 1 and 2 as Cofre wrote them before short ids (`cofre-files-index/1`: whole ids), day 3 in `/2`:
    // repack then rewrites a /1 index (its moved entries short, the rest whole) and a /2 one
    setIndexFormForTests({ v1: true });
    try {
      await backup();
      for (let i = 0; i < 24; i++) if (i % 4 !== 0) rmSync(join(uploads, `base/f${i}.bin`));
      for (let i = 0; i < 8; i++) write(`dia2/novo-${i}.bin`, randomBytes(50_000));
      await backup();
    } finally {
      setIndexFormForTests(undefined);
    }
    for (let i = 0; i < 6; i++) rmSync(join(uploads, `dia2/novo-${i}.bin`));
    write('dia3/laudo.bin', randomBytes(30_000));
    await backup();
    const forgot = await withCtx(ctxAt(), (c) => forgetSet(c, days[0]?.setId ?? '', { yes: true, storage: storageName }));
    expect(forgot).toBeTruthy();
  }, 300_000);

  it('--dry-run plans the repack and changes nothing', async () => {
    const before = await objects();
    const r = await repackCli(['--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = (r.json as RepackJson).storages[0];
    expect(out?.repacked.length).toBeGreaterThanOrEqual(2);
    for (const p of out?.repacked ?? []) expect(p.liveBytes / p.memberBytes).toBeLessThan(0.5);
    // this home holds the content key that sealed the packs' .ids: their totals come from them, not from reading the packs
    for (const p of out?.repacked ?? []) expect(p.measuredBy).toBe('ids');
    expect(new Set(out?.setsRewritten)).toEqual(new Set([days[1]?.setId, days[2]?.setId]));
    expect(out?.newPacks).toEqual([]);
    expect(await objects()).toEqual(before);
    const text = await repackCli(['--dry-run']);
    expect(text.stdout).toMatch(new RegExp(`${storageName}: \\d+ pack\\(s\\) examined; would repack ${out?.repacked.length}`));
  }, 120_000);

  it('a doubtful set: repack refuses, names it, changes nothing; `cofre forget` clears it', async () => {
    const doubtful = newSetId(new Date(Date.now() - 3_600_000));
    await withStorage(async (s) => {
      await s.putBytes(`sets/${doubtful}/arquivos.index.age`, randomBytes(100));
      await s.putBytes(manifestKey(doubtful), Buffer.from('{ "format": "cofre-set/2", "setId": '));
    });
    const before = await objects();
    const r = await repackCli(['--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`set ${doubtful} on storage ${storageName} is doubtful`);
    expect((r.json as RepackJson).storages[0]?.error?.message).toContain(doubtful);
    expect(await objects()).toEqual(before);
    const forgot = await cofre(['forget', doubtful, '--yes', '--storage', storageName], { env: fx.env, fromSource: true });
    expect(forgot.code, forgot.stderr).toBe(0);
  }, 120_000);

  it('a storage that fails while listing the sets: repack stops and changes nothing', async () => {
    const before = await objects();
    const c = new AppContext({ env: fx.env, actor: 'test' });
    const faulty = new FaultyStorage(storageFromConfig(c.config, storageName, fx.env), [{ kind: '5xx', ops: ['get'], key: /manifest\.json$/ }]);
    try {
      await expect(repackOpen(c, faulty, { storage: storageName, threshold: 0.5, dryRun: false })).rejects.toThrow(/doubtful|could not be listed/);
    } finally {
      faulty.close();
      c.close();
    }
    await dropStaleLeases();
    expect(await objects()).toEqual(before);
  }, 120_000);

  it.each([
    ['a pack upload fails', { kind: '5xx', ops: ['put'], key: 'packs/' }],
    ['the new index upload fails', { kind: 'eio', ops: ['put'], key: /\.[0-9a-f]{8}\.index\.zst\.age$/ }],
    ['the manifest put fails', { kind: '5xx', ops: ['put'], key: /manifest\.json$/ }],
  ] as Array<[string, Fault]>)('a storage fault in the write phase (%s): repack stops, no set changes, all restore', async (_name, fault) => {
    const setsBefore = (await objects()).filter((o) => o.startsWith('sets/'));
    const c = new AppContext({ env: fx.env, actor: 'test' });
    const faulty = new FaultyStorage(storageFromConfig(c.config, storageName, fx.env), [fault]);
    try {
      await expect(repackOpen(c, faulty, { storage: storageName, threshold: 0.5, dryRun: false })).rejects.toThrow(/503|EIO/);
      expect(faulty.hits.length).toBeGreaterThan(0);
    } finally {
      faulty.close();
      c.close();
    }
    expect((await objects()).filter((o) => o.startsWith('sets/'))).toEqual(setsBefore);
    expect((await sets()).filter((x) => x.setId !== days[0]?.setId).every((x) => x.state === 'complete')).toBe(true);
  }, 120_000);

  it('an index found damaged while its rewrite streams to storage: repack stops, no new index is left, no set changes', async () => {
    // the new index is uploaded as the old one is read, before the old one's hash is known at its
    // end: the old index reads fine while planning and is corrupted (last byte flipped) on the
    // rewrite's read, so the upload has begun when the damage shows
    const setsBefore = (await objects()).filter((o) => o.startsWith('sets/'));
    const c = new AppContext({ env: fx.env, actor: 'test' });
    const faults: Fault[] = [];
    const faulty = new FaultyStorage(storageFromConfig(c.config, storageName, fx.env), faults);
    try {
      await expect(repackOpen(c, faulty, {
        storage: storageName, threshold: 0.5, dryRun: false,
        onStep: (step) => { if (step === 'packs') faults.push({ kind: 'corrupted', ops: ['get'], key: /\/arquivos(\.[0-9a-f]{8})?\.index\.zst\.age$/ }); },
      })).rejects.toThrow(/repack stopped at set/);
      expect(faulty.hits.some((x) => x.op === 'get')).toBe(true);
    } finally {
      faulty.close();
      c.close();
    }
    await dropStaleLeases();
    expect((await objects()).filter((o) => o.startsWith('sets/'))).toEqual(setsBefore);
    expect((await sets()).filter((x) => x.setId !== days[0]?.setId).every((x) => x.state === 'complete')).toBe(true);
  }, 120_000);

  it.each(['packs', 'sig-next:', 'manifest:'])('a repack SIGKILLed at %s leaves every set complete and restorable', async (step) => {
    const packsBefore = new Set((await objects()).filter((o) => o.startsWith('packs/')).map((o) => o.split(' ')[0]));
    const manifestsBefore = new Map((await sets()).map((x) => [x.setId, JSON.stringify(x.manifest)]));
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_SOURCE, 'repack', '--storage', storageName], {
      env: { ...fx.env, COFRE_TEST_REPACK_HALT_AT: step }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    const closed = once(child, 'close');
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (stderr.includes('repack halted at')) resolve();
      });
      child.on('close', () => reject(new Error(`repack ended before ${step}: ${stderr}`)));
    });
    child.kill('SIGKILL');
    await closed;
    // killed where asked: new packs uploaded; before the manifest put no manifest changed, after it
    // the first set's manifest is the new one, authenticated by sig.next alone (manifest.json.sig is the old one)
    const after = await objects();
    expect(after.filter((o) => o.startsWith('packs/')).some((o) => !packsBefore.has(o.split(' ')[0] ?? ''))).toBe(true);
    const first = days[1]?.setId ?? '';
    const sigNext = `${manifestKey(first)}.sig.next`;
    const listed = await sets();
    const changed = listed.filter((x) => manifestsBefore.get(x.setId) !== JSON.stringify(x.manifest)).map((x) => x.setId);
    expect(changed).toEqual(step === 'manifest:' ? [first] : []);
    expect(after.some((o) => o.startsWith(`${sigNext} `))).toBe(step !== 'packs');
    if (step === 'manifest:') {
      const [bytes, sig] = await withStorage(async (s) => Promise.all([s.getBytes(manifestKey(first)), s.getBytes(`${manifestKey(first)}.sig`)]));
      expect(verifySshsig(bytes, sig.toString('utf8'), [fx.signer]).ok).toBe(false);
      // the runbook's checks with OpenSSH alone: manifest.json.sig refuses, manifest.json.sig.next verifies
      const by = join(restoreRoot, 'by-hand');
      mkdirSync(by, { recursive: true });
      const next = await withStorage((s) => s.getBytes(sigNext));
      writeFileSync(join(by, 'manifest.json'), bytes);
      writeFileSync(join(by, 'manifest.json.sig'), sig);
      writeFileSync(join(by, 'manifest.json.sig.next'), next);
      writeFileSync(join(by, 'allowed_signers'), withCtxSync((c) => allowedSignersText(c.config)));
      const check = (cmd: string): ReturnType<typeof spawnSync> => spawnSync('sh', ['-c', cmd], { cwd: by, encoding: 'utf8' });
      expect(check(VERIFY_COMMAND).status).not.toBe(0);
      const good = check(VERIFY_NEXT_COMMAND);
      expect(good.status, String(good.stderr)).toBe(0);
      expect(String(good.stdout) + String(good.stderr)).toContain('Good "cofre-manifest" signature');
      const md = withCtxSync((c) => runbookMarkdown(c.config, { configPath: fx.configPath, generatedAt: new Date().toISOString() }));
      expect(md).toContain(VERIFY_NEXT_COMMAND);
      rmSync(by, { recursive: true, force: true });
    }
    await dropStaleLeases();
    await remainingRestore(`killed at ${step}`);
  }, 300_000);

  it('repack rewrites the mostly-dead packs; every remaining set verifies deep and restores identical, with Cofre and restore.sh', async () => {
    const r = await repackCli(['--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = (r.json as RepackJson).storages[0];
    expect(out?.repacked.length).toBeGreaterThanOrEqual(2);
    expect(out?.newPacks.length).toBeGreaterThanOrEqual(1);
    expect(out?.bytesAfter).toBeLessThan(out?.bytesBefore ?? 0);
    // the killed runs left sets with sig.next or a stale restore.sh: this run finished them
    expect(out?.settled.length).toBeGreaterThanOrEqual(1);
    expect(r.stderr).toMatch(/repack .*B.* at /); // progress with bytes and rate
    const repacked = new Set(out?.repacked.map((p) => p.key));
    const listed = await sets();
    for (const day of days.slice(1)) {
      const m = listed.find((x) => x.setId === day.setId)?.manifest;
      if (m?.format !== 'cofre-set/2') throw new Error('no format-2 manifest');
      for (const p of m.packs ?? []) expect(repacked.has(p.key)).toBe(false);
      expect(Object.values(m.indexes ?? {}).every((i) => i.key !== `sets/${day.setId}/arquivos.index.age`)).toBe(true);
      // only the objects the manifest names are left in the set's folder
      const inSet = (await objects()).filter((o) => o.startsWith(`sets/${day.setId}/`)).map((o) => o.split(' ')[0]);
      expect(inSet.sort()).toEqual([manifestKey(day.setId), `${manifestKey(day.setId)}.sig`, m.restoreScript?.key, ...Object.values(m.indexes ?? {}).map((i) => i.key)].sort());
      const v = await cofre(['verify', day.setId, '--deep', '--storage', storageName, '--json'], { env: fx.env, fromSource: true, timeoutMs: 180_000 });
      expect(v.code, v.stdout + v.stderr).toBe(0);
    }
    await remainingRestore('after repack');
    if (storageName === 'nas') {
      for (const day of days.slice(1)) {
        const dest = join(restoreRoot, `sh-${day.setId}`);
        const run = spawnSync('env', ['-i', 'PATH=/usr/bin:/bin', 'sh', `sets/${day.setId}/restore.sh`, fx.identityFile, dest], { cwd: fx.folderStorage, encoding: 'utf8', timeout: 180_000 });
        expect(run.status, run.stderr).toBe(0);
        expect(snapshot(join(dest, 'arquivos', uploads))).toEqual(day.snap);
      }
    }
    // a second repack finds nothing left to do
    const again = await repackCli(['--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((again.json as RepackJson).storages[0]?.repacked).toEqual([]);
  }, 600_000);

  it('prunes past the GC delay free the old packs: storage holds fewer bytes, and the sets still restore', async () => {
    const before = await packBytes();
    const first = await withCtx(ctxAt(), (c) => prunePlan(c, plan, { dryRun: false }));
    expect(first.gc.deleted).toEqual([]);
    expect(first.gc.pending.length).toBeGreaterThanOrEqual(2);
    const second = await withCtx(ctxAt(GC_DELAY_MS + 5 * MINUTE), (c) => prunePlan(c, plan, { dryRun: false }));
    expect(second.gc.blocked).toBeUndefined();
    expect(second.gc.deleted.length).toBeGreaterThanOrEqual(2);
    const after = await packBytes();
    expect(after).toBeLessThan(before);
    expect(before - after).toBe(second.gc.bytesFreed);
    await remainingRestore('after GC');
  }, 300_000);
});
