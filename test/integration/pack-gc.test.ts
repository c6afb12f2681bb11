/**
 * Issue 15, "Garbage collection in prune", on real sshd + format-2 files sets, on BOTH a folder
 * storage and S3 (s3rver): forget + prunes free exactly the packs no remaining set references, and
 * only at a prune further than the lease max age (+ margin) after the first one that found them
 * unreferenced (the clock of each prune's context is moved, nothing sleeps); the remaining sets still
 * verify deep and restore identical. Under injected storage faults (EIO, 5xx, timeout, a corrupted
 * manifest) GC deletes nothing and says what blocks it; a real doubtful set blocks it until
 * `cofre forget` clears it. A backup killed between pack upload and manifest leaves no
 * complete-looking set, and its packs survive while its lease is fresh and before the second prune.
 * A backup whose reused pack vanishes right before its manifest writes no set referencing it.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { treeFingerprint, type FileEntry } from '../support/compare.js';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup, type BackupResult } from '../../src-main/backup/run.js';
import { listSetsOf } from '../../src-main/backup/sets.js';
import { manifestKey, newSetId } from '../../src-main/backup/layout.js';
import { LEASES_PREFIX } from '../../src-main/backup/lease.js';
import { setAuthenticator } from '../../src-main/app/signing.js';
import { verifySet } from '../../src-main/backup/verify.js';
import { runRestore } from '../../src-main/restore/restore.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { configuredIdentities } from '../../src-main/app/identity.js';
import { prunePlan, type PruneResult } from '../../src-main/retention/prune.js';
import { forgetSet } from '../../src-main/retention/forget.js';
import { GC_DELAY_MS, GC_PENDING_KEY } from '../../src-main/retention/pack-gc.js';
import { filesPlanFixture, type Fixture } from '../support/backup-fixture.js';
import { cofre } from '../support/cli.js';
import { FaultyStorage, type Fault } from '../support/faulty-storage.js';
import type { Storage } from '../../src-main/storage/types.js';

const h = inject('harness');
const CLI_SOURCE = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url));
const MINUTE = 60_000;

/** The tree as a restore must bring it back (`*.tmp` is excluded by the source). */
const snapshot = (root: string): FileEntry[] => treeFingerprint(root, { skip: (_path, name) => name.endsWith('.tmp') });

describe.each([['nas', 'gcnas'], ['nuvem', 'gcs3']] as const)('pack garbage collection on storage %s (plan %s)', (storageName, plan) => {
  let fx: Fixture;
  let uploads: string;
  let restoreRoot: string;
  const days: Array<{ setId: string; snap: FileEntry[]; packs: string[] }> = [];
  let exclusive: string[] = [];
  let exclusiveBytes = 0;
  /** content of a file only day 2 had */
  let day2Content = Buffer.alloc(0);
  let firstPrune = 0;

  /** a context whose clock is `offsetMs` ahead of (or behind) the real one; storage optionally wrapped in faults */
  const ctxAt = (offsetMs = 0, faults?: Fault[], opened?: FaultyStorage[]): AppContext => new AppContext({
    env: fx.env,
    actor: 'test',
    now: () => new Date(Date.now() + offsetMs),
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
  const prune = (offsetMs = 0): Promise<PruneResult> => withCtx(ctxAt(offsetMs), (c) => prunePlan(c, plan, { dryRun: false }));
  const open = (): Storage => storageFromConfig(ctxAt().config, storageName, fx.env);
  const packKeys = async (prefix = 'packs/'): Promise<string[]> => {
    const s = open();
    const keys: string[] = [];
    try {
      for await (const o of s.list(prefix)) keys.push(o.key);
    } finally {
      s.close();
    }
    return keys.sort();
  };
  const manifestPacks = async (setId: string): Promise<string[]> => {
    const s = open();
    try {
      const set = (await withCtx(ctxAt(), (c) => listSetsOf(c, s))).find((x) => x.setId === setId);
      const m = set?.manifest;
      if (!m || m.format !== 'cofre-set/2') throw new Error(`set ${setId} has no format-2 manifest`);
      return (m.packs ?? []).map((p) => p.key).sort();
    } finally {
      s.close();
    }
  };
  const backup = async (onLog?: (line: string) => void): Promise<BackupResult> => withCtx(ctxAt(), (c) => runBackup(c, plan, onLog ? { onLog } : {}));
  const write = (rel: string, data: Buffer): void => {
    mkdirSync(join(uploads, rel, '..'), { recursive: true });
    writeFileSync(join(uploads, rel), data);
  };

  beforeAll(async () => {
    restoreRoot = join('/tmp', `cofre-gc-${storageName}-${process.pid}-${Date.now()}`);
    mkdirSync(restoreRoot, { recursive: true });
    fx = await filesPlanFixture(h, {
      plan, storage: storageName, restoreRoot, largeBytes: 600 * 1024, planExtra: '    rpoHours: 10000\n',
      packBytes: 256 * 1024, // small packs: a set spans several
      timeoutSeconds: 8, // short for the hung-listing cases, long enough for s3rver under a loaded CI machine
    });
    uploads = join(fx.filesDir, 'uploads');
  });
  afterAll(() => {
    if (restoreRoot) rmSync(restoreRoot, { recursive: true, force: true });
  });

  it('three days of sets; the middle one alone references the packs of files added on day 2 and gone on day 3', async () => {
    for (let i = 0; i < 20; i++) write(`base/f${i}.bin`, randomBytes(40_000));
    const a = await backup();
    expect(a.error).toBeUndefined();
    days.push({ setId: a.setId, snap: snapshot(uploads), packs: await manifestPacks(a.setId) });
    for (let i = 0; i < 12; i++) write(`dia2/temporario-${i}.bin`, randomBytes(60_000));
    write('base/f0.bin', randomBytes(40_000));
    const b = await backup();
    expect(b.error).toBeUndefined();
    days.push({ setId: b.setId, snap: snapshot(uploads), packs: await manifestPacks(b.setId) });
    day2Content = readFileSync(join(uploads, 'dia2/temporario-3.bin'));
    rmSync(join(uploads, 'dia2'), { recursive: true });
    write('dia3/novo.bin', randomBytes(80_000));
    const c = await backup();
    expect(c.error).toBeUndefined();
    days.push({ setId: c.setId, snap: snapshot(uploads), packs: await manifestPacks(c.setId) });
    const kept = new Set([...(days[0]?.packs ?? []), ...(days[2]?.packs ?? [])]);
    exclusive = (days[1]?.packs ?? []).filter((k) => !kept.has(k)).sort();
    // 720 kB of random content in 256 kB packs; the one that also holds day 2's new f0.bin stays (day 3 has it)
    expect(exclusive.length).toBeGreaterThanOrEqual(2);
    expect(await packKeys()).toEqual([...new Set([...kept, ...exclusive])].sort());
    const s = open();
    try {
      for (const k of exclusive) exclusiveBytes += (await s.head(k))?.bytes ?? 0;
    } finally {
      s.close();
    }
  }, 300_000);

  it('forget + a first prune: the packs only the forgotten set referenced are pending, none deleted', async () => {
    const middle = days[1]?.setId ?? '';
    await withCtx(ctxAt(), (c) => forgetSet(c, middle, { yes: true, storage: storageName }));
    const before = await packKeys();
    firstPrune = Date.now();
    const r = await prune();
    expect(r.gc.blocked).toBeUndefined();
    expect(r.gc.deleted).toEqual([]);
    expect(r.gc.pending.map((p) => p.key).sort()).toEqual(exclusive);
    const first = r.gc.pending[0];
    expect(Date.parse(first?.deletableAfter ?? '') - Date.parse(first?.firstSeen ?? '')).toBe(GC_DELAY_MS);
    expect(await packKeys()).toEqual(before);
  });

  it('a backup while packs are pending does not reuse them: content found only there is stored anew', async () => {
    write('volta/temporario-3.bin', day2Content);
    const r = await backup();
    expect(r.error).toBeUndefined();
    expect(r.files?.[0]?.newContents).toBe(1);
    const refs = await manifestPacks(r.setId);
    for (const k of exclusive) expect(refs).not.toContain(k);
    rmSync(join(uploads, 'volta'), { recursive: true });
  }, 120_000);

  it('a second prune sooner than the lease max age deletes nothing and says when they become deletable (CLI text and --json)', async () => {
    const before = await packKeys();
    const json = await cofre(['prune', '--plan', plan, '--json'], { env: fx.env, fromSource: true });
    expect(json.code, json.stderr).toBe(0);
    const out = json.json as { packs: { deleted: number; bytesFreed: number; pending: number }; plans: Array<{ gc: PruneResult['gc'] }> };
    expect(out.packs).toMatchObject({ deleted: 0, bytesFreed: 0, pending: exclusive.length });
    const after = Date.parse(out.plans[0]?.gc.pending[0]?.deletableAfter ?? '');
    expect(after).toBeGreaterThan(firstPrune + GC_DELAY_MS - MINUTE);
    const text = await cofre(['prune', '--plan', plan], { env: fx.env, fromSource: true });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`packs: \\d+ referenced; deleted 0 unreferenced \\(0 B freed\\); ${exclusive.length} pending \\(the first deletable after \\S+, at a later prune\\)`));
    expect((await prune(GC_DELAY_MS - 10 * MINUTE)).gc.deleted).toEqual([]);
    expect(await packKeys()).toEqual(before);
  }, 120_000);

  const due = GC_DELAY_MS + 5 * MINUTE;
  const faults: Array<[string, Fault[], RegExp]> = [
    ['pack listing EIO', [{ kind: 'eio', ops: ['list'], key: 'packs/' }], /packs on storage .* could not be listed .*EIO/],
    ['pack listing 5xx', [{ kind: '5xx', ops: ['list'], key: 'packs/' }], /could not be listed .*503/],
    ['pack listing timeout', [{ kind: 'timeout', ops: ['list'], key: 'packs/' }], /did not answer the pack listing within 8 s/],
    ['pending file read 5xx', [{ kind: '5xx', ops: ['get'], key: GC_PENDING_KEY }], /gc\/pending\.json on storage .* could not be read .*503/],
    ['pending file head EIO', [{ kind: 'eio', ops: ['head'], key: GC_PENDING_KEY }], /gc\/pending\.json on storage .* could not be read .*EIO/],
    ['pending file write 5xx', [{ kind: '5xx', ops: ['put'], key: GC_PENDING_KEY }], /gc\/pending\.json on storage .* could not be written/],
    ['lease listing timeout', [{ kind: 'timeout', ops: ['list'], key: LEASES_PREFIX }], /lease/],
  ];
  it.each(faults)('GC under a fault (%s) deletes nothing and says why', async (_name, f, why) => {
    const before = await packKeys();
    const opened: FaultyStorage[] = [];
    const c = ctxAt(due, f, opened);
    const r = await withCtx(c, (x) => prunePlan(x, plan, { dryRun: false })).catch((err: unknown) => err as Error);
    if (r instanceof Error) {
      expect(r.message).toMatch(/nothing was deleted/); // the lease listing failing stops prune itself
    } else {
      expect(r.gc.deleted).toEqual([]);
      expect(r.gc.blocked?.reason).toMatch(why);
      expect(r.gc.blocked?.key).toBe('gc.blockedStorage');
    }
    expect(opened.flatMap((o) => o.deleted).filter((k) => k.startsWith('packs/'))).toEqual([]);
    expect(await packKeys()).toEqual(before);
  });

  it.each(['eio', '5xx', 'corrupted'] as const)('GC with a manifest read %s deletes nothing and names the set', async (kind) => {
    const before = await packKeys();
    const victim = days[0]?.setId ?? '';
    const opened: FaultyStorage[] = [];
    const r = await withCtx(ctxAt(due, [{ kind, ops: ['get'], key: manifestKey(victim) }], opened), (x) => prunePlan(x, plan, { dryRun: false }));
    expect(r.gc.deleted).toEqual([]);
    expect(r.gc.blocked?.setId).toBe(victim);
    expect(r.gc.blocked?.reason).toContain(`cofre forget ${victim}`);
    if (kind !== 'corrupted') expect(r.aborted).toContain(victim);
    expect(opened.flatMap((o) => o.deleted)).toEqual([]);
    expect(await packKeys()).toEqual(before);
  });

  it('a real doubtful set blocks GC (naming it) until `cofre forget` clears it; then exactly the unreferenced packs go', async () => {
    const doubtful = newSetId(new Date(Date.now() - 3_600_000));
    const s = open();
    try {
      await s.putBytes(`sets/${doubtful}/arquivos.index.age`, randomBytes(100));
      await s.putBytes(manifestKey(doubtful), Buffer.from('{ "format": "cofre-set/2", "setId": '));
    } finally {
      s.close();
    }
    const before = await packKeys();
    const idsBefore = await packKeys('pack-ids/');
    expect(idsBefore.length, 'a dedup hint beside each pack').toBe(before.length);
    const blocked = await prune(due);
    expect(blocked.gc.deleted).toEqual([]);
    expect(blocked.gc.blocked).toMatchObject({ setId: doubtful, key: 'gc.blockedBySet' });
    expect(blocked.gc.blocked?.reason).toContain(`set ${doubtful} is doubtful`);
    expect(await packKeys()).toEqual(before);
    const cli = await cofre(['prune', '--plan', plan], { env: fx.env, fromSource: true });
    expect(cli.stdout).toContain(`packs: GC BLOCKED, no pack deleted: set ${doubtful} is doubtful`);
    const forgot = await cofre(['forget', doubtful, '--yes', '--storage', storageName], { env: fx.env, fromSource: true });
    expect(forgot.code, forgot.stderr).toBe(0);

    const r = await prune(due);
    expect(r.gc.blocked).toBeUndefined();
    expect(r.gc.deleted.map((d) => d.key).sort()).toEqual(exclusive);
    expect(r.gc.bytesFreed).toBe(r.gc.deleted.reduce((a, d) => a + d.bytes, 0));
    expect(r.gc.bytesFreed).toBe(exclusiveBytes);
    expect(r.gc.bytesFreed).toBeGreaterThan(6 * 60_000);
    expect(r.gc.pending).toEqual([]);
    expect(await packKeys()).toEqual(before.filter((k) => !exclusive.includes(k)));
    // the deleted packs' dedup hints went with them
    expect(await packKeys('pack-ids/')).toEqual(idsBefore.filter((k) => !exclusive.some((p) => k === `pack-ids/${p.slice('packs/'.length)}.ids`)));
    const audit = withCtx(ctxAt(), async (c) => c.catalog.listAudit({ action: 'packs.delete' }));
    expect((await audit).at(-1)?.details).toMatchObject({ storage: storageName, packs: exclusive.length, bytes: r.gc.bytesFreed });
  }, 120_000);

  it('the remaining sets verify deep and restore identical', async () => {
    const c = ctxAt();
    const s = open();
    try {
      const identities = await configuredIdentities(c.config, fx.env);
      for (const day of [days[0], days[2]]) {
        if (!day) throw new Error('missing day');
        const v = await verifySet(s, day.setId, { deep: true, authenticate: setAuthenticator(c.config, c.now), identities });
        expect(v.ok, JSON.stringify(v.checks.filter((k) => !k.ok))).toBe(true);
        const r = await runRestore(c, { setId: day.setId, target: 'homologacao', yes: true });
        expect(r.error, JSON.stringify(r.validation)).toBeUndefined();
        expect(snapshot(join(restoreRoot, day.setId, uploads))).toEqual(day.snap);
      }
    } finally {
      s.close();
      c.close();
    }
  }, 300_000);

  it('a backup whose reused pack is deleted right before its manifest writes no set referencing it; the next one stores the content anew', async () => {
    write('dia4/outro.bin', randomBytes(30_000));
    const reused = days[2]?.packs.find((k) => !exclusive.includes(k)) ?? '';
    const existing = await withCtx(ctxAt(), async (c) => { const s = open(); try { return new Set((await listSetsOf(c, s)).map((x) => x.setId)); } finally { s.close(); } });
    let setId = '';
    let vanished: Promise<void> | undefined;
    // the pack comes back at the end: meanwhile the day-3 set that references it is doubtful (pack missing)
    const saved = await (async () => { const s = open(); try { return await s.getBytes(reused); } finally { s.close(); } })();
    const r = await backup((line) => {
      const m = /^set (\S+) →/.exec(line);
      if (m?.[1]) setId = m[1];
      // the reuse is decided (the dedup state was read), the changed file is about to be read and
      // uploaded: a racing GC deletes the reused pack now, well before the manifest
      if (/entries listed; reading/.test(line)) {
        const s = open();
        vanished = s.delete([reused]).finally(() => s.close());
      }
    });
    await vanished;
    expect(r.status).toBe('failed');
    expect(r.error?.message).toContain(`pack ${reused} that this set reuses is missing`);
    const s = open();
    try {
      const sets = await withCtx(ctxAt(), (c) => listSetsOf(c, s));
      expect(sets.find((x) => x.setId === setId)?.complete ?? false).toBe(false);
      for (const set of sets.filter((x) => !existing.has(x.setId) && x.manifest)) {
        if (set.manifest?.format === 'cofre-set/2') expect(set.manifest.packs?.map((p) => p.key)).not.toContain(reused);
      }
      const next = await backup();
      expect(next.error).toBeUndefined();
      const c = ctxAt();
      const v = await withCtx(c, async (x) => verifySet(s, next.setId, { deep: true, authenticate: setAuthenticator(x.config, x.now), identities: await configuredIdentities(x.config, fx.env) }));
      expect(v.ok, JSON.stringify(v.checks.filter((k) => !k.ok))).toBe(true);
      expect(await manifestPacks(next.setId)).not.toContain(reused);
      const day3 = days[2]?.setId ?? '';
      expect((await withCtx(ctxAt(), (x) => listSetsOf(x, s))).find((x) => x.setId === day3)).toMatchObject({ state: 'doubtful', problem: `pack ${reused} is missing` });
    } finally {
      await s.putBytes(reused, saved);
      s.close();
    }
  }, 300_000);

  it('a backup killed between pack upload and manifest: no complete-looking set; its packs survive the first prune and its fresh lease, and go after', async () => {
    for (let i = 0; i < 30; i++) write(`lote/exame-${i}.dcm`, randomBytes(200_000));
    const before = new Set(await packKeys());
    const goodBefore = await withCtx(ctxAt(), async (c) => { const s = open(); try { return (await listSetsOf(c, s)).filter((x) => x.complete).map((x) => x.setId); } finally { s.close(); } });
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_SOURCE, 'backup', '--plan', plan], { env: fx.env, stdio: 'ignore' });
    const closed = once(child, 'close');
    const deadline = Date.now() + 90_000;
    while (!(await packKeys()).some((k) => !before.has(k))) {
      if (Date.now() > deadline) throw new Error('no pack was uploaded');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    await closed;
    const orphans = (await packKeys()).filter((k) => !before.has(k));
    expect(orphans.length).toBeGreaterThan(0);
    const s = open();
    try {
      const after = await withCtx(ctxAt(), (c) => listSetsOf(c, s));
      expect(after.filter((x) => x.complete).map((x) => x.setId)).toEqual(goodBefore);
      const killed = after.filter((x) => !goodBefore.includes(x.setId) && x.state !== 'complete');
      expect(killed.every((x) => x.state === 'incomplete')).toBe(true);
      const leases: string[] = [];
      for await (const o of s.list(LEASES_PREFIX)) leases.push(o.key);
      expect(leases.length).toBe(1); // the killed run's lease, still fresh
    } finally {
      s.close();
    }
    // the first look happens "long ago" (the clock of that prune is behind), so the second is due at once
    const first = await prune(-(GC_DELAY_MS + 10 * MINUTE));
    expect(first.gc.deleted).toEqual([]);
    expect(first.gc.pending.map((p) => p.key)).toEqual(expect.arrayContaining(orphans));
    // due, but the killed backup's lease is still fresh: nothing goes
    const leased = await prune();
    expect(leased.gc.deleted).toEqual([]);
    expect(leased.gc.blocked?.key).toBe('gc.blockedByLease');
    for (const k of orphans) expect(await packKeys()).toContain(k);
    // once the lease is stale (no renewal for 15 min), the orphans go, and only they
    const stale = await prune(20 * MINUTE);
    expect(stale.gc.blocked).toBeUndefined();
    expect(stale.gc.deleted.map((d) => d.key).sort()).toEqual([...orphans].sort());
    expect(new Set(await packKeys())).toEqual(before);
  }, 300_000);
});
