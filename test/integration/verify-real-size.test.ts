/**
 * Issue 14 ("verify that verifies", "nothing unverified reaches production"), at real size:
 * a set holding a pgbench dump of ≥ 5 MB and a tar of ≥ 100 MB of incompressible files, backed
 * up over real SSH into folder storage. Deep verify and the production preflight read every
 * byte: good → ok; one byte flipped near the end of a stored object (or a manifest rewritten to
 * match a corrupted object) → verify names the object, and a production restore refuses before
 * the target is touched. Globals: a forged roles file with `\!` is refused before anything runs;
 * a real pg_dumpall file (with `\restrict`) is applied with ON_ERROR_STOP over existing roles,
 * after a safety copy of the target's roles. A missing pg_restore means "not checked".
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { verifySet } from '../../src-main/backup/verify.js';
import { runRestore } from '../../src-main/restore/restore.js';
import { stagingDbName } from '../../src-main/restore/target.js';
import { configuredIdentities } from '../../src-main/app/identity.js';
import { setAuthenticator } from '../../src-main/app/signing.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { encryptBuffer } from '../../src-main/crypto/age.js';
import { PG_BIN, pgCreateDatabase, pgPsql } from '../harness/index.js';
import { makeFixture, stagingTargetYaml, uniqueName, writeSignedManifest, type Fixture } from '../support/backup-fixture.js';
import { sh, treeFingerprint } from '../support/compare.js';
import type { Manifest, ManifestObject } from '../../shared/domain.js';

const h = inject('harness');

describe('verify and production preflight at real size (pgbench ≥ 5 MB, tar ≥ 100 MB)', () => {
  let fx: Fixture;
  let config: string;
  let benchDb: string;
  let bigDir: string;
  let prodRoot: string;
  let stagingRoot: string;
  let setId: string;
  let manifest: Manifest;

  const ctxWith = (configFlag = config): AppContext => new AppContext({ env: fx.env, configFlag });
  const objectOf = (m: Manifest, source: string): ManifestObject => m.sources.find((s) => s.name === source)!.objects.find((o) => o.part !== 'globals')!;
  const baseName = (o: ManifestObject): string => o.key.split('/').pop()!;

  /** a copy of the folder storage and a config that points at it */
  const storageCopy = (name: string): { dir: string; config: string; manifestFile: string } => {
    const dir = join(fx.dir, `storage-${name}`);
    cpSync(fx.folderStorage, dir, { recursive: true });
    const file = join(fx.dir, `${name}.yaml`);
    writeFileSync(file, readFileSync(config, 'utf8').replace(`path: ${fx.folderStorage}`, `path: ${dir}`));
    return { dir, config: file, manifestFile: join(dir, 'sets', setId, 'manifest.json') };
  };

  /** flips one byte `fromEnd` bytes before the end of a stored object; returns its new SHA-256 */
  const flipNearEnd = (file: string, fromEnd = 50): string => {
    const at = statSync(file).size - fromEnd;
    const fd = openSync(file, 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    writeSync(fd, Buffer.from([b[0]! ^ 0x01]), 0, 1, at);
    closeSync(fd);
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  };

  /** adds a globals object (the given roles script, encrypted to the fixture's recipient) to the set's banco source */
  const addGlobals = async (copy: { dir: string; manifestFile: string }, script: string): Promise<void> => {
    const key = `sets/${setId}/banco.globals.sql.age`;
    const stored = await encryptBuffer(Buffer.from(script), [fx.recipient]);
    writeFileSync(join(copy.dir, key), stored);
    const m = JSON.parse(readFileSync(copy.manifestFile, 'utf8')) as Manifest;
    m.sources.find((s) => s.name === 'banco')!.objects.unshift({
      part: 'globals', format: 'sql', key, bytes: stored.length, plainBytes: Buffer.byteLength(script),
      sha256: createHash('sha256').update(stored).digest('hex'),
    });
    writeSignedManifest(fx, copy.manifestFile, m); // as a compromised backup host would sign it
  };

  /** the production target's current data: what must survive a refused restore */
  const productionState = async (): Promise<{ db: string; files: string }> => ({
    db: await pgPsql(h.postgresStaging, 'SELECT string_agg(x::text, \',\' ORDER BY x) FROM antes', benchDb),
    files: sh(`cd ${prodRoot} && find . -printf '%p %s\\n' | sort && cat ".${bigDir}/pasta 0/exame-0.bin"`),
  });

  beforeAll(async () => {
    prodRoot = join('/tmp', `cofre-prod-root-${process.pid}-${Date.now()}`);
    stagingRoot = join('/tmp', `cofre-staging-root-${process.pid}-${Date.now()}`);
    mkdirSync(prodRoot, { recursive: true });
    mkdirSync(stagingRoot, { recursive: true });
    fx = await makeFixture(h, {
      largeBytes: 1024,
      extraYaml: stagingTargetYaml(h, stagingRoot, '', `  producao:
    kind: production
    server: clinica
    postgres: { host: 127.0.0.1, port: ${h.postgresStaging.port}, user: postgres }
    filesRoot: ${prodRoot}
`),
    });
    // ≥ 5 MB of pg_dump custom format: pgbench tables plus incompressible attachments
    benchDb = uniqueName('bench');
    await pgCreateDatabase(h.postgres, benchDb);
    sh(`${PG_BIN}/pgbench -i -q -s 2 -h 127.0.0.1 -p ${h.postgres.port} -U postgres ${benchDb} 2>&1`);
    await pgPsql(h.postgres, `CREATE TABLE anexos (id int PRIMARY KEY, dados bytea);
INSERT INTO anexos SELECT g, decode(string_agg(md5(random()::text || g || s), ''), 'hex') FROM generate_series(1, 64) g, generate_series(1, 4096) s GROUP BY g;`, benchDb);
    // ≥ 100 MB of incompressible files, 1 000 of them in 10 folders
    bigDir = join(fx.dir, 'grande');
    for (let d = 0; d < 10; d++) {
      mkdirSync(join(bigDir, `pasta ${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(bigDir, `pasta ${d}`, `exame-${f}.bin`), randomBytes(105 * 1024 + f));
    }
    config = join(fx.dir, 'real-size.yaml');
    writeFileSync(config, readFileSync(fx.configPath, 'utf8')
      .replace(`databases: [${fx.pgDb}]`, `databases: [${benchDb}]`)
      .replace(`paths: [${join(fx.filesDir, 'uploads')}]`, `paths: [${bigDir}]`)
      .replace(/sources: \[banco, prontuarios, arquivos\]\n {4}storage: nas/, 'sources: [banco, arquivos]\n    storage: nas'));
    const ctx = ctxWith();
    const r = await runBackup(ctx, 'local');
    ctx.close();
    expect(r.error).toBeUndefined();
    setId = r.setId;
    manifest = JSON.parse(readFileSync(join(fx.folderStorage, 'sets', setId, 'manifest.json'), 'utf8')) as Manifest;
    expect(objectOf(manifest, 'banco').bytes).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    expect(objectOf(manifest, 'arquivos').bytes).toBeGreaterThanOrEqual(100 * 1024 * 1024);
    // the production target as it is before any restore: a database and files that must survive a refusal
    await pgCreateDatabase(h.postgresStaging, benchDb);
    await pgPsql(h.postgresStaging, 'CREATE TABLE antes (x int); INSERT INTO antes VALUES (7), (8);', benchDb);
    mkdirSync(join(prodRoot, bigDir, 'pasta 0'), { recursive: true });
    writeFileSync(join(prodRoot, bigDir, 'pasta 0', 'exame-0.bin'), 'dados de produção de hoje\n');
  }, 300_000);

  afterAll(() => {
    if (prodRoot) sh(`rm -rf ${prodRoot} ${stagingRoot}`);
  });

  it('deep verify of the good set reads every byte: ok, pg_restore lists the dump, the tar counts match', async () => {
    const ctx = ctxWith();
    const storage = storageFromConfig(ctx.config, 'nas', fx.env);
    const r = await verifySet(storage, setId, { deep: true, authenticate: setAuthenticator(ctx.config, ctx.now), identities: await configuredIdentities(ctx.config, fx.env) });
    storage.close();
    ctx.close();
    expect(r.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.status).toBe('ok');
    expect(r.checks.find((c) => c.name === baseName(objectOf(manifest, 'banco')))?.message).toMatch(/hash ok, decrypts, pg_restore --list reads \d+ entries/);
    expect(r.checks.find((c) => c.name === baseName(objectOf(manifest, 'arquivos')))?.message).toMatch(/tar lists 1011 entries/);
  });

  it('one byte flipped near the end of each stored object: deep verify fails and names both objects', async () => {
    const copy = storageCopy('flipped');
    for (const source of ['banco', 'arquivos']) flipNearEnd(join(copy.dir, objectOf(manifest, source).key));
    const ctx = ctxWith(copy.config);
    const storage = storageFromConfig(ctx.config, 'nas', fx.env);
    const r = await verifySet(storage, setId, { deep: true, authenticate: setAuthenticator(ctx.config, ctx.now), identities: await configuredIdentities(ctx.config, fx.env) });
    storage.close();
    ctx.close();
    expect(r.ok).toBe(false);
    expect(r.status).toBe('failed');
    for (const source of ['banco', 'arquivos']) {
      const c = r.checks.find((x) => x.name === baseName(objectOf(manifest, source)));
      expect(c?.status).toBe('failed');
      expect(c?.message).toMatch(/SHA-256 [0-9a-f]{64} differs from the manifest's .* the stored object is corrupted/);
    }
  });

  it('a manifest rewritten to match a corrupted object: the hash passes, decryption does not, verify fails', async () => {
    const copy = storageCopy('rehashed');
    const o = objectOf(manifest, 'banco');
    const sha = flipNearEnd(join(copy.dir, o.key), 5000);
    const m = JSON.parse(readFileSync(copy.manifestFile, 'utf8')) as Manifest;
    objectOf(m, 'banco').sha256 = sha;
    writeSignedManifest(fx, copy.manifestFile, m); // as a compromised backup host would sign it
    const ctx = ctxWith(copy.config);
    const storage = storageFromConfig(ctx.config, 'nas', fx.env);
    const r = await verifySet(storage, setId, { deep: true, authenticate: setAuthenticator(ctx.config, ctx.now), identities: await configuredIdentities(ctx.config, fx.env) });
    storage.close();
    ctx.close();
    expect(r.ok).toBe(false);
    const c = r.checks.find((x) => x.name === baseName(o));
    expect(c?.status).toBe('failed');
    expect(c?.message).toMatch(/hash ok but the object does not decrypt/);
  });

  it('production restore from either corrupted copy refuses in preflight; the target database and files are unchanged; the set is marked', async () => {
    const before = await productionState();
    const flipped = storageCopy('flipped-prod');
    flipNearEnd(join(flipped.dir, objectOf(manifest, 'arquivos').key));
    const rehashed = storageCopy('rehashed-prod');
    const o = objectOf(manifest, 'banco');
    const sha = flipNearEnd(join(rehashed.dir, o.key), 5000);
    const m = JSON.parse(readFileSync(rehashed.manifestFile, 'utf8')) as Manifest;
    objectOf(m, 'banco').sha256 = sha;
    writeSignedManifest(fx, rehashed.manifestFile, m); // as a compromised backup host would sign it

    for (const [copy, object, message] of [
      [flipped, objectOf(manifest, 'arquivos'), /SHA-256 .* differs .* corrupted/],
      [rehashed, o, /does not decrypt/],
    ] as const) {
      const ctx = ctxWith(copy.config);
      const r = await runRestore(ctx, { setId, target: 'producao', yes: true, confirmName: 'producao' });
      expect(r.status).toBe('failed');
      expect(r.error?.code).toBe('PRECONDITION');
      const failed = r.preflight.filter((c) => !c.ok);
      expect(failed.map((c) => c.name)).toEqual([`object ${baseName(object)}`]);
      expect(failed[0]!.message).toMatch(message);
      expect(r.phases.map((p) => p.phase)).toEqual(['select', 'preflight', 'report']);
      expect(r.safetyDumps).toEqual([]);
      expect(r.targetState).toMatch(/^untouched/);
      expect(await productionState()).toEqual(before);
      if (copy === flipped) {
        expect(r.warnings.join('\n')).toContain(`set ${setId} failed hash check on storage nas: ${baseName(object)}`);
        const audit = ctx.catalog.listAudit({ action: 'set.hash_failed' });
        expect(audit.map((a) => a.target)).toContain(setId);
      }
      ctx.close();
    }
  });

  it('production restore of the good set: reads it whole first (the projection counts it), copies the paths the SET holds, restores', async () => {
    // today's config names another path for the files source: the safety copy must follow the set
    const otherPaths = join(fx.dir, 'outro');
    mkdirSync(otherPaths);
    const file = join(fx.dir, 'today.yaml');
    writeFileSync(file, readFileSync(config, 'utf8').replace(`paths: [${bigDir}]`, `paths: [${otherPaths}]`));
    const ctx = ctxWith(file);
    const r = await runRestore(ctx, { setId, target: 'producao', yes: true, confirmName: 'producao' });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('succeeded');
    expect(r.projection?.verifyMs).toBeGreaterThan(0);
    expect(r.projection?.projectedMs).toBeGreaterThan(r.projection!.verifyMs!);
    expect(r.verifyRate).toBeGreaterThan(0);
    for (const source of ['banco', 'arquivos']) {
      expect(r.preflight.find((c) => c.name === `object ${baseName(objectOf(manifest, source))}`)?.message).toMatch(/read whole: SHA-256 matches the manifest, every byte decrypts/);
    }
    // the safety copy holds production's file as it was before, under the path the set holds
    const tarCopy = r.safetyDumps.find((d) => d.endsWith('.tar'))!;
    expect(sh(`tar -xOf ${tarCopy} "${prodRoot.slice(1)}${bigDir}/pasta 0/exame-0.bin"`)).toBe('dados de produção de hoje\n');
    expect(r.safetyDumps.some((d) => d.endsWith(`${benchDb}.pgdump`))).toBe(true);
    expect(await pgPsql(h.postgresStaging, 'SELECT count(*) FROM pgbench_accounts', benchDb)).toBe('200000');
    expect(treeFingerprint(join(prodRoot, bigDir))).toEqual(treeFingerprint(bigDir));
    sh(`rm -rf ${r.safetyDumps.map((d) => d.replace(/\/[^/]+$/, '')).join(' ')}`);
    ctx.close();
  });

  it('a staging restore that streams (no whole read first) fails with INTEGRITY when the hash differs at the end, and marks the set', async () => {
    const copy = storageCopy('staging-mismatch');
    const m = JSON.parse(readFileSync(copy.manifestFile, 'utf8')) as Manifest;
    objectOf(m, 'banco').sha256 = '0'.repeat(64);
    writeSignedManifest(fx, copy.manifestFile, m); // as a compromised backup host would sign it
    const ctx = ctxWith(copy.config);
    const r = await runRestore(ctx, { setId, target: 'homologacao', sources: ['banco'], verifyHashes: false });
    expect(r.status).toBe('failed');
    expect(r.error?.code).toBe('INTEGRITY');
    expect(r.error?.message).toMatch(/SHA-256 [0-9a-f]{64} differs from the manifest's 0{64}/);
    expect(r.warnings.join('\n')).toContain(`set ${setId} failed hash check on storage nas: ${baseName(objectOf(manifest, 'banco'))} (restore transfer)`);
    expect(ctx.catalog.listAudit({ action: 'set.hash_failed' }).some((a) => a.target === setId && JSON.stringify(a.details).includes('restore transfer'))).toBe(true);
    expect(r.targetState).toMatch(/staging target partially restored/);
    await pgPsql(h.postgresStaging, `DROP DATABASE ${stagingDbName(benchDb, setId)}`);
    ctx.close();
  });

  it('a forged roles file with \\! is refused before anything runs: production preflight and a staging stream alike', async () => {
    const marker = join(fx.dir, `pwned-${randomBytes(3).toString('hex')}`);
    const copy = storageCopy('forged-globals');
    await addGlobals(copy, `SET client_encoding = 'UTF8';\nCREATE ROLE cofre_forjado;\n\\! touch ${marker}\n`);
    const ctx = ctxWith(copy.config);
    const prod = await runRestore(ctx, { setId, target: 'producao', sources: ['banco'], yes: true, confirmName: 'producao' });
    expect(prod.status).toBe('failed');
    expect(prod.error?.code).toBe('PRECONDITION');
    expect(prod.preflight.find((c) => c.name === 'object banco.globals.sql.age')?.message).toMatch(/psql meta-command at line 3 .*refused, nothing was run/);
    expect(prod.targetState).toMatch(/^untouched/);
    // staging, streaming (no whole read in preflight), roles asked for: refused in transfer, before psql
    const staging = await runRestore(ctx, { setId, target: 'homologacao', sources: ['banco'], globals: true, verifyHashes: false });
    expect(staging.status).toBe('failed');
    expect(staging.error?.code).toBe('INTEGRITY');
    expect(staging.error?.message).toMatch(/banco\.globals\.sql\.age holds a psql meta-command at line 3/);
    expect(existsSync(marker)).toBe(false);
    expect(await pgPsql(h.postgresStaging, "SELECT count(*) FROM pg_roles WHERE rolname = 'cofre_forjado'")).toBe('0');
    ctx.close();
  });

  it('a real pg_dumpall roles file (with \\restrict) is applied with ON_ERROR_STOP over existing roles, after a safety copy of the target roles', async () => {
    const role = uniqueName('cofre_papel');
    await pgPsql(h.postgres, `CREATE ROLE ${role} LOGIN`);
    // the harness gives each cluster's password role its own password: leave that role out, keep the rest as pg_dumpall wrote it
    const script = sh(`${PG_BIN}/pg_dumpall --globals-only -h 127.0.0.1 -p ${h.postgres.port} -U postgres`).split('\n').filter((l) => !l.includes('cofre_pw')).join('\n');
    expect(script).toMatch(/^\\restrict [A-Za-z0-9]+$/m);
    expect(script).toContain('CREATE ROLE postgres;');
    const copy = storageCopy('real-globals');
    await addGlobals(copy, script);
    const ctx = ctxWith(copy.config);
    const r = await runRestore(ctx, { setId, target: 'producao', sources: ['banco'], yes: true, confirmName: 'producao' });
    expect(r.error).toBeUndefined();
    expect(r.preflight.find((c) => c.name === 'psql knows \\restrict')?.ok).toBe(true);
    const rolesCopy = r.safetyDumps.find((d) => d.endsWith('/globals.sql'))!;
    expect(readFileSync(rolesCopy, 'utf8')).toContain('CREATE ROLE postgres;');
    expect(await pgPsql(h.postgresStaging, `SELECT count(*) FROM pg_roles WHERE rolname = '${role}'`)).toBe('1');
    sh(`rm -rf ${r.safetyDumps.map((d) => d.replace(/\/[^/]+$/, '')).join(' ')}`);
    ctx.close();
  });

  it('without pg_restore on PATH, deep verify says the dump was NOT checked (text and JSON), never ok', () => {
    const emptyBin = join(fx.dir, 'empty-bin');
    mkdirSync(emptyBin, { recursive: true });
    const cli = (...args: string[]): { code: number | null; stdout: string; stderr: string } => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', '--config', config, ...args], {
        env: { ...fx.env, PATH: emptyBin }, encoding: 'utf8', cwd: process.cwd(), timeout: 300_000,
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const json = cli('--json', 'verify', setId, '--deep', '--storage', 'nas');
    expect(json.code, json.stderr).toBe(1);
    const r = JSON.parse(json.stdout) as { ok: boolean; status: string; checks: Array<{ name: string; ok: boolean; status: string; message: string }> };
    expect(r.ok).toBe(false);
    expect(r.status).toBe('unchecked');
    const dump = r.checks.find((c) => c.name === baseName(objectOf(manifest, 'banco')))!;
    expect(dump).toMatchObject({ ok: false, status: 'unchecked' });
    expect(dump.message).toMatch(/hash ok, decrypts, pg_restore is not installed here: the dump format was NOT checked/);
    expect(r.checks.find((c) => c.name === baseName(objectOf(manifest, 'arquivos')))?.status).toBe('ok');
    const text = cli('verify', setId, '--deep', '--storage', 'nas');
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/NOT FULLY CHECKED/);
    expect(text.stdout).toMatch(new RegExp(`NOT CHECKED ${baseName(objectOf(manifest, 'banco')).replaceAll('.', '\\.')}`));
  });
});
