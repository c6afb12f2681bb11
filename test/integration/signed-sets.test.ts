/**
 * Issue 14, defect 4: sets are authenticated. Real sshd, PostgreSQL, MariaDB and folder storage:
 * - forged newer sets (another database, encrypted to the recipient, correct sizes and hashes in a
 *   well-formed manifest) with no signature, a signature by another key, or a genuine signature
 *   but a createdAt in the future, are listed as unsigned and never chosen by `--at` nor the
 *   drill; by id they need explicit confirmation;
 * - a missing, open or unlisted signing key fails the backup before anything is dumped or stored;
 * - `cofre adopt` signs a good pre-signing (format 1) set without rewriting its manifest, and
 *   refuses a corrupted one and the forgeries.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, openSync, readSync, writeSync, closeSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { listSetsOf, type SetInfo } from '../../src-main/backup/sets.js';
import { verifySet } from '../../src-main/backup/verify.js';
import { manifestKey, manifestSigKey, newSetId, objectKey } from '../../src-main/backup/layout.js';
import { setAuthenticator, signManifest } from '../../src-main/app/signing.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { selectSet, latestSet } from '../../src-main/restore/select.js';
import { runDrill } from '../../src-main/restore/drill.js';
import { encryptBuffer } from '../../src-main/crypto/age.js';
import { generateSigningKey, parseSigningKey } from '../../src-main/crypto/ssh-key-file.js';
import { pgCreateDatabase, pgPsql, PG_BIN } from '../harness/index.js';
import { makeFixture, stagingTargetYaml, uniqueName, type Fixture } from '../support/backup-fixture.js';
import { cofre } from '../support/cli.js';
import { rejection } from '../support/errors.js';
import type { Manifest } from '../../shared/domain.js';

const h = inject('harness');
const HOUR = 3600_000;

describe('signed sets (real sshd, PostgreSQL, MariaDB, folder storage)', () => {
  let fx: Fixture;
  let restoreRoot: string;
  let good: string;
  const forged: Record<'none' | 'otherKey' | 'future', string> = { none: '', otherKey: '', future: '' };

  const ctxAt = (now?: Date, configFlag?: string): AppContext =>
    new AppContext({ env: fx.env, ...(now ? { now: () => now } : {}), ...(configFlag ? { configFlag } : {}) });
  const variant = (name: string, edit: (yaml: string) => string): string => {
    const file = join(fx.dir, `${name}.yaml`);
    writeFileSync(file, edit(readFileSync(fx.configPath, 'utf8')));
    return file;
  };
  const setDir = (setId: string): string => join(fx.folderStorage, 'sets', setId);
  const list = async (ctx: AppContext): Promise<SetInfo[]> => {
    const storage = storageFromConfig(ctx.config, 'nas', ctx.env);
    try {
      return await listSetsOf(ctx, storage);
    } finally {
      storage.close();
    }
  };
  const sshKeygenVerify = (setId: string): string => {
    const allowed = join(fx.dir, 'allowed_signers');
    writeFileSync(allowed, `cofre ${fx.signer}\n`);
    return execFileSync('sh', ['-c', `ssh-keygen -Y verify -f ${allowed} -I cofre -n cofre-manifest -s ${setDir(setId)}/manifest.json.sig < ${setDir(setId)}/manifest.json`], { encoding: 'utf8' });
  };

  beforeAll(async () => {
    restoreRoot = join('/tmp', `cofre-signed-root-${process.pid}-${Date.now()}`);
    mkdirSync(restoreRoot, { recursive: true });
    fx = await makeFixture(h, { largeBytes: 256 * 1024, extraYaml: stagingTargetYaml(h, restoreRoot, '', 'drill:\n  target: homologacao\n') });
    const ctx = ctxAt(new Date(Date.now() - 2 * HOUR));
    const r = await runBackup(ctx, 'local');
    ctx.close();
    expect(r.error).toBeUndefined();
    good = r.setId;

    // The attacker: write access to the bucket, the public recipient, and a database of their own.
    const evilDb = uniqueName('forjado');
    await pgCreateDatabase(h.postgres, evilDb);
    await pgPsql(h.postgres, "CREATE SCHEMA clinica; CREATE TABLE clinica.pacientes (id int, nome text); INSERT INTO clinica.pacientes VALUES (1, 'forjado');", evilDb);
    const dump = execFileSync(`${PG_BIN}/pg_dump`, ['-Fc', '-h', '127.0.0.1', '-p', String(h.postgres.port), '-U', 'postgres', '-d', evilDb]);
    const goodManifest = JSON.parse(readFileSync(join(setDir(good), 'manifest.json'), 'utf8')) as Manifest;
    const other = parseSigningKey(generateSigningKey('attacker').privateText, 'attacker key');
    const real = parseSigningKey(readFileSync(fx.signingKeyFile), fx.signingKeyFile);
    const forge = async (at: Date, sign: 'none' | 'otherKey' | 'real'): Promise<string> => {
      const setId = newSetId(at);
      const key = objectKey(setId, `banco.${fx.pgDb}.pgdump.age`);
      const enc = await encryptBuffer(dump, [fx.recipient]);
      mkdirSync(setDir(setId), { recursive: true });
      writeFileSync(join(fx.folderStorage, key), enc);
      const banco = goodManifest.sources.find((s) => s.name === 'banco');
      const manifest: Manifest = {
        ...goodManifest, format: 'cofre-set/2', setId, createdAt: at.toISOString(), finishedAt: new Date(at.getTime() + 60_000).toISOString(),
        sources: [{ ...(banco as Manifest['sources'][number]), objects: [{ part: fx.pgDb, format: 'pgdump', key, bytes: enc.length, plainBytes: dump.length, sha256: createHash('sha256').update(enc).digest('hex'), rowCounts: { 'clinica.pacientes': 1 } }] }],
      };
      const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
      if (sign !== 'none') writeFileSync(join(fx.folderStorage, manifestSigKey(setId)), signManifest(bytes, sign === 'real' ? real : other));
      writeFileSync(join(fx.folderStorage, manifestKey(setId)), bytes);
      return setId;
    };
    forged.none = await forge(new Date(Date.now() - HOUR), 'none');
    forged.otherKey = await forge(new Date(Date.now() - HOUR / 2), 'otherKey');
    // a leaked key could sign a set "from tomorrow" that would win every --at for a day
    forged.future = await forge(new Date(Date.now() + 24 * HOUR), 'real');
  });

  afterAll(() => {
    if (restoreRoot) rmSync(restoreRoot, { recursive: true, force: true });
  });

  it('lists forged newer sets as unsigned, with the reason, and the genuine set as complete', async () => {
    expect(sshKeygenVerify(good)).toContain('Good "cofre-manifest" signature for cofre');
    const ctx = ctxAt();
    const sets = await list(ctx);
    ctx.close();
    const by = (id: string): SetInfo | undefined => sets.find((s) => s.setId === id);
    expect(by(good)).toMatchObject({ state: 'complete', complete: true });
    expect(by(forged.none)).toMatchObject({ state: 'unsigned', complete: false, problem: expect.stringContaining('no signature') });
    expect(by(forged.otherKey)).toMatchObject({ state: 'unsigned', complete: false, problem: expect.stringContaining('not among encryption.signers') });
    expect(by(forged.future)).toMatchObject({ state: 'unsigned', complete: false, problem: expect.stringContaining('lies in the future') });
  });

  it('--at and the drill pick the newest signed set, never a forged one; by id an unsigned set needs explicit confirmation', async () => {
    const ctx = ctxAt();
    expect((await selectSet(ctx, { at: new Date().toISOString() })).setId).toBe(good);
    expect((await selectSet(ctx, { at: new Date(Date.now() + 2 * 24 * HOUR).toISOString() })).setId).toBe(good);
    expect((await latestSet(ctx)).setId).toBe(good);
    const refused = await rejection(selectSet(ctx, { setId: forged.none }));
    expect(refused.code).toBe('CONFIRMATION_REQUIRED');
    expect(refused.message).toContain(`set ${forged.none} is unsigned`);
    expect(refused.hint).toContain('--accept-unsigned');
    expect(await selectSet(ctx, { setId: forged.none, acceptUnsigned: true })).toMatchObject({ setId: forged.none, unsigned: expect.stringContaining('no signature') });
    // verify reports the signature as a failed check
    const storage = storageFromConfig(ctx.config, 'nas', ctx.env);
    const v = await verifySet(storage, forged.otherKey, { deep: false, authenticate: setAuthenticator(ctx.config, ctx.now) });
    storage.close();
    expect(v.ok).toBe(false);
    expect(v.checks.find((c) => c.name === 'signature')).toMatchObject({ ok: false });

    // the real drill restores the genuine set into staging and its validation passes
    const drill = await runDrill(ctx, { target: 'homologacao' });
    ctx.close();
    expect(drill.error).toBeUndefined();
    expect(drill.setId).toBe(good);
    expect(drill.status).toBe('succeeded');
  });

  it('a missing, open or unlisted signing key fails the backup before anything is dumped or stored', async () => {
    const before = readdirSync(join(fx.folderStorage, 'sets')).sort();
    const openKey = join(fx.dir, 'open_key');
    copyFileSync(fx.signingKeyFile, openKey);
    chmodSync(openKey, 0o644);
    const cases: Array<[string, (y: string) => string, RegExp]> = [
      ['missing', (y) => y.replace(`signingKeyFile: ${fx.signingKeyFile}`, `signingKeyFile: ${fx.signingKeyFile}.gone`), new RegExp(`signing key ${fx.signingKeyFile}\\.gone does not exist`)],
      ['open', (y) => y.replace(`signingKeyFile: ${fx.signingKeyFile}`, `signingKeyFile: ${openKey}`), new RegExp(`signing key ${openKey} is accessible by other users`)],
      ['unlisted', (y) => y.replace(fx.signer, generateSigningKey('x').publicLine), /is not among encryption.signers/],
      ['none', (y) => y.replace(`  signingKeyFile: ${fx.signingKeyFile}\n`, ''), /names no signing key \(encryption\.signingKeyFile\)/],
    ];
    for (const [name, edit, message] of cases) {
      const ctx = ctxAt(undefined, variant(`key-${name}`, edit));
      const r = await runBackup(ctx, 'local');
      expect(r.status, name).toBe('failed');
      expect(r.error?.code, name).toBe('KEY_UNREADABLE');
      expect(r.error?.message, name).toMatch(message);
      expect(ctx.catalog.runSources(r.runId), name).toEqual([]); // no source was dumped
      ctx.close();
    }
    expect(readdirSync(join(fx.folderStorage, 'sets')).sort()).toEqual(before); // nothing uploaded
  });

  it('adopt signs a good pre-signing set without rewriting its manifest, refuses a corrupted one and the forgeries', async () => {
    // two sets as an older Cofre made them: format 1, no signature
    const old: string[] = [];
    for (const hoursAgo of [5, 4]) {
      const ctx = ctxAt(new Date(Date.now() - hoursAgo * HOUR));
      const r = await runBackup(ctx, 'local');
      ctx.close();
      expect(r.error).toBeUndefined();
      const file = join(setDir(r.setId), 'manifest.json');
      const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
      writeFileSync(file, `${JSON.stringify({ ...m, format: 'cofre-set/1' }, null, 2)}\n`);
      rmSync(join(setDir(r.setId), 'manifest.json.sig'));
      old.push(r.setId);
    }
    const [fine, corrupted] = old as [string, string];
    // one byte flipped near the end of the PostgreSQL dump of the second (same size: only a deep verify sees it)
    const victim = join(setDir(corrupted), `banco.${fx.pgDb}.pgdump.age`);
    const size = statSync(victim).size;
    const fd = openSync(victim, 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 100);
    b[0] = (b[0] as number) ^ 0xff;
    writeSync(fd, b, 0, 1, size - 100);
    closeSync(fd);
    const ctx0 = ctxAt();
    const listed = await list(ctx0);
    ctx0.close();
    expect(listed.find((s) => s.setId === fine)).toMatchObject({ state: 'unsigned', problem: expect.stringContaining('cofre adopt') });
    const manifestBefore = readFileSync(join(setDir(fine), 'manifest.json'));

    const r = await cofre(['adopt', '--json'], { env: fx.env, fromSource: true });
    expect(r.json, r.stderr).toHaveProperty('sets');
    expect(r.code).toBe(1); // one set refused
    const out = r.json as { sets: Array<{ setId: string; outcome: string; reason: string }>; unreachable: unknown[] };
    const outcome = (id: string): { outcome: string; reason: string } | undefined => out.sets.find((s) => s.setId === id);
    expect(outcome(fine)).toMatchObject({ outcome: 'signed' });
    expect(outcome(corrupted)).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/deep verify failed: banco\.\S+\.pgdump\.age: .*(SHA-256|tampered)/) });
    expect(outcome(forged.none)).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('did not make') });
    expect(outcome(forged.otherKey)).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('never replaced') });
    expect(outcome(good)).toBeUndefined(); // already signed: not touched
    expect(out.unreachable).toEqual([]);

    expect(readFileSync(join(setDir(fine), 'manifest.json')).equals(manifestBefore)).toBe(true);
    expect(sshKeygenVerify(fine)).toContain('Good "cofre-manifest" signature');
    expect(existsSync(join(setDir(corrupted), 'manifest.json.sig'))).toBe(false);
    expect(existsSync(join(setDir(forged.none), 'manifest.json.sig'))).toBe(false);
    const ctx = ctxAt();
    const after = await list(ctx);
    expect(after.find((s) => s.setId === fine)).toMatchObject({ state: 'complete' });
    expect(after.find((s) => s.setId === corrupted)).toMatchObject({ state: 'unsigned' });
    const audit = ctx.catalog.listAudit({ action: 'set.adopt' }).filter((a) => a.action === 'set.adopt').map((a) => a.target); // the filter is a prefix
    expect(audit).toEqual([fine]);
    expect(ctx.catalog.listAudit({ action: 'set.adopt.refused' }).map((a) => a.target)).toEqual([corrupted]);
    ctx.close();
  });
});
