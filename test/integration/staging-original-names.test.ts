/**
 * Issue 16, "Staging that can run the system": a staging target with `names: original` restores
 * under the production names (PostgreSQL, MariaDB via dump-and-recreate, files at their original
 * paths under filesRoot), moving what was there aside, intact; a target that is in truth the
 * source's own server or path is refused before anything changes. Real sshd, PostgreSQL ×2,
 * MariaDB ×2 (the second one plays the staging MariaDB), folder storage.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { runDrill } from '../../src-main/restore/drill.js';
import { parseConfigText } from '../../src-main/config/load.js';
import { pgPsql, pgCreateDatabase, mariadbSql, mariadbCreateDatabase, startMariadb, PG_BIN, type MariadbHandle } from '../harness/index.js';
import { makeFixture, type Fixture } from '../support/backup-fixture.js';
import { backupSet, restoreRun, withContext } from '../support/runs.js';
import { pgFingerprint, myFingerprint, treeFingerprint, sh } from '../support/compare.js';
import type { RestoreResult } from '../../src-main/restore/types.js';
import { toErrorInfo } from '../../src-main/errors.js';

const h = inject('harness');

describe('staging restore under the production names (names: original)', () => {
  let fx: Fixture;
  let my2: MariadbHandle;
  let root: string;
  let uploads: string;
  const sets: string[] = [];
  let pgAtA: Record<string, string>;
  let myAtA: Record<string, string>;
  let filesAtA: ReturnType<typeof treeFingerprint>;

  const pgDbs = async (): Promise<string[]> => (await pgPsql(h.postgresStaging, 'SELECT datname FROM pg_database ORDER BY 1')).split('\n');
  const myDbs = async (): Promise<string[]> => (await mariadbSql(my2, 'SHOW DATABASES')).split('\n');

  beforeAll(async () => {
    my2 = await startMariadb();
    root = join('/tmp', `cofre-staging-orig-${process.pid}-${Date.now()}`);
    mkdirSync(root, { recursive: true });
    fx = await makeFixture(h, {
      largeBytes: 256 * 1024,
      extraYaml: `restoreTargets:
  homologacao:
    kind: staging
    names: original
    server: clinica
    postgres: { host: 127.0.0.1, port: ${h.postgresStaging.port}, user: postgres }
    mysql: { host: 127.0.0.1, port: ${my2.port}, user: ${my2.user}, passwordEnv: TEST_MYSQL2_PASSWORD }
    filesRoot: ${root}
    checks:
      - { name: pacientes carregados, sql: "SELECT count(*) > 2000 FROM clinica.pacientes", expect: "t" }
  producao_disfarcada:
    kind: staging
    names: original
    server: clinica
    postgres: { host: ${h.postgres.socketDir}, port: ${h.postgres.port}, user: postgres }
    mysql: { host: 127.0.0.1, port: ${h.mariadb.port}, user: ${h.mariadb.user}, passwordEnv: TEST_MYSQL_PASSWORD }
    filesRoot: /
  ao_lado:
    kind: staging
    server: clinica
    postgres: { host: 127.0.0.1, port: ${h.postgresStaging.port}, user: postgres }
    mysql: { host: 127.0.0.1, port: ${my2.port}, user: ${my2.user}, passwordEnv: TEST_MYSQL2_PASSWORD }
drill:
  target: homologacao
`,
    });
    fx.env.TEST_MYSQL2_PASSWORD = my2.password;
    uploads = join(fx.filesDir, 'uploads');
    // set A, then the data changes, then set B
    for (let i = 0; i < 2; i++) {
      sets.push(await backupSet(fx, 'local'));
      if (i === 0) {
        pgAtA = await pgFingerprint(h.postgres, fx.pgDb);
        myAtA = await myFingerprint(h.mariadb, fx.myDb);
        filesAtA = treeFingerprint(uploads).filter((e) => !e.path.endsWith('.tmp'));
        await pgPsql(h.postgres, 'INSERT INTO clinica.vazia VALUES (1)', fx.pgDb);
        await mariadbSql(h.mariadb, "INSERT INTO agenda VALUES (50, '2027-01-01')", fx.myDb);
        writeFileSync(join(uploads, 'novo.txt'), 'depois de A\n');
      }
    }
    // what staging held before: an older copy under the production names, in use
    await pgCreateDatabase(h.postgresStaging, fx.pgDb);
    await pgPsql(h.postgresStaging, 'CREATE TABLE antes (x int); INSERT INTO antes VALUES (7);', fx.pgDb);
    await mariadbCreateDatabase(my2, fx.myDb);
    await mariadbSql(my2, 'CREATE TABLE antes (x INT); INSERT INTO antes VALUES (8);', fx.myDb);
    mkdirSync(join(root, uploads), { recursive: true });
    writeFileSync(join(root, uploads, 'antigo.txt'), 'cópia antiga da homologação\n');
  }, 240_000);

  afterAll(async () => {
    await my2?.stop();
    if (root) sh(`rm -rf ${root}`);
  });

  it('the config accepts original / side-by-side and explains any other value in pt-BR and English', () => {
    const base = readFileSync(fx.configPath, 'utf8');
    expect(() => parseConfigText(base, 'cofre.yaml')).not.toThrow();
    const bad = base.replace('    names: original\n    server: clinica\n    postgres: { host: 127.0.0.1', '    names: originais\n    server: clinica\n    postgres: { host: 127.0.0.1');
    const e = toErrorInfo((() => { try { parseConfigText(bad, 'cofre.yaml'); } catch (err) { return err; } return undefined; })());
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(/restoreTargets\.homologacao\.names: expected one of "side-by-side", "side", "original"/);
    expect(e.key).toBe('staging.config.names');
    const prod = base.replace('  ao_lado:\n    kind: staging', '  ao_lado:\n    kind: production\n    names: side-by-side');
    const p = toErrorInfo((() => { try { parseConfigText(prod, 'cofre.yaml'); } catch (err) { return err; } return undefined; })());
    expect(p.message).toMatch(/ao_lado\.names: a production target always restores under the original names/);
  });

  it('a target that is the source cluster (by another address), the source MariaDB and the source paths is refused; nothing changes', async () => {
    const before = { pg: await pgFingerprint(h.postgres, fx.pgDb), my: await myFingerprint(h.mariadb, fx.myDb), files: treeFingerprint(uploads) };
    const dbsBefore = (await pgPsql(h.postgres, 'SELECT datname FROM pg_database ORDER BY 1')).split('\n');
    const r = await restoreRun(fx, { setId: sets[1], target: 'producao_disfarcada' });
    expect(r.status).toBe('failed');
    expect(r.error?.code).toBe('PRECONDITION');
    expect(r.targetState).toMatch(/^untouched/);
    expect(r.phases.map((x) => x.phase)).not.toContain('transfer');
    const failed = r.preflight.filter((x) => !x.ok);
    expect(failed.map((x) => x.name).sort()).toEqual(['files is not production (arquivos)', 'mysql is not production (prontuarios)', 'postgres is not production (banco)']);
    expect(failed.find((x) => x.name.startsWith('postgres'))?.message).toMatch(/is the cluster of source banco \(same start instant/);
    expect(failed.find((x) => x.name.startsWith('mysql'))?.message).toMatch(/a lock taken on the source is held there/);
    expect(failed.find((x) => x.name.startsWith('files'))?.message).toMatch(/would write over \(or inside\) the paths of source arquivos/);
    expect(failed.every((x) => x.key === 'staging.check.notProduction')).toBe(true);
    // production as it was: same data, no aside database, files in place
    expect(await pgFingerprint(h.postgres, fx.pgDb)).toEqual(before.pg);
    expect(await myFingerprint(h.mariadb, fx.myDb)).toEqual(before.my);
    expect(treeFingerprint(uploads)).toEqual(before.files);
    expect((await pgPsql(h.postgres, 'SELECT datname FROM pg_database ORDER BY 1')).split('\n')).toEqual(dbsBefore);
    expect((await mariadbSql(h.mariadb, 'SHOW DATABASES')).split('\n').some((d) => d.includes('_antes_'))).toBe(false);
  });

  let first: RestoreResult;

  it('first restore: data under the production names equals set A; what staging held is aside and intact, its session ended', async () => {
    // the staging application holds a session on the old database: it is terminated, not waited for
    const session = spawn(join(PG_BIN, 'psql'), ['-X', '-h', '127.0.0.1', '-p', String(h.postgresStaging.port), '-U', 'postgres', '-d', fx.pgDb, '-c', 'SELECT pg_sleep(600)'], { stdio: 'ignore' });
    const ended = new Promise<number | null>((resolve) => session.on('exit', (code) => resolve(code)));
    await pgPsql(h.postgresStaging, `DO $$ BEGIN WHILE NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = '${fx.pgDb}' AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()) LOOP PERFORM pg_sleep(0.05); END LOOP; END $$`);
    const lines: string[] = [];
    first = await restoreRun(fx, { setId: sets[0], target: 'homologacao', onLog: (l) => lines.push(l) });
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('succeeded');
    // each server was asked (not compared by address): another cluster, another MariaDB, paths that do not overlap
    const asked = (name: string): string => first.preflight.find((x) => x.name === name && x.ok)?.message ?? '';
    expect(asked('postgres is not production (banco)')).toMatch(/is not the cluster of source banco \(the servers say so/);
    expect(asked('mysql is not production (prontuarios)')).toMatch(/not the server of source prontuarios \(a lock taken on the source is not seen there\)/);
    expect(asked('files is not production (arquivos)')).toMatch(/do not overlap the paths of source arquivos/);
    expect(first.preflight.find((x) => x.name === `destination ${fx.pgDb}`)?.message).toMatch(new RegExp(`moved aside to ${fx.pgDb}_antes_\\d{14}`));
    expect(first.validation.every((v) => v.ok)).toBe(true);
    expect(first.validation.find((v) => v.name === 'pacientes carregados')?.actual).toBe('t');
    expect(first.items.map((i) => i.destination).sort()).toEqual([fx.myDb, fx.pgDb, root].sort());

    // production names hold set A
    expect(await pgFingerprint(h.postgresStaging, fx.pgDb)).toEqual(pgAtA);
    expect(await myFingerprint(my2, fx.myDb)).toEqual(myAtA);
    expect(treeFingerprint(join(root, uploads))).toEqual(filesAtA);

    // the previous copies are aside, intact, and the log and the result say where
    const moved = first.movedAside ?? [];
    expect(moved.map((m) => m.destination).sort()).toEqual([fx.myDb, fx.pgDb, join(root, uploads)].sort());
    for (const m of moved) {
      expect(m.aside).toMatch(/_antes_\d{14}$/);
      expect(lines.some((l) => l.includes(`moved aside to ${m.aside}`))).toBe(true);
      expect(first.warnings.some((w) => w.includes(m.aside))).toBe(true);
    }
    const pgAside = moved.find((m) => m.destination === fx.pgDb)!.aside;
    const myAside = moved.find((m) => m.destination === fx.myDb)!.aside;
    const filesAside = moved.find((m) => m.item.startsWith('arquivos'))!.aside;
    expect(await pgPsql(h.postgresStaging, 'SELECT x FROM antes', pgAside)).toBe('7');
    expect(await mariadbSql(my2, 'SELECT x FROM antes', myAside)).toBe('8');
    expect(readFileSync(join(filesAside, 'antigo.txt'), 'utf8')).toBe('cópia antiga da homologação\n');
    expect(existsSync(join(root, uploads, 'antigo.txt'))).toBe(false);
    expect(lines.some((l) => /terminating the connections to PostgreSQL database/.test(l))).toBe(true);
    expect(lines.some((l) => /no RENAME DATABASE: copying/.test(l))).toBe(true);
    expect(await ended).not.toBe(0);
    const report = readFileSync(first.reportPath!, 'utf8');
    expect(report).toContain(pgAside);
  });

  it('second restore (set B): the first restore is moved aside intact, the production names now hold set B', async () => {
    const r = await restoreRun(fx, { setId: sets[1], target: 'homologacao' });
    expect(r.error).toBeUndefined();
    expect(r.validation.every((v) => v.ok)).toBe(true);
    expect(await pgFingerprint(h.postgresStaging, fx.pgDb)).toEqual(await pgFingerprint(h.postgres, fx.pgDb));
    expect(await myFingerprint(my2, fx.myDb)).toEqual(await myFingerprint(h.mariadb, fx.myDb));
    expect(treeFingerprint(join(root, uploads))).toEqual(treeFingerprint(uploads).filter((e) => !e.path.endsWith('.tmp')));
    const moved = r.movedAside ?? [];
    expect(moved).toHaveLength(3);
    const pgAside = moved.find((m) => m.destination === fx.pgDb)!.aside;
    const myAside = moved.find((m) => m.destination === fx.myDb)!.aside;
    const filesAside = moved.find((m) => m.item.startsWith('arquivos'))!.aside;
    // the aside copies of both runs are all there; nothing was deleted
    for (const m of [...(first.movedAside ?? []), ...moved]) expect(m.aside).not.toBe(undefined);
    expect(await pgFingerprint(h.postgresStaging, pgAside)).toEqual(pgAtA);
    expect(await myFingerprint(my2, myAside)).toEqual(myAtA);
    expect(treeFingerprint(filesAside)).toEqual(filesAtA);
    const pgNames = await pgDbs();
    for (const m of [...(first.movedAside ?? []), ...moved].filter((x) => x.item.startsWith('banco'))) expect(pgNames).toContain(m.aside);
    const myNames = await myDbs();
    for (const m of [...(first.movedAside ?? []), ...moved].filter((x) => x.item.startsWith('prontuarios'))) expect(myNames).toContain(m.aside);
  });

  it('the drill on a names: original target uses the production names too; a side-by-side target keeps <db>_restore_<hex>', async () => {
    const d = await withContext(fx, (c) => runDrill(c));
    expect(d.error).toBeUndefined();
    expect(d.items.find((i) => i.type === 'postgres')?.destination).toBe(fx.pgDb);
    expect((d.movedAside ?? []).length).toBe(3);
    const side = await restoreRun(fx, { setId: sets[1], target: 'ao_lado', sources: ['banco'] });
    expect(side.error).toBeUndefined();
    expect(side.items[0]?.destination).toBe(`${fx.pgDb}_restore_${sets[1]!.slice(-6)}`);
    expect(side.movedAside).toBeUndefined();
  });

  it('side by side, the same set twice with rename (as drills do): MariaDB has no RENAME DATABASE, so the first copy is dumped aside, checked, then dropped', async () => {
    const first = await restoreRun(fx, { setId: sets[0] as string, target: 'ao_lado', sources: ['prontuarios'], existing: 'rename' });
    expect(first.error).toBeUndefined();
    const dest = first.items[0]?.destination as string;
    expect(dest).toBe(`${fx.myDb}_restore_${sets[0]!.slice(-6)}`);
    const second = await restoreRun(fx, { setId: sets[0] as string, target: 'ao_lado', sources: ['prontuarios'], existing: 'rename' });
    expect(second.error).toBeUndefined();
    const aside = (await myDbs()).find((d) => d.startsWith(`${dest.slice(0, 40)}_old_`));
    expect(aside, 'the first copy kept aside').toBeDefined();
    expect(await myFingerprint(my2, aside as string)).toEqual(myAtA);
    expect(await myFingerprint(my2, dest)).toEqual(myAtA);
  });
});
