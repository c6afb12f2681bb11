/**
 * `cofre mysql-rename --from A --to B`, the filter the runbook's manual steps use to restore a
 * MySQL/MariaDB dump under another name: the dump (mysqldump with routines, triggers and events,
 * compressed as a set stores it) goes through the runbook's own command line into a new database
 * on the same server; its views, trigger and function then read and write the copy, never the
 * original, and a view whose DEFINER account does not exist still reads. Without the filter the
 * same load leaves a view reading the original (what the filter is for). Real MariaDB, the CLI
 * run from the sources.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mariadbSql, mariadbCreateDatabase, tempDir, removeDir } from '../harness/index.js';
import { sh } from '../support/compare.js';
import { cofre } from '../support/cli.js';
import { parseConfigText } from '../../src-main/config/load.js';
import { runbookMarkdown } from '../../src-main/restore/runbook.js';

const h = inject('harness');
const CLI = `${process.execPath} --import tsx ${fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))}`;

describe('cofre mysql-rename (the runbook\'s manual staging steps)', () => {
  const db = `clin_${randomBytes(3).toString('hex')}`;
  const copy = `${db}_homolog`;
  const plain = `${db}_semfiltro`;
  const other = `outra_${randomBytes(3).toString('hex')}`;
  let dir: string;
  let dump: string;
  const q = (n: string): string => `\`${n}\``;
  const my = (sql: string, d: string): Promise<string> => mariadbSql(h.mariadb, sql, d);
  const conn = `MYSQL_PWD='${h.mariadb.password}' mysql --no-defaults -h 127.0.0.1 -P ${h.mariadb.port} -u ${h.mariadb.user}`;

  beforeAll(async () => {
    dir = await tempDir('cofre-myrename-');
    await mariadbCreateDatabase(h.mariadb, db);
    await mariadbCreateDatabase(h.mariadb, other);
    await my('CREATE TABLE x (id INT PRIMARY KEY); INSERT INTO x VALUES (1), (2);', other);
    await my(`
CREATE TABLE t (id INT PRIMARY KEY, nota TEXT);
INSERT INTO t VALUES (1, 'original'), (2, 'cita ${q(db)}.${q('t')}');
CREATE TABLE audit (id INT);
CREATE VIEW v2 AS SELECT t.id, t.nota FROM ${q(db)}.t JOIN ${q(other)}.x ON x.id = t.id;
CREATE DEFINER=\`ninguem\`@\`localhost\` SQL SECURITY DEFINER VIEW v3 AS SELECT COUNT(*) AS n FROM ${db}.t;
CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW INSERT INTO ${db}.audit VALUES (NEW.id);
CREATE FUNCTION f() RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM ${q(db)}.t);
`, db);
    // as the set stores it: mysqldump with routines, triggers and events, through zstd
    dump = join(dir, `prontuarios.${db}.sql.zst`);
    sh(`MYSQL_PWD='${h.mariadb.password}' mysqldump --no-defaults -h 127.0.0.1 -P ${h.mariadb.port} -u ${h.mariadb.user} --single-transaction --routines --triggers --events ${db} | zstd -q -3 > ${dump}`);
    // the original changes after the dump: a copy that still reads it would show this
    await my("UPDATE t SET nota = 'mudou no original' WHERE id = 1", db);
  });

  afterAll(async () => {
    await mariadbSql(h.mariadb, `DROP DATABASE IF EXISTS ${q(db)}; DROP DATABASE IF EXISTS ${q(copy)}; DROP DATABASE IF EXISTS ${q(plain)}; DROP DATABASE IF EXISTS ${q(other)}`).catch(() => undefined);
    if (dir) await removeDir(dir);
  });

  it('the runbook\'s command loads the dump under another name; views, trigger and function use the copy', async () => {
    const config = parseConfigText(`servers:
  clinica: { host: 127.0.0.1, user: backup, privateKeyFile: /nao/usada }
sources:
  prontuarios: { server: clinica, type: mysql, user: root, databases: [${db}] }
storage:
  nas: { type: folder, path: /mnt/nas/cofre }
encryption:
  recipients: ["age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"]
plans:
  diario: { sources: [prontuarios], storage: nas }
`, 'cofre.yaml');
    const md = runbookMarkdown(config, { configPath: 'cofre.yaml', generatedAt: new Date().toISOString() });
    const lines = md.split('\n');
    const create = lines.find((l) => l.includes(`CREATE DATABASE \`${copy}\``));
    const load = lines.find((l) => l.includes('| cofre mysql-rename '));
    expect(create).toBe(`mysql -h <host> -u root -e 'CREATE DATABASE \`${copy}\` CHARACTER SET utf8mb4'`);
    // the runbook's line, from the decompressed dump on: the filter, then mysql into the new name
    const [fetch, rest] = (load ?? '').split(' | zstd -d | ');
    expect(fetch).toMatch(new RegExp(`prontuarios\\.${db}\\.sql\\.zst\\.age \\| age -d -i `));
    expect(rest).toBe(`cofre mysql-rename --from ${db} --to ${copy} | mysql -h <host> -u root ${copy}`);
    const local = (cmd: string): string => cmd.replaceAll('mysql -h <host> -u root', conn).replace(/^cofre /, `${CLI} `).replace(' | cofre ', ` | ${CLI} `);
    sh(local(create ?? ''));
    const errFile = join(dir, 'filter.err');
    sh(`zstd -d < ${dump} | ${local((rest ?? '').replace(' | mysql ', ` 2>${errFile} | mysql `))}`);
    expect(readFileSync(errFile, 'utf8')).toMatch(/[1-9]\d* reference\(s\) to the database .* now name .*; [1-9]\d* DEFINER clause\(s\) removed/);

    // the copy's objects read the dump's data (not the original's change) and write the copy
    expect(await my('SELECT nota FROM v2 WHERE id = 1', copy)).toBe('original');
    expect(await my('SELECT n FROM v3', copy)).toBe('2');
    expect(await my('SELECT f()', copy)).toBe('2');
    expect(await my('SHOW CREATE VIEW v2', copy)).toContain(`${q(copy)}.${q('t')}`);
    await my("INSERT INTO t VALUES (10, 'homolog')", copy);
    expect(await my('SELECT id FROM audit', copy)).toBe('10');
    expect(await my('SELECT COUNT(*) FROM audit', db)).toBe('0');
    // data rows pass byte for byte, even one that names the database
    expect(await my('SELECT nota FROM t WHERE id = 2', copy)).toBe(`cita ${q(db)}.${q('t')}`);

    // the same dump loaded without the filter: the copy's view reads the original
    await mariadbCreateDatabase(h.mariadb, plain);
    sh(`zstd -d < ${dump} | ${conn} ${plain}`);
    expect(await my('SELECT nota FROM v2 WHERE id = 1', plain)).toBe('mudou no original');
  });

  it('refuses a missing --to, equal names and --json before reading anything', async () => {
    const same = await cofre(['mysql-rename', '--from', db, '--to', db], { fromSource: true });
    expect(same.code).toBe(2);
    expect(same.stdout + same.stderr).toMatch(/mysql-rename needs a --to different from --from/);
    const none = await cofre(['mysql-rename', '--from', db], { fromSource: true });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--to/);
    const json = await cofre(['--json', 'mysql-rename', '--from', db, '--to', copy], { fromSource: true, input: 'CREATE VIEW v AS SELECT 1;\n' });
    expect(json.code).toBe(2);
    expect((json.json as { error: { message: string } }).error.message).toMatch(/--json does not apply/);
  });
});
