/**
 * A staging (homologação) restore gives a system that runs on its own:
 * - MariaDB restored under another name on the SAME server as production: views (also one that
 *   reads another database, which mysqldump writes fully qualified), triggers and functions use
 *   the staging copy, never production; a view whose DEFINER account does not exist still reads;
 *   data rows that contain the database's name come back byte for byte.
 * - PostgreSQL: restored with --no-owner/--no-privileges, the application's role cannot read the
 *   copy; with `postgres.owner` the copy belongs to that role and the application reads and writes it
 *   (a whole database, and a single table restored with --table).
 * Real sshd, PostgreSQL (production and staging clusters), MariaDB, folder storage.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { stagingDbName } from '../../src-main/restore/target.js';
import { mariadbSql, mariadbCreateDatabase, pgPsql } from '../harness/index.js';
import { makeFixture, stagingTargetYaml, type Fixture } from '../support/backup-fixture.js';
import { backupSet, restoreRun } from '../support/runs.js';

const h = inject('harness');

describe('staging restore that runs on its own', () => {
  let fx: Fixture;
  let setId: string;
  let other: string;
  let staging: string;
  const role = `app_${randomBytes(3).toString('hex')}`;
  const q = (db: string): string => `\`${db}\``;

  beforeAll(async () => {
    fx = await makeFixture(h, {
      largeBytes: 1024,
      extraYaml: stagingTargetYaml(h, '/tmp', '', `  homolog_app:
    kind: staging
    server: clinica
    postgres: { host: 127.0.0.1, port: ${h.postgresStaging.port}, user: postgres, owner: ${role} }
  homolog_sem_papel:
    kind: staging
    server: clinica
    postgres: { host: 127.0.0.1, port: ${h.postgresStaging.port}, user: postgres, owner: ${role}_nao_existe }
`),
    });
    const db = fx.myDb;
    other = `outra_${randomBytes(3).toString('hex')}`;
    await mariadbCreateDatabase(h.mariadb, other);
    await mariadbSql(h.mariadb, 'CREATE TABLE x (id INT PRIMARY KEY); INSERT INTO x VALUES (1), (2), (3);', other);
    await mariadbSql(h.mariadb, `
CREATE TABLE t (id INT PRIMARY KEY, nota TEXT);
INSERT INTO t VALUES (1, 'original'), (2, 'cita ${q(db)}.${q('t')} e ${db}.t; DEFINER=\`a\`@\`b\`'), (3, 'três');
CREATE TABLE audit (id INT);
CREATE VIEW v AS SELECT id, nota FROM t;
CREATE VIEW v2 AS SELECT t.id, t.nota FROM ${q(db)}.t JOIN ${q(other)}.x ON x.id = t.id;
CREATE DEFINER=\`ninguem\`@\`localhost\` SQL SECURITY INVOKER VIEW v3 AS SELECT COUNT(*) AS n FROM ${db}.t;
CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW INSERT INTO ${db}.audit VALUES (NEW.id);
CREATE FUNCTION f() RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM ${q(db)}.t);
`, db);
    await pgPsql(h.postgresStaging, `CREATE ROLE ${role} LOGIN`);
    setId = await backupSet(fx, 'local');
    staging = stagingDbName(db, setId);
    // production changes after the backup
    await mariadbSql(h.mariadb, "UPDATE t SET nota = 'mudou em produção' WHERE id = 1; INSERT INTO t VALUES (4, 'nova em produção');", db);
  }, 240_000);

  afterAll(async () => {
    await pgPsql(h.postgresStaging, `DROP DATABASE IF EXISTS "${stagingDbName(fx.pgDb, setId)}" WITH (FORCE)`).catch(() => undefined);
    await pgPsql(h.postgresStaging, `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await mariadbSql(h.mariadb, `DROP DATABASE IF EXISTS ${q(staging)}; DROP DATABASE IF EXISTS ${q(other)}`).catch(() => undefined);
  });

  it('MariaDB into staging on the production server: views, trigger and function read and write the staging copy, data rows intact', async () => {
    const r = await restoreRun(fx, { setId, target: 'homologacao', sources: ['prontuarios'] });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('succeeded');
    expect(r.items[0]?.destination).toBe(staging);
    const my = (sql: string): Promise<string> => mariadbSql(h.mariadb, sql, staging);
    // the staging views see the backup, not production's change after it
    expect(await my('SELECT nota FROM v WHERE id = 1')).toBe('original');
    expect(await my('SELECT COUNT(*) FROM v')).toBe('3');
    expect(await my('SELECT nota FROM v2 WHERE id = 1')).toBe('original');
    expect(await my('SELECT n FROM v3')).toBe('3');
    expect(await my('SELECT f()')).toBe('3');
    // no definition names production any more (the other database stays as it was)
    const v2 = await my('SHOW CREATE VIEW v2');
    expect(v2).not.toContain(`\`${fx.myDb}\`.`);
    expect(v2).toContain(`\`${staging}\`.\`t\``);
    expect(v2).toContain(`\`${other}\`.\`x\``);
    expect(await my('SHOW CREATE VIEW v3')).not.toMatch(/ninguem/);
    // the trigger writes into staging's audit table, never production's
    await my("INSERT INTO t VALUES (10, 'homolog')");
    expect(await my('SELECT COUNT(*) FROM audit')).toBe('1');
    expect(await my('SELECT id FROM audit')).toBe('10');
    expect(await mariadbSql(h.mariadb, 'SELECT COUNT(*) FROM audit WHERE id = 10', fx.myDb)).toBe('0');
    // the row that names the database is byte for byte what production had at the backup
    expect(await my('SELECT nota FROM t WHERE id = 2')).toBe(`cita \`${fx.myDb}\`.\`t\` e ${fx.myDb}.t; DEFINER=\`a\`@\`b\``);
    // validation checked the definitions, and the run log says what was rewritten
    const defs = r.validation.find((v) => v.name.endsWith('definitions'));
    expect(defs).toMatchObject({ ok: true, key: 'drill.validate.definitions' });
    expect(r.validation.every((v) => v.ok)).toBe(true);
  }, 180_000);

  it('PostgreSQL: without owner the application role cannot read the staging copy; with postgres.owner it owns it', async () => {
    const pgDb = stagingDbName(fx.pgDb, setId);
    const asApp = (sql: string): Promise<string> => pgPsql({ ...h.postgresStaging, user: role as 'postgres' }, sql, pgDb);
    let r = await restoreRun(fx, { setId, target: 'homologacao', sources: ['banco'] });
    expect(r.error).toBeUndefined();
    await expect(asApp('SELECT count(*) FROM clinica.pacientes')).rejects.toThrow(/permission denied/);
    await pgPsql(h.postgresStaging, `DROP DATABASE "${pgDb}" WITH (FORCE)`);

    // a role that does not exist: refused in preflight, nothing created
    r = await restoreRun(fx, { setId, target: 'homolog_sem_papel', sources: ['banco'] });
    expect(r.status).toBe('failed');
    const bad = r.preflight.find((p) => p.name.startsWith('owner '));
    expect(bad).toMatchObject({ ok: false, key: 'drill.check.pgOwner' });
    expect(bad?.message).toMatch(/does not exist on the target/);
    expect(await pgPsql(h.postgresStaging, `SELECT count(*) FROM pg_database WHERE datname = '${pgDb}'`)).toBe('0');

    r = await restoreRun(fx, { setId, target: 'homolog_app', sources: ['banco'] });
    expect(r.error).toBeUndefined();
    expect(r.validation.every((v) => v.ok)).toBe(true);
    expect(await asApp('SELECT count(*) FROM clinica.pacientes')).toBe('2003');
    await asApp("INSERT INTO financeiro.faturas (paciente, valor, pago) VALUES (1, 10, true); SELECT nextval('financeiro.protocolo');");
    expect(await pgPsql(h.postgresStaging, `SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('clinica', 'financeiro')`, pgDb)).toBe(role);
    expect(await pgPsql(h.postgresStaging, `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${pgDb}'`)).toBe(role);
    await pgPsql(h.postgresStaging, `DROP DATABASE "${pgDb}" WITH (FORCE)`);

    // --table into the same target: the database, the table and its sequence belong to the role too
    r = await restoreRun(fx, { setId, target: 'homolog_app', tables: ['financeiro.faturas'] });
    expect(r.error).toBeUndefined();
    expect(r.items.map((i) => i.destination)).toEqual([pgDb]);
    expect(await asApp('SELECT count(*) FROM financeiro.faturas')).toBe('5000');
    expect(await asApp("INSERT INTO financeiro.faturas (paciente, valor, pago) VALUES (1, 10, true) RETURNING id")).toBe('5001');
    expect(await pgPsql(h.postgresStaging, `SELECT string_agg(DISTINCT pg_get_userbyid(relowner), ',') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'financeiro'`, pgDb)).toBe(role);
    expect(await pgPsql(h.postgresStaging, `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${pgDb}'`)).toBe(role);
  }, 180_000);
});
