/**
 * Issue 14, "No injection" and "Temp folders on servers": database names that libpq would read
 * as a connection string (`x port=5492`, `port=<other cluster> dbname=<decoy>`) and a MariaDB
 * name that mysql/mysqldump would read as an option (`-h evil…`) are backed up as themselves,
 * restored into staging and into production (safety dump included), row counts matching,
 * and never reach another server. Names with control characters found on the server are
 * refused. The production safety dump goes to a fresh `mktemp -d` folder, not to a decoy
 * another user pre-created at the old predictable path.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { runRestore } from '../../src-main/restore/restore.js';
import { safetyDir } from '../../src-main/restore/safety.js';
import { myEnv, mysqlCommand, pgQuery, stagingDbName } from '../../src-main/restore/target.js';
import { listSetsOf } from '../../src-main/backup/sets.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { connect } from '../../src-main/remote/ssh.js';
import { newProbeNonce, parseProbe, probeScript } from '../../src-main/sources/probe.js';
import { postgresFromProbe, postgresProbeSteps } from '../../src-main/sources/postgres.js';
import { mysqlFromProbe, mysqlProbeSteps } from '../../src-main/sources/mysql.js';
import type { MysqlSourceConfig, PostgresSourceConfig } from '../../src-main/config/schema.js';
import { CofreError } from '../../src-main/errors.js';
import { pgPsql, pgCreateDatabase, mariadbSql, mariadbCreateDatabase } from '../harness/index.js';
import { makeFixture, stagingTargetYaml, uniqueName, ownServerName, type Fixture } from '../support/backup-fixture.js';
import { pgFingerprint, myFingerprint, sh } from '../support/compare.js';
import { Document } from 'yaml';

const h = inject('harness');

/** libpq's quoting, written independently of the code under test */
const conn = (db: string): string => `dbname='${db.replace(/[\\']/g, (c) => `\\${c}`)}'`;
const pgIdent = (db: string): string => `"${db.replaceAll('"', '""')}"`;

const PG_A = "x port=5492 it's";
const hex = uniqueName('d').slice(2);
const DECOY = `decoy_${hex}`;
const PG_B = `port=${h.postgresStaging.port} dbname=${DECOY}`;
const MY = `-h evil_${hex}`;

describe('database names are data, never connection settings or options', () => {
  let fx: Fixture;
  let ctxConfig: string;
  let restoreRoot: string;
  const contexts: AppContext[] = [];
  const ctxAt = (now?: Date): AppContext => {
    const c = new AppContext({ env: { ...fx.env, COFRE_CONFIG: ctxConfig }, ...(now ? { now: () => now } : {}) });
    contexts.push(c);
    return c;
  };

  beforeAll(async () => {
    restoreRoot = join('/tmp', `cofre-inj-root-${process.pid}-${Date.now()}`);
    mkdirSync(restoreRoot, { recursive: true });
    fx = await makeFixture(h, {
      extraYaml: stagingTargetYaml(h, restoreRoot, '', `  producao:
    kind: production
    server: clinica
    postgres: { host: 127.0.0.1, port: ${h.postgresStaging.port}, user: postgres }
    mysql: { host: 127.0.0.1, port: ${h.mariadb.port}, user: ${h.mariadb.user}, passwordEnv: TEST_MYSQL_PASSWORD }
`),
    });
    await pgPsql(h.postgres, `DROP DATABASE IF EXISTS ${pgIdent(PG_A)}`);
    await pgCreateDatabase(h.postgres, PG_A);
    await pgPsql(h.postgres, 'CREATE TABLE t (id int, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 123) g;', conn(PG_A));
    await pgCreateDatabase(h.postgres, PG_B);
    await pgPsql(h.postgres, 'CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 45);', conn(PG_B));
    // what a name parsed as a connection string would reach instead: another cluster
    await pgCreateDatabase(h.postgresStaging, DECOY);
    await pgPsql(h.postgresStaging, 'CREATE TABLE decoy (id int); INSERT INTO decoy VALUES (1);', DECOY);
    await mariadbCreateDatabase(h.mariadb, MY);
    await mariadbSql(h.mariadb, 'CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t SELECT seq, CONCAT("v", seq) FROM seq_1_to_77;', MY);

    const doc = new Document(parse(readFileSync(fx.configPath, 'utf8')));
    ownServerName(doc);
    const server = doc.getIn(['sources', 'banco', 'server']);
    for (const t of ['homologacao', 'producao']) doc.setIn(['restoreTargets', t, 'server'], server);
    doc.setIn(['sources', 'banco', 'databases'], [PG_A, PG_B]);
    doc.setIn(['sources', 'prontuarios', 'databases'], [MY]);
    doc.setIn(['plans', 'nomes'], { sources: ['banco', 'prontuarios'], storage: 'nas', schedule: '0 2 * * *' });
    ctxConfig = join(fx.dir, 'nomes.yaml');
    writeFileSync(ctxConfig, stringify(doc));
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) c.close();
    if (restoreRoot) sh(`rm -rf ${restoreRoot}`);
  });

  let setId = '';
  it('backs up each database as itself: the manifest holds their own row counts, not the decoy\'s', async () => {
    const ctx = ctxAt();
    const r = await runBackup(ctx, 'nomes');
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('succeeded');
    setId = r.setId;
    const storage = storageFromConfig(ctx.config, 'nas', ctx.env);
    const set = (await listSetsOf(ctx, storage)).find((s) => s.setId === setId);
    storage.close();
    const objects = new Map((set?.manifest?.sources ?? []).flatMap((s) => s.objects.map((o) => [o.part, o] as const)));
    expect(objects.get(PG_A)?.rowCounts?.['public.t']).toBe(123);
    expect(objects.get(PG_B)?.rowCounts?.['public.t']).toBe(45);
    expect(objects.get(PG_B)?.rowCounts?.['public.decoy']).toBeUndefined();
    expect(objects.get(MY)?.rowCounts?.['t']).toBe(77);
  });

  it('restores them into staging (pg_restore -j 2 from a mktemp folder, and mysql): every table equals the original', async () => {
    const ctx = ctxAt();
    const r = await runRestore(ctx, { setId, target: 'homologacao', jobs: 2 });
    expect(r.error).toBeUndefined();
    expect(r.validation.length).toBeGreaterThanOrEqual(3);
    expect(r.validation.every((v) => v.ok)).toBe(true);
    expect(await pgFingerprint(h.postgresStaging, conn(stagingDbName(PG_A, setId)))).toEqual(await pgFingerprint(h.postgres, conn(PG_A)));
    expect(await pgFingerprint(h.postgresStaging, conn(stagingDbName(PG_B, setId)))).toEqual(await pgFingerprint(h.postgres, conn(PG_B)));
    expect(await myFingerprint(h.mariadb, stagingDbName(MY, setId))).toEqual(await myFingerprint(h.mariadb, MY));
    // the decoy on the other cluster was never touched, and no temp folder is left behind
    expect(await pgPsql(h.postgresStaging, 'SELECT count(*) FROM decoy', DECOY)).toBe('1');
  });

  it('production: the safety dump takes each database under its own name, into a fresh mktemp folder, not a decoy at the old path', async () => {
    const now = new Date(Date.now() - 60_000);
    // another user of the server pre-creates the old predictable folder, world-writable
    const decoy = safetyDir(now);
    sh(`mkdir -p ${decoy} && chmod 777 ${decoy}`);
    await pgCreateDatabase(h.postgresStaging, PG_A);
    await pgPsql(h.postgresStaging, 'CREATE TABLE antes (x int); INSERT INTO antes VALUES (7);', conn(PG_A));
    const myBefore = await myFingerprint(h.mariadb, MY);
    const ctx = ctxAt(now);
    try {
      const r = await runRestore(ctx, { setId, target: 'producao', yes: true, confirmName: 'producao' });
      expect(r.error).toBeUndefined();
      expect(r.validation.every((v) => v.ok)).toBe(true);
      expect(readdirSync(decoy)).toEqual([]);
      expect(r.safetyDumps.length).toBe(2); // PG_A existed on the target, MY too; PG_B did not
      const dir = r.safetyDumps[0]!.replace(/\/[^/]+$/, '');
      expect(dir.startsWith(`${decoy}-`)).toBe(true);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const pgDump = r.safetyDumps.find((f) => f.endsWith('.pgdump'))!;
      expect(sh(`pg_restore --list '${pgDump}'`)).toContain('TABLE DATA public antes');
      const myDump = r.safetyDumps.find((f) => f.endsWith('.sql'))!;
      expect(readFileSync(myDump, 'utf8')).toContain("'v77'");
      expect(await pgFingerprint(h.postgresStaging, conn(PG_A))).toEqual(await pgFingerprint(h.postgres, conn(PG_A)));
      expect(await myFingerprint(h.mariadb, MY)).toEqual(myBefore);
      expect(await pgPsql(h.postgresStaging, 'SELECT count(*) FROM decoy', DECOY)).toBe('1');
      sh(`rm -rf '${dir}'`);
    } finally {
      sh(`rm -rf ${decoy}`);
    }
  });

  it('psql and mysql on the target open exactly the named database, whatever its quotes, backslashes, = or leading -', async () => {
    const host = await connect({ name: 'clinica', host: h.ssh.host, port: h.ssh.port, user: h.ssh.user, privateKeyFile: h.ssh.privateKeyPath, hostKey: h.ssh.hostKeyFingerprint });
    const names = [`a\\b'c =d ${hex}`, `-h x ${hex}`, `postgresql://127.0.0.1:1/${hex}`];
    try {
      for (const n of names) {
        await pgCreateDatabase(h.postgresStaging, n);
        expect(await pgQuery(host, { host: '127.0.0.1', port: h.postgresStaging.port, user: 'postgres' }, n, 'SELECT current_database()')).toEqual([n]);
      }
      await mariadbCreateDatabase(h.mariadb, names[0]!);
      const my = { host: '127.0.0.1', port: h.mariadb.port, user: h.mariadb.user, password: h.mariadb.password };
      for (const n of [names[0]!, MY]) {
        const r = await host.runChecked(`${mysqlCommand(my, n)} -e 'SELECT DATABASE()'`, myEnv(my));
        expect(r.stdout.trim()).toBe(n.replaceAll('\\', '\\\\')); // --batch escapes a backslash
      }
    } finally {
      for (const n of names) await pgPsql(h.postgresStaging, `DROP DATABASE IF EXISTS ${pgIdent(n)}`);
      await mariadbSql(h.mariadb, `DROP DATABASE IF EXISTS \`${names[0]!}\``);
      host.close();
    }
  });

  it('the probe of "every database" reads such names exactly, and refuses a name with a line break', async () => {
    const host = await connect({ name: 'clinica', host: h.ssh.host, port: h.ssh.port, user: h.ssh.user, privateKeyFile: h.ssh.privateKeyPath, hostKey: h.ssh.hostKeyFingerprint });
    const pgSrc: PostgresSourceConfig = { type: 'postgres', server: 'clinica', host: '127.0.0.1', port: h.postgres.port, user: 'postgres' };
    const mySrc: MysqlSourceConfig = { type: 'mysql', server: 'clinica', host: '127.0.0.1', port: h.mariadb.port, user: h.mariadb.user };
    const probe = async (): Promise<{ pg: () => string[]; my: () => string[] }> => {
      const nonce = newProbeNonce();
      const steps = [...postgresProbeSteps('p', pgSrc, undefined), ...mysqlProbeSteps('m', mySrc, 'COFRE_PW_m')];
      const out = await host.runChecked(probeScript(steps, nonce), { env: { COFRE_PW_m: h.mariadb.password } });
      const results = parseProbe(out.stdout, nonce);
      return {
        pg: () => postgresFromProbe(results, 'p', pgSrc, 'clinica').parts.map((p) => p.part),
        my: () => mysqlFromProbe(results, 'm', mySrc, 'clinica').parts.map((p) => p.part),
      };
    };
    const bad = `bad\nd|0|${hex}`;
    try {
      const good = await probe();
      expect(good.pg()).toEqual(expect.arrayContaining([PG_A, PG_B, 'globals']));
      expect(good.my()).toContain(MY);
      await pgCreateDatabase(h.postgres, bad);
      await mariadbCreateDatabase(h.mariadb, bad);
      const withBad = await probe();
      for (const parts of [withBad.pg, withBad.my]) {
        let err: unknown;
        try {
          parts();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(CofreError);
        expect((err as CofreError).code).toBe('PRECONDITION');
        expect((err as CofreError).message).toContain(JSON.stringify(bad));
        expect((err as CofreError).hint).toMatch(/rename that database|databases:/);
      }
    } finally {
      await pgPsql(h.postgres, `DROP DATABASE IF EXISTS ${pgIdent(bad)}`);
      await mariadbSql(h.mariadb, `DROP DATABASE IF EXISTS \`${bad}\``);
      host.close();
    }
  });
});
