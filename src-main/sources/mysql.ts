/**
 * MariaDB/MySQL source: `mysqldump --single-transaction --routines --triggers --events` per
 * database (no CREATE DATABASE, so a restore can target a fresh database of any name), with
 * exact per-table row counts read in a consistent snapshot taken just before the dump.
 *
 * Compression (`compress`, on by default): `mysqldump | zstd -3` runs on the server, so the SSH
 * read, the upload and storage all carry ~5× fewer bytes (bench/mysql-zstd.ts); the object is
 * `<source>.<db>.sql.zst.age`. Without zstd on the server the dump is stored uncompressed (said in
 * the run log), unless the source says `compress: true`, which then fails the backup.
 */
import type { MysqlSourceConfig } from '../config/schema.js';
import type { RemoteHost } from '../remote/types.js';
import { shJoin, shq } from '../remote/shell.js';
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import { lastLines, parseCounts } from './postgres.js';
import { checkDiscoveredName } from './names.js';
import { parseServerInfo, probeOk, type ProbeResults, type ProbeStep } from './probe.js';
import { compressedOutput } from './zstd.js';
import type { DumpPart, RunningDump, PreparedSource } from './types.js';

export interface MyConnection {
  host: string;
  port: number;
  user: string;
  password?: string | undefined;
}

const SYSTEM_DATABASES = new Set(['information_schema', 'performance_schema', 'sys', 'mysql']);

export function myConnArgs(c: MyConnection): string[] {
  return ['-h', c.host, '-P', String(c.port), '-u', c.user];
}

export function myEnv(c: MyConnection): { env: Record<string, string> } | Record<string, never> {
  return c.password === undefined ? {} : { env: { MYSQL_PWD: c.password } };
}

export function myIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

export function mySqlString(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function connOf(src: MysqlSourceConfig, password: string | undefined): MyConnection {
  return { host: src.host, port: src.port, user: src.user, password };
}

export async function mysqlQuery(host: RemoteHost, c: MyConnection, sql: string): Promise<string[]> {
  const r = await host.runChecked(`mysql --batch --skip-column-names ${shJoin(myConnArgs(c))} -e ${shq(sql)}`, { ...myEnv(c), label: 'mysql' });
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

/** Server version, and every database with its data+index size, in one query. */
const MY_PROBE_SQL = `SELECT line FROM (
  SELECT 0 AS k, '' AS n, CONCAT('v|', VERSION()) AS line
  UNION ALL
  SELECT 1, s.schema_name, CONCAT('d|', COALESCE(SUM(t.data_length + t.index_length), 0), '|', HEX(CONVERT(s.schema_name USING utf8mb4)))
  FROM information_schema.schemata s LEFT JOIN information_schema.tables t ON t.table_schema = s.schema_name
  GROUP BY s.schema_name
) q ORDER BY k, n`;

/** The probe steps of a mysql source (see probe.ts); `pwVar` names the variable holding the password. */
export function mysqlProbeSteps(prefix: string, src: MysqlSourceConfig, pwVar: string | undefined): ProbeStep[] {
  const c = connOf(src, undefined);
  const pw = pwVar === undefined ? '' : `MYSQL_PWD="$${pwVar}" `;
  return [
    { key: `${prefix}.tool`, label: 'mysqldump', command: 'mysqldump --version' },
    { key: `${prefix}.info`, label: 'mysql', command: `${pw}mysql --batch --skip-column-names ${shJoin(myConnArgs(c))} -e ${shq(MY_PROBE_SQL)}` },
    ...(src.compress === false ? [] : [{ key: `${prefix}.zstd`, label: 'zstd', command: 'zstd --version' }]),
  ];
}

/** Tool facts and parts from the probe; the estimate is the tables' data+index size (close to a SQL dump's). */
export function mysqlFromProbe(results: ProbeResults, prefix: string, src: MysqlSourceConfig, where: string): PreparedSource {
  const toolVersion = probeOk(results, { key: `${prefix}.tool`, label: 'mysqldump' }, where).trim();
  const { serverVersion, sizes } = parseServerInfo(probeOk(results, { key: `${prefix}.info`, label: 'mysql' }, where));
  const names = src.databases ?? [...sizes.keys()].filter((d) => !SYSTEM_DATABASES.has(d)).map((db) => checkDiscoveredName(db, where));
  const zstd = src.compress !== false && results.get(`${prefix}.zstd`)?.code === 0;
  if (src.compress === true && !zstd) {
    throw new CofreError('PRECONDITION', `zstd is not installed on ${where}, and the mysql source asks for compress: true`, {
      ...said('source.zstdMissing', { server: where }),
      hint: 'install zstd on the server (apt install zstd), or remove compress: true from the source',
    });
  }
  return {
    tool: { tool: 'mysqldump', toolVersion, serverVersion },
    parts: names.map((db) => {
      const size = sizes.get(db);
      // compressed, the tables' size is only an upper bound of what is stored (no ETA from it)
      return { part: db, format: zstd ? 'sql.zst' as const : 'sql' as const, ...(size !== undefined ? { estimatedBytes: size, ...(zstd ? { estimateIsUpperBound: true } : {}) } : {}) };
    }),
    ...(src.compress === undefined && !zstd ? { notes: [{ line: `zstd is not installed on ${where}: the dumps are stored uncompressed (install zstd there for ~5× smaller sets)`, key: 'log.backup.noZstd' as const }] } : {}),
  };
}

/** Exact row counts of a database's base tables, in one consistent snapshot. */
export async function mysqlRowCounts(host: RemoteHost, c: MyConnection, db: string): Promise<Record<string, number>> {
  const tables = await mysqlQuery(
    host,
    c,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = ${mySqlString(db)} AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  if (tables.length === 0) return {};
  const selects = tables.map((t) => `SELECT CONCAT(${mySqlString(t)}, '|', COUNT(*)) FROM ${myIdent(db)}.${myIdent(t)}`);
  const sql = `START TRANSACTION WITH CONSISTENT SNAPSHOT; ${selects.join('; ')}; COMMIT;`;
  return parseCounts(await mysqlQuery(host, c, sql));
}

export async function startMysqlDump(host: RemoteHost, src: MysqlSourceConfig, part: DumpPart, password: string | undefined): Promise<RunningDump> {
  const c = connOf(src, password);
  const rowCounts = await mysqlRowCounts(host, c, part.part);
  const args = [
    'mysqldump', '--single-transaction', '--routines', '--triggers', '--events', '--hex-blob', '--quick',
    '--default-character-set=utf8mb4', ...myConnArgs(c), '--', part.part,
  ];
  const command = part.format === 'sql.zst' ? compressedOutput(shJoin(args)) : shJoin(args);
  const p = host.exec(command, { ...myEnv(c), label: 'mysqldump' });
  const finished = p.done.then((r) => {
    if (r.code !== 0) {
      throw new CofreError('REMOTE_COMMAND_FAILED', `mysqldump of database ${part.part} failed (exit ${r.code ?? r.signal}): ${lastLines(r.stderr)}`, {
        ...said('source.mysqlDumpFailed', { database: part.part }),
        hint: 'check the database name and that the backup user has SELECT, SHOW VIEW, TRIGGER, EVENT and LOCK TABLES',
      });
    }
    return { rowCounts, warnings: [] };
  });
  return { stream: p.stdout, finished, cancel: () => p.cancel() };
}
