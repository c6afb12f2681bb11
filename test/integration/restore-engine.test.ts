/**
 * Issue 6: back up the harness databases and files (three sets, fake clock), then restore with
 * the engine over real SSH into the staging PostgreSQL cluster / a fresh MariaDB database / a
 * folder, and compare every table and file with the original. Preflight failures stop before
 * the target is touched; production needs the typed name and takes a safety dump; the drill
 * writes a report whose numbers match the catalog.
 */
import { describe, it, expect, inject, beforeAll } from 'vitest';
import { readFileSync, writeFileSync, mkdirSync, cpSync, existsSync, openSync, readSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll } from 'vitest';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { runRestore } from '../../src-main/restore/restore.js';
import { runDrill, drillStatus } from '../../src-main/restore/drill.js';
import { stagingDbName } from '../../src-main/restore/target.js';
import { runbookMarkdown } from '../../src-main/restore/runbook.js';
import { generateIdentity, writeIdentityFile } from '../../src-main/crypto/age.js';
import { pgPsql, pgCreateDatabase, mariadbSql, freePort } from '../harness/index.js';
import { makeFixture, stagingTargetYaml, writeSignedManifest, type Fixture } from '../support/backup-fixture.js';
import { pgFingerprint, myFingerprint, treeFingerprint, sh } from '../support/compare.js';
import type { Manifest } from '../../shared/domain.js';
import type { RestoreResult } from '../../src-main/restore/types.js';

const h = inject('harness');

describe('restore engine (real sshd, PostgreSQL ×2, MariaDB, folder storage)', () => {
  let fx: Fixture;
  let restoreRoot: string;
  const sets: string[] = [];
  const times: Date[] = [];
  let pgAtB: Record<string, string>;
  let myAtB: Record<string, string>;

  const ctxAt = (now?: Date, configFlag?: string): AppContext =>
    new AppContext({ env: fx.env, ...(now ? { now: () => now } : {}), ...(configFlag ? { configFlag } : {}) });

  /** a variant of the fixture's config with some text replaced */
  const variant = (name: string, edit: (yaml: string) => string): string => {
    const file = join(fx.dir, `${name}.yaml`);
    writeFileSync(file, edit(readFileSync(fx.configPath, 'utf8')));
    return file;
  };

  const stagingDatabases = async (): Promise<string[]> =>
    (await pgPsql(h.postgresStaging, 'SELECT datname FROM pg_database ORDER BY 1')).split('\n');

  afterAll(() => {
    if (restoreRoot) sh(`rm -rf ${restoreRoot}`);
  });

  beforeAll(async () => {
    restoreRoot = join('/tmp', `cofre-restore-root-${process.pid}-${Date.now()}`);
    mkdirSync(restoreRoot, { recursive: true });
    fx = await makeFixture(h, {
      largeBytes: 2 * 1024 * 1024,
      extraYaml: stagingTargetYaml(h, restoreRoot, `    checks:
      - { name: pacientes carregados, sql: "SELECT count(*) > 2000 FROM clinica.pacientes", expect: "t" }
`, `  producao:
    kind: production
    server: clinica
    postgres: { host: 127.0.0.1, port: ${h.postgresStaging.port}, user: postgres }
drill:
  target: homologacao
`),
    });
    // three sets an hour apart (fake clock); the data changes between them
    const base = Date.now() - 3 * 3600_000;
    for (let i = 0; i < 3; i++) {
      const now = new Date(base + i * 3600_000);
      const ctx = ctxAt(now);
      const r = await runBackup(ctx, 'local');
      ctx.close();
      expect(r.error).toBeUndefined();
      sets.push(r.setId);
      times.push(now);
      if (i === 1) {
        pgAtB = await pgFingerprint(h.postgres, fx.pgDb);
        myAtB = await myFingerprint(h.mariadb, fx.myDb);
      }
      await pgPsql(h.postgres, `INSERT INTO clinica.vazia VALUES (${i})`, fx.pgDb);
      await mariadbSql(h.mariadb, `INSERT INTO agenda VALUES (${10 + i}, '2027-01-01')`, fx.myDb);
    }
  }, 240_000);

  it('--at restores the right set into staging: every table and file equals the original at that time', async () => {
    const ctx = ctxAt();
    const progress: number[] = [];
    const at = new Date(times[1]!.getTime() + 30 * 60_000).toISOString();
    const r = await runRestore(ctx, { at, target: 'homologacao', onProgress: (p) => progress.push(p.elapsedMs) });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('succeeded');
    expect(r.setId).toBe(sets[1]);
    expect(r.phases.map((p) => p.phase)).toEqual(['select', 'preflight', 'transfer', 'validate', 'report']);
    expect(r.preflight.every((c) => c.ok)).toBe(true);
    expect(r.preflight.some((c) => /SHA-256 matches/.test(c.message))).toBe(true);
    expect(r.validation.length).toBeGreaterThan(6);
    expect(r.validation.every((v) => v.ok)).toBe(true);
    expect(r.validation.find((v) => v.name === 'pacientes carregados')?.actual).toBe('t');
    expect(r.rpoMs).toBeGreaterThan(90 * 60_000);
    expect(r.rtoOk).toBe(true);
    expect(r.projection?.totalBytes).toBeGreaterThan(2 * 1024 * 1024);

    const pgRestored = stagingDbName(fx.pgDb, sets[1]!);
    expect(await pgFingerprint(h.postgresStaging, pgRestored)).toEqual(pgAtB);
    const myRestored = stagingDbName(fx.myDb, sets[1]!);
    expect(await myFingerprint(h.mariadb, myRestored)).toEqual(myAtB);
    const original = treeFingerprint(join(fx.filesDir, 'uploads')).filter((e) => !e.path.endsWith('.tmp'));
    const restored = treeFingerprint(join(restoreRoot, sets[1]!, fx.filesDir, 'uploads'));
    expect(restored).toEqual(original);

    // the catalog records it, with the same numbers
    const run = ctx.catalog.getRun(r.runId);
    expect(run?.kind).toBe('restore');
    expect(run?.status).toBe('succeeded');
    expect((run?.details as { rtoMs: number }).rtoMs).toBe(r.rtoMs);
    expect(existsSync(r.reportPath ?? '')).toBe(true);
    ctx.close();
  });

  it('refuses to overwrite an existing staging restore of the same set, touching nothing', async () => {
    const ctx = ctxAt();
    const r = await runRestore(ctx, { setId: sets[1], target: 'homologacao', sources: ['banco'] });
    expect(r.status).toBe('failed');
    expect(r.error?.code).toBe('PRECONDITION');
    expect(r.preflight.find((c) => !c.ok)?.message).toMatch(/already exists.*never overwrites/);
    expect(r.targetState).toMatch(/^untouched/);
    expect(await pgFingerprint(h.postgresStaging, stagingDbName(fx.pgDb, sets[1]!))).toEqual(pgAtB);
    ctx.close();
  });

  async function expectUntouched(r: RestoreResult, check: RegExp, message: RegExp): Promise<void> {
    expect(r.status).toBe('failed');
    expect(r.error?.code).toBe('PRECONDITION');
    const failed = r.preflight.filter((c) => !c.ok);
    expect(failed.map((c) => c.name).join(',')).toMatch(check);
    expect(failed.map((c) => c.message).join(' ')).toMatch(message);
    expect(r.targetState).toMatch(/^untouched/);
    expect(r.phases.map((p) => p.phase)).not.toContain('transfer');
    expect(await stagingDatabases()).not.toContain(stagingDbName(fx.pgDb, sets[2]!));
    expect(existsSync(join(restoreRoot, sets[2]!))).toBe(false);
  }

  it('preflight: a wrong identity stops before the target is touched', async () => {
    const other = generateIdentity();
    const file = join(fx.dir, 'other-identity.txt');
    await writeIdentityFile(file, other.identity, other.recipient);
    const ctx = ctxAt(undefined, variant('wrong-id', (y) => y.replace(`identityFile: ${fx.identityFile}`, `identityFile: ${file}`)));
    const r = await runRestore(ctx, { setId: sets[2], target: 'homologacao' });
    await expectUntouched(r, /identity/, /no identity matches/);
    ctx.close();
  });

  it('preflight: a corrupted stored object (one flipped byte) stops before the target is touched', async () => {
    const copy = join(fx.dir, 'storage-corrupt');
    cpSync(fx.folderStorage, copy, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(copy, 'sets', sets[2]!, 'manifest.json'), 'utf8')) as Manifest;
    const key = manifest.sources.find((s) => s.name === 'arquivos')!.objects[0]!.key;
    const fd = openSync(join(copy, key), 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 100_000);
    writeSync(fd, Buffer.from([b[0]! ^ 0x01]), 0, 1, 100_000);
    closeSync(fd);
    const ctx = ctxAt(undefined, variant('corrupt', (y) => y.replace(`path: ${fx.folderStorage}`, `path: ${copy}`)));
    const r = await runRestore(ctx, { setId: sets[2], target: 'homologacao' });
    await expectUntouched(r, /object arquivos\.files\.tar\.age/, /SHA-256 .* differs .* corrupted/);
    ctx.close();
  });

  it('preflight: pg_restore older than the dump (manifest says pg_dump 99) stops before the target is touched', async () => {
    const copy = join(fx.dir, 'storage-newer');
    cpSync(fx.folderStorage, copy, { recursive: true });
    const file = join(copy, 'sets', sets[2]!, 'manifest.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    manifest.sources.find((s) => s.name === 'banco')!.toolVersion = 'pg_dump (PostgreSQL) 99.1';
    writeSignedManifest(fx, file, manifest); // a genuine set from a newer server: signed like every set
    const ctx = ctxAt(undefined, variant('newer', (y) => y.replace(`path: ${fx.folderStorage}`, `path: ${copy}`)));
    const r = await runRestore(ctx, { setId: sets[2], target: 'homologacao' });
    await expectUntouched(r, /pg_restore/, /older than the pg_dump 99/);
    ctx.close();
  });

  it('preflight: no disk space under filesRoot (1 MiB tmpfs) stops before the target is touched', async () => {
    const small = join(fx.dir, 'tiny');
    mkdirSync(small);
    sh(`mount -t tmpfs -o size=1m tmpfs ${small}`);
    try {
      const ctx = ctxAt(undefined, variant('tiny', (y) => y.replace(`filesRoot: ${restoreRoot}`, `filesRoot: ${small}`)));
      const r = await runRestore(ctx, { setId: sets[2], target: 'homologacao', sources: ['arquivos'] });
      await expectUntouched(r, /disk space/, /only .* free on .*tiny/);
      expect(sh(`find ${small} -mindepth 1 | wc -l`).trim()).toBe('0');
      ctx.close();
    } finally {
      sh(`umount ${small}`);
    }
  });

  it('preflight: an unreachable target stops with a clear message', async () => {
    const port = await freePort();
    const ctx = ctxAt(undefined, variant('unreachable', (y) => y.replace(`port: ${h.ssh.port}`, `port: ${port}`)));
    const r = await runRestore(ctx, { setId: sets[2], target: 'homologacao' });
    await expectUntouched(r, /target reachable/, new RegExp(`127\\.0\\.0\\.1:${port}`));
    ctx.close();
  });

  it('production: a wrong typed name is refused; the right one takes a safety dump and replaces the database', async () => {
    await pgCreateDatabase(h.postgresStaging, fx.pgDb);
    await pgPsql(h.postgresStaging, 'CREATE TABLE antes (x int); INSERT INTO antes VALUES (7);', fx.pgDb);
    const ctx = ctxAt();
    await expect(runRestore(ctx, { setId: sets[2], target: 'producao', sources: ['banco'], yes: true, confirmName: 'produção' })).rejects.toMatchObject({ code: 'CONFIRMATION_REQUIRED' });
    await expect(runRestore(ctx, { setId: sets[2], target: 'producao', sources: ['banco'] })).rejects.toMatchObject({ code: 'CONFIRMATION_REQUIRED' });
    expect(await pgPsql(h.postgresStaging, 'SELECT x FROM antes', fx.pgDb)).toBe('7');
    expect(ctx.catalog.listAudit({ action: 'restore.refused' }).length).toBe(2);

    const r = await runRestore(ctx, { setId: sets[2], target: 'producao', sources: ['banco'], yes: true, confirmName: 'producao' });
    expect(r.error).toBeUndefined();
    expect(r.phases.map((p) => p.phase)).toContain('safety');
    expect(r.safetyDumps).toHaveLength(1);
    const dump = r.safetyDumps[0]!;
    expect(dump).toMatch(/^\/var\/tmp\/cofre-safety-.*\.pgdump$/);
    expect(sh(`pg_restore --list ${dump}`)).toContain('TABLE DATA public antes');
    const now = await pgFingerprint(h.postgres, fx.pgDb);
    const restored = await pgFingerprint(h.postgresStaging, fx.pgDb);
    // the source kept changing after set C: compare all but clinica.vazia, which had one more insert
    expect({ ...restored, 'clinica.vazia': '' }).toEqual({ ...now, 'clinica.vazia': '' });
    expect(restored['clinica.vazia']?.startsWith('2:')).toBe(true);
    sh(`rm -rf ${dump.replace(/\/[^/]+$/, '')}`);
    ctx.close();
  });

  it('CLI: cofre restore --json prints per-phase timings and rtoMs, exit 0; a wrong production name exits 1; runbook --out writes the file', () => {
    const cli = (...args: string[]): { code: number | null; stdout: string; stderr: string } => {
      const r = spawnSync('node', ['--import', 'tsx', 'src-main/cli/main.ts', ...args], { env: fx.env, encoding: 'utf8', cwd: process.cwd(), timeout: 120_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const ok = cli('--json', 'restore', sets[0]!, '--target', 'homologacao', '--sources', 'banco,prontuarios');
    expect(ok.code, ok.stderr).toBe(0);
    const json = JSON.parse(ok.stdout) as RestoreResult;
    expect(json.setId).toBe(sets[0]);
    expect(typeof json.rtoMs).toBe('number');
    expect(json.phases.map((p) => p.phase)).toEqual(['select', 'preflight', 'transfer', 'validate', 'report']);
    expect(json.phases.every((p) => typeof p.durationMs === 'number')).toBe(true);
    const refused = cli('--json', 'restore', sets[0]!, '--target', 'producao', '--yes', '--confirm-name', 'homologacao');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error.code).toBe('CONFIRMATION_REQUIRED');
    const out = join(fx.dir, 'runbook.md');
    expect(cli('runbook', '--out', out).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('## 3. Caminho manual (sem o Cofre)');
  });

  it('the drill restores the latest set into staging and writes a report whose numbers match the catalog', async () => {
    const ctx = ctxAt();
    const r = await runDrill(ctx);
    expect(r.error).toBeUndefined();
    expect(r.kind).toBe('drill');
    expect(r.setId).toBe(sets[2]);
    const html = readFileSync(r.reportPath!, 'utf8');
    const run = ctx.catalog.getRun(r.runId)!;
    const details = run.details as { rtoMs: number; rpoMs: number; validation: unknown[]; restoreId: string };
    expect(run.kind).toBe('drill');
    expect(run.status).toBe('succeeded');
    expect(Number(/data-rto-ms="(\d+)"/.exec(html)?.[1])).toBe(details.rtoMs);
    expect(Number(/data-rpo-ms="(\d+)"/.exec(html)?.[1])).toBe(details.rpoMs);
    expect(html).toContain(`${details.validation.length} de ${details.validation.length} itens conferem`);
    expect(html).toContain('data-status="succeeded"');
    expect(r.reportPath).toBe(join(fx.home, 'reports', `${details.restoreId}.html`));
    const status = drillStatus(ctx);
    expect(status.last?.ok).toBe(true);
    expect(status.overdue).toBe(false);
    const due = new Date(status.nextDue!);
    expect(Math.round((due.getTime() - Date.parse(run.startedAt)) / 86_400_000)).toBeGreaterThanOrEqual(89);
    ctx.close();
  });

  it('the runbook names this config’s servers, storage and manual commands', () => {
    const ctx = ctxAt();
    const md = runbookMarkdown(ctx.config, { configPath: fx.configPath, generatedAt: new Date().toISOString() });
    expect(md).toContain(`${h.ssh.host}:${h.ssh.port}`);
    expect(md).toContain(`ls -1 ${fx.folderStorage}/sets/`);
    expect(md).toContain(`aws s3 ls --endpoint-url ${h.s3.endpoint} s3://${fx.bucket}/cofre/sets/`);
    expect(md).toContain(`age -d -i ${fx.identityFile}`);
    expect(md).toContain(`banco.${fx.pgDb}.pgdump.age`);
    expect(md).toContain('tar -x -p');
    ctx.close();
  });
});
