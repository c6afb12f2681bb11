/**
 * Issue 15, "With Object Lock, reused packs get their retention extended", on real sshd + format-2
 * files sets and an S3 server with Object Lock.
 *
 * s3rver has no Object Lock: this runs against the TEST STAND-IN in test/harness/s3-object-lock.ts
 * (a Koa middleware in front of s3rver, written from the S3 API reference), not against AWS. Its
 * clock is moved together with each context's clock, so locks expire without waiting.
 *
 * Three days of sets (days 0, 2 and 4; lock 3 days, keepDays 1): every object of a set is retained
 * until its time + 3 days, and a pack reused by a later set is retained until that set's date; forget
 * of a locked set is refused with nothing deleted; prune holds a locked set (asked first, or refused
 * by S3) and deletes it at the first prune after the date; an unreferenced pack still locked is
 * reported as retained and goes after its date; a bucket without Object Lock is refused.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { createHash } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand, PutObjectRetentionCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3rver, type S3ServerHandle } from '../harness/index.js';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup, type BackupResult } from '../../src-main/backup/run.js';
import { listSetsOf } from '../../src-main/backup/sets.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { objectRetention, retainAll } from '../../src-main/storage/object-lock.js';
import { verifySet } from '../../src-main/backup/verify.js';
import { setAuthenticator } from '../../src-main/app/signing.js';
import { prunePlan, type PruneResult } from '../../src-main/retention/prune.js';
import { GC_DELAY_MS } from '../../src-main/retention/pack-gc.js';
import { parseConfigText } from '../../src-main/config/load.js';
import { makeFixture, ownServerName, uniqueName, type Fixture } from '../support/backup-fixture.js';
import { cofre } from '../support/cli.js';
import type { Storage } from '../../src-main/storage/types.js';

const h = inject('harness');
const DAY = 86_400_000;
const LOCK_DAYS = 3;

describe('S3 Object Lock (test stand-in: s3rver has none)', () => {
  let s3: S3ServerHandle;
  let fx: Fixture;
  let uploads: string;
  let lockedBucket: string;
  /** the real instant the test's day 0 starts at */
  const t0 = Date.now();
  const sets: Array<{ setId: string; createdAt: number; packs: string[] }> = [];
  let exclusive: string[] = [];

  /** a context (and the stand-in's clock) `days` after day 0 */
  const at = (days: number): AppContext => {
    const clock = (): Date => new Date(t0 + days * DAY + (Date.now() - t0));
    s3.objectLock?.setNow(clock);
    return new AppContext({ env: fx.env, actor: 'test', now: clock });
  };
  const withCtx = async <T>(c: AppContext, fn: (c: AppContext) => Promise<T>): Promise<T> => {
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  };
  const open = (): Storage => storageFromConfig(at(0).config, 'trancada', fx.env);
  const backup = (days: number, plan = 'trancado'): Promise<BackupResult> => withCtx(at(days), (c) => runBackup(c, plan));
  const prune = (days: number, now?: Date): Promise<PruneResult> => withCtx(at(days), (c) => prunePlan(c, 'trancado', { dryRun: false, ...(now ? { now } : {}) }));
  const keys = async (prefix: string): Promise<string[]> => {
    const s = open();
    const out: string[] = [];
    try {
      for await (const o of s.list(prefix)) out.push(o.key);
    } finally {
      s.close();
    }
    return out.sort();
  };
  const retainedUntil = async (key: string): Promise<string | undefined> => {
    const s = open();
    try {
      return (await objectRetention(s, key))?.retainUntil.toISOString();
    } finally {
      s.close();
    }
  };
  const setInfo = async (setId: string): Promise<{ setId: string; createdAt: number; packs: string[] }> => {
    const s = open();
    try {
      const set = (await withCtx(at(0), (c) => listSetsOf(c, s))).find((x) => x.setId === setId);
      const m = set?.manifest;
      if (!m || m.format !== 'cofre-set/2') throw new Error(`set ${setId} has no format-2 manifest`);
      return { setId, createdAt: Date.parse(m.createdAt), packs: (m.packs ?? []).map((p) => p.key).sort() };
    } finally {
      s.close();
    }
  };
  const write = (rel: string, data: Buffer): void => {
    mkdirSync(join(uploads, rel, '..'), { recursive: true });
    writeFileSync(join(uploads, rel), data);
  };
  const client = (): S3Client => new S3Client({
    endpoint: s3.endpoint, region: s3.region, forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });

  beforeAll(async () => {
    s3 = await startS3rver({ objectLock: true });
    const info = { endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
    fx = await makeFixture({ ...h, s3: info }, { filesFormat: 'packs', largeBytes: 300 * 1024 });
    lockedBucket = uniqueName('trancado').replace(/_/g, '-');
    const c = client();
    await c.send(new CreateBucketCommand({ Bucket: lockedBucket, ObjectLockEnabledForBucket: true }));
    c.destroy();
    const doc = parseDocument(readFileSync(fx.configPath, 'utf8'));
    ownServerName(doc);
    doc.setIn(['sources', 'arquivos', 'packBytes'], 256 * 1024); // small packs: a set spans several
    const nuvem = doc.getIn(['storage', 'nuvem']) as { toJSON(): Record<string, unknown> };
    const base = nuvem.toJSON();
    doc.setIn(['storage', 'trancada'], doc.createNode({ ...base, bucket: lockedBucket, objectLock: { mode: 'COMPLIANCE', days: LOCK_DAYS } }));
    // the fixture's own bucket, created without Object Lock, with a config that asks for it
    doc.setIn(['storage', 'semtrava'], doc.createNode({ ...base, objectLock: { mode: 'GOVERNANCE', days: LOCK_DAYS } }));
    for (const [plan, storage] of [['trancado', 'trancada'], ['semtrava', 'semtrava']] as const) {
      doc.setIn(['plans', plan], doc.createNode({
        sources: ['arquivos'], storage, schedule: '0 4 * * *', rpoHours: 10000, retention: { keepDays: 1, keepMin: 1 },
      }));
    }
    writeFileSync(fx.configPath, doc.toString());
    uploads = join(fx.filesDir, 'uploads');
  }, 120_000);
  afterAll(async () => {
    await s3?.stop();
    if (fx) rmSync(fx.dir, { recursive: true, force: true });
  });

  it('a config whose lock is shorter than the retention is refused, naming the key', () => {
    const text = readFileSync(fx.configPath, 'utf8').replace(`days: ${LOCK_DAYS}`, 'days: 0');
    expect(() => parseConfigText(text, 'cofre.yaml')).toThrow(/objectLock\.days/);
    const short = parseDocument(readFileSync(fx.configPath, 'utf8'));
    short.setIn(['plans', 'trancado', 'retention', 'keepDays'], 30);
    expect(() => parseConfigText(short.toString(), 'cofre.yaml')).toThrow(/storage\.trancada\.objectLock\.days[\s\S]*shorter than plan trancado's retention \(keepDays: 30\)/);
  });

  it('every object of a set is retained until its time + days; a reused pack moves to the newest set\'s date', async () => {
    const a = await backup(0);
    expect(a.error).toBeUndefined();
    sets.push(await setInfo(a.setId));
    const day0 = sets[0]!;
    const until0 = new Date(day0.createdAt + LOCK_DAYS * DAY).toISOString();
    const own0 = await keys(`sets/${a.setId}/`);
    expect(own0).toEqual(expect.arrayContaining([`sets/${a.setId}/manifest.json`, `sets/${a.setId}/manifest.json.sig`, `sets/${a.setId}/restore.sh`, `sets/${a.setId}/arquivos.index.zst.age`]));
    for (const k of [...own0, ...day0.packs]) expect([k, await retainedUntil(k)]).toEqual([k, until0]);

    for (let i = 0; i < 8; i++) write(`dia2/exame-${i}.bin`, randomBytes(60_000));
    const b = await backup(2);
    expect(b.error).toBeUndefined();
    sets.push(await setInfo(b.setId));
    const day2 = sets[1]!;
    const until2 = new Date(day2.createdAt + LOCK_DAYS * DAY).toISOString();
    const reused = day0.packs.filter((p) => day2.packs.includes(p));
    expect(reused.length).toBeGreaterThan(0);
    // the packs day 0 wrote and day 2 reuses: now kept as long as day 2's set
    for (const k of [...reused, ...day2.packs, ...await keys(`sets/${b.setId}/`)]) expect([k, await retainedUntil(k)]).toEqual([k, until2]);
    // day 0's own objects keep their date
    expect(await retainedUntil(`sets/${a.setId}/manifest.json`)).toBe(until0);

    rmSync(join(uploads, 'dia2'), { recursive: true });
    const c = await backup(4);
    expect(c.error).toBeUndefined();
    sets.push(await setInfo(c.setId));
    const day4 = sets[2]!;
    const until4 = new Date(day4.createdAt + LOCK_DAYS * DAY).toISOString();
    for (const k of day4.packs) expect([k, await retainedUntil(k)]).toEqual([k, until4]);
    exclusive = day2.packs.filter((p) => !day4.packs.includes(p));
    expect(exclusive.length).toBeGreaterThan(0);
    for (const k of exclusive) expect(await retainedUntil(k)).toBe(until2);

    // `cofre verify` checks it from storage: the bucket has Object Lock, every object of the set and pack it needs is retained as long as its manifest
    const s = open();
    try {
      const v = await withCtx(at(4), (x) => verifySet(s, c.setId, { deep: false, authenticate: setAuthenticator(x.config, x.now) }));
      expect(v.checks.find((x) => x.name === 'object lock')).toMatchObject({ status: 'ok', message: expect.stringContaining(`(COMPLIANCE) until at least ${until4}`) });
      expect(v.status).toBe('ok');
    } finally {
      s.close();
    }
  }, 300_000);

  it('forget of a set still locked is refused with a clear message, and nothing is deleted', async () => {
    const middle = sets[1]!.setId;
    at(4);
    const before = await keys(`sets/${middle}/`);
    const r = await cofre(['forget', middle, '--yes', '--storage', 'trancada', '--json'], { env: fx.env, fromSource: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(new RegExp(`set ${middle} on storage trancada is under S3 Object Lock until [0-9T:.-]+Z: S3 refuses to delete it before then, and nothing was deleted`));
    expect(await keys(`sets/${middle}/`)).toEqual(before);
  }, 120_000);

  it('repack on a locked storage is refused before it changes anything (it would replace locked manifests)', async () => {
    at(4);
    const before = await keys('');
    const r = await cofre(['repack', '--storage', 'trancada', '--json'], { env: fx.env, fromSource: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/storage trancada uses Object Lock: repack would replace the sets' locked manifests, so it changes nothing there/);
    expect(await keys('')).toEqual(before);
  }, 120_000);

  it('prune deletes the set whose lock ended, holds the locked one (asked first, or refused by S3), and deletes it after its date', async () => {
    const [first, middle, last] = [sets[0]!.setId, sets[1]!.setId, sets[2]!.setId];
    const middleUntil = new Date(sets[1]!.createdAt + LOCK_DAYS * DAY);
    const r = await prune(4);
    expect(r.failed).toEqual([]);
    expect(r.delete.map((d) => d.setId)).toEqual([first]);
    expect(r.held.map((d) => d.setId)).toEqual([middle]);
    expect(r.held[0]?.reason).toContain(`object lock until ${middleUntil.toISOString()}`);
    expect(r.keep.map((d) => d.setId)).toEqual([last]);
    expect(await keys(`sets/${first}/`)).toEqual([]);

    // a prune told it is later than it is (--now) still cannot delete it: S3 refuses, it is held, not failed
    const told = await prune(4, new Date(middleUntil.getTime() + DAY));
    expect(told.failed).toEqual([]);
    expect(told.delete).toEqual([]);
    expect(told.held.map((d) => d.setId)).toEqual([middle]);
    expect(told.held[0]?.reason).toMatch(/S3 refused the deletion: object lock until/);
    expect(await keys(`sets/${middle}/`)).toContain(`sets/${middle}/manifest.json`);

    // after the date: deleted; the packs only it referenced start their wait for collection
    const after = await prune(5.5);
    expect(after.failed).toEqual([]);
    expect(after.held).toEqual([]);
    expect(after.delete.map((d) => d.setId)).toEqual([middle]);
    expect(await keys(`sets/${middle}/`)).toEqual([]);
    expect(after.gc.pending.map((p) => p.key).sort()).toEqual(exclusive);
  }, 120_000);

  it('an unreferenced pack still under Object Lock is reported as retained, kept, and deleted after its date', async () => {
    // as a backup that locked its packs and then failed before its manifest would leave it
    const lockedPack = exclusive[0]!;
    const until = new Date(t0 + 10 * DAY);
    at(5.5);
    const c = client();
    await c.send(new PutObjectRetentionCommand({ Bucket: lockedBucket, Key: `cofre/${lockedPack}`, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: until } }));
    c.destroy();
    const due = 5.5 + (GC_DELAY_MS + 60_000) / DAY;
    const r = await prune(due);
    expect(r.gc.blocked).toBeUndefined();
    expect(r.gc.failed).toEqual([]);
    expect(r.gc.deleted.map((d) => d.key).sort()).toEqual(exclusive.filter((k) => k !== lockedPack));
    expect(r.gc.retained.map((p) => [p.key, p.retainUntil])).toEqual([[lockedPack, until.toISOString()]]);
    expect(await keys('packs/')).toContain(lockedPack);
    const later = await prune(10.5);
    expect(later.gc.retained).toEqual([]);
    expect(later.gc.deleted.map((d) => d.key)).toEqual([lockedPack]);
    expect(await keys('packs/')).not.toContain(lockedPack);
    // what the remaining set references is all still there
    for (const k of sets[2]!.packs) expect(await keys('packs/')).toContain(k);
  }, 120_000);

  it('a retention that cannot be extended is an error that says so (what fails the backup before its manifest); one already longer and as strict is kept', async () => {
    at(0);
    const c = client();
    const put = async (key: string, mode: 'GOVERNANCE' | 'COMPLIANCE', until: Date): Promise<void> => {
      const body = randomBytes(1000);
      await c.send(new PutObjectCommand({
        Bucket: lockedBucket, Key: `cofre/${key}`, Body: body, ContentMD5: createHash('md5').update(body).digest('base64'),
        ObjectLockMode: mode, ObjectLockRetainUntilDate: until,
      }));
    };
    const soon = { mode: 'COMPLIANCE' as const, retainUntil: new Date(t0 + 5 * DAY) };
    await put('outros/governanca.bin', 'GOVERNANCE', new Date(t0 + 100 * DAY));
    await put('outros/compliance.bin', 'COMPLIANCE', new Date(t0 + 100 * DAY));
    c.destroy();
    const s = open();
    try {
      // GOVERNANCE for 100 days is not COMPLIANCE: S3 refuses to shorten it, and Cofre does not pretend
      await expect(retainAll(s, ['outros/compliance.bin', 'outros/governanca.bin'], soon))
        .rejects.toThrow(/extend the Object Lock retention of outros\/governanca\.bin to [0-9T:.-]+Z.*\(it is retained GOVERNANCE until [0-9T:.-]+Z\)/);
      // COMPLIANCE for longer already protects more than asked: accepted, date unchanged
      await retainAll(s, ['outros/compliance.bin'], soon);
      expect(await retainedUntil('outros/compliance.bin')).toBe(new Date(t0 + 100 * DAY).toISOString());
    } finally {
      s.close();
    }
  });

  it('a config asking for Object Lock on a bucket without it: the backup is refused and writes nothing', async () => {
    const r = await backup(0, 'semtrava');
    expect(r.status).toBe('failed');
    expect(r.error?.code).toBe('PRECONDITION');
    expect(r.error?.key).toBe('objlock.bucketNotLocked');
    expect(r.error?.message).toMatch(/asks for Object Lock \(storage\.semtrava\.objectLock\) but bucket \S+ .* does not have Object Lock enabled/);
    const s = storageFromConfig(at(0).config, 'semtrava', fx.env);
    try {
      const all: string[] = [];
      for await (const o of s.list('sets/')) all.push(o.key);
      expect(all).toEqual([]);
    } finally {
      s.close();
    }
  }, 120_000);
});
