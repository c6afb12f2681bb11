/**
 * PostgreSQL source: `pg_dump -Fc` per database, all in one exported snapshot together with
 * exact per-table row counts (so a restore can be checked against the dump's own numbers),
 * plus `pg_dumpall --globals-only` (roles, tablespaces) when every database is backed up.
 */
import { PassThrough } from 'node:stream';
import type { PostgresSourceConfig } from '../config/schema.js';
import type { RemoteHost, RemoteProcess } from '../remote/types.js';
import { shJoin, shq } from '../remote/shell.js';
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import { LineReader } from './lines.js';
import { checkDiscoveredName, pgDbConnInfo } from './names.js';
import { parseServerInfo, probeOk, type ProbeResults, type ProbeStep } from './probe.js';
import type { DumpPart, RunningDump, DumpStats, PreparedSource } from './types.js';

export interface PgConnection {
  host: string;
  port: number;
  user: string;
  password?: string | undefined;
}

export function pgConnArgs(c: PgConnection): string[] {
  return ['-h', c.host, '-p', String(c.port), '-U', c.user, '-w'];
}

/** The connection arguments plus `-d dbname='<db>'` (see names.ts: a name is never a connection string). */
export function pgDbArgs(c: PgConnection, db: string): string[] {
  return [...pgConnArgs(c), '-d', pgDbConnInfo(db)];
}

export function pgEnv(c: PgConnection): Record<string, string> | undefined {
  return c.password === undefined ? undefined : { PGPASSWORD: c.password };
}

function connOf(src: PostgresSourceConfig, password: string | undefined): PgConnection {
  return { host: src.host, port: src.port, user: src.user, password };
}

/**
 * Exact row counts of every user table, read inside the current transaction's snapshot.
 * Tables the role cannot read are skipped: a permission error here would end the session
 * holding the exported snapshot, and pg_dump would then fail with a misleading "invalid
 * snapshot identifier" instead of its own "permission denied for table …".
 */
export const PG_ROW_COUNTS_SQL = `SELECT n.nspname || '.' || c.relname || '|' ||
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
  AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
UNION ALL SELECT 'pg_largeobject_metadata|' || count(*) FROM pg_largeobject_metadata
ORDER BY 1;`;

/**
 * The counts run beside pg_dump, which is the backup's critical path: one process, no JIT
 * compilation, so they take one core at most and the least CPU (parallel workers add up to two
 * more processes; JIT compiles each count query for the size of its table).
 */
const PG_ROW_COUNTS_SETTINGS = `SELECT set_config(name, CASE name WHEN 'jit' THEN 'off' ELSE '0' END, false)
FROM pg_settings WHERE name IN ('jit', 'max_parallel_workers_per_gather');`; // each only where the server has it

export function parseCounts(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    const at = line.lastIndexOf('|');
    if (at <= 0) continue;
    out[line.slice(0, at)] = Number(line.slice(at + 1));
  }
  return out;
}

/** Server version, and every connectable database with its size (-1 when the role may not connect), in one query. */
const PG_PROBE_SQL = `SELECT line FROM (
  SELECT 0 AS k, '' AS n, 'v|' || current_setting('server_version') AS line
  UNION ALL
  SELECT 1, datname, 'd|' || COALESCE(CASE WHEN has_database_privilege(datname, 'CONNECT') THEN pg_database_size(datname) END, -1) || '|' || encode(convert_to(datname, 'UTF8'), 'hex')
  FROM pg_database WHERE datallowconn AND NOT datistemplate
) q ORDER BY k, n`;

/** The probe steps of a postgres source (see probe.ts); `pwVar` names the variable holding the password. */
export function postgresProbeSteps(prefix: string, src: PostgresSourceConfig, pwVar: string | undefined): ProbeStep[] {
  const c = connOf(src, undefined);
  const pw = pwVar === undefined ? '' : `PGPASSWORD="$${pwVar}" `;
  return [
    { key: `${prefix}.tool`, label: 'pg_dump', command: 'pg_dump --version' },
    { key: `${prefix}.info`, label: 'psql', command: `${pw}psql -X -At ${shJoin(pgDbArgs(c, 'postgres'))} -c ${shq(PG_PROBE_SQL)}` },
  ];
}

/**
 * Tool facts and parts from the probe. The size estimate is the database's size on disk: an
 * upper bound of the compressed `-Fc` dump, good as an upload size hint, not as an ETA.
 */
export function postgresFromProbe(results: ProbeResults, prefix: string, src: PostgresSourceConfig, where: string): PreparedSource {
  const toolVersion = probeOk(results, { key: `${prefix}.tool`, label: 'pg_dump' }, where).trim();
  const { serverVersion, sizes } = parseServerInfo(probeOk(results, { key: `${prefix}.info`, label: 'psql' }, where));
  const names = src.databases ?? [...sizes.keys()].map((db) => checkDiscoveredName(db, where));
  const parts = names.map((db) => {
    const size = sizes.get(db);
    return { part: db, format: 'pgdump' as const, ...(size !== undefined && size >= 0 ? { estimatedBytes: size, estimateIsUpperBound: true } : {}) };
  });
  return {
    tool: { tool: 'pg_dump', toolVersion, serverVersion },
    parts: src.databases ? parts : [{ part: 'globals', format: 'sql' }, ...parts],
  };
}

/**
 * A psql session on one database, waiting for the commands that export its snapshot. Opening
 * it (a channel, psql's start-up, the database login) costs more than using it, so the backup
 * may open the first one while it waits for the server lock (see `SourceDriver.prepare`).
 */
export interface SnapshotSession {
  database: string;
  stdin: PassThrough;
  process: RemoteProcess;
  reader: LineReader;
}

export function openSnapshotSession(host: RemoteHost, src: PostgresSourceConfig, database: string, password: string | undefined): SnapshotSession {
  const c = connOf(src, password);
  const env = pgEnv(c);
  const stdin = new PassThrough();
  const session = host.exec(`psql -X -q -At -v ON_ERROR_STOP=1 ${shJoin(pgDbArgs(c, database))}`, {
    stdin,
    ...(env ? { env } : {}),
    label: 'psql',
  });
  session.done.catch(() => undefined); // observed through the reader
  const reader = new LineReader(session.stdout, `psql session on database ${database}`, () => session.stderrTail(), said('source.pgSessionEnded', { database }));
  return { database, stdin, process: session, reader };
}

/** Dumps one part; `opened` is a session opened earlier on the part's database. */
export async function startPostgresDump(host: RemoteHost, src: PostgresSourceConfig, part: DumpPart, password: string | undefined, opened?: SnapshotSession): Promise<RunningDump> {
  const c = connOf(src, password);
  const env = pgEnv(c);
  if (part.part === 'globals' && part.format === 'sql') {
    const p = host.exec(`pg_dumpall --globals-only ${shJoin(pgConnArgs(c))}`, { ...(env ? { env } : {}), label: 'pg_dumpall' });
    return {
      stream: p.stdout,
      finished: p.done.then((r) => ({ warnings: r.stderr.trim() ? [`pg_dumpall: ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`] : [] })),
      cancel: () => p.cancel(),
    };
  }
  // A read-only repeatable-read session exports its snapshot; pg_dump and the row counts both use it.
  let snapshotSession = opened ?? openSnapshotSession(host, src, part.part, password);
  let snapshot: string;
  try {
    snapshot = await exportSnapshot(snapshotSession, part.part);
  } catch (err) {
    if (opened === undefined || !(err instanceof CofreError && err.code === 'REMOTE_COMMAND_FAILED')) throw err;
    // A session opened ahead of time may have been ended by the server while the backup waited
    // for the lock (idle_session_timeout): psql only notices when asked. One fresh session;
    // if it fails too, its error is the one reported.
    snapshotSession = openSnapshotSession(host, src, part.part, password);
    snapshot = await exportSnapshot(snapshotSession, part.part);
  }
  const { stdin, process: session, reader } = snapshotSession;
  stdin.write(`${PG_ROW_COUNTS_SETTINGS}\n${PG_ROW_COUNTS_SQL}\n\\echo __COFRE_COUNTS__\n`);
  const counts = reader.until('__COFRE_COUNTS__').then(parseCounts);
  counts.catch(() => undefined);
  const dump = host.exec(`pg_dump -Fc --snapshot=${shq(snapshot)} ${shJoin(pgDbArgs(c, part.part))}`, {
    ...(env ? { env } : {}),
    label: 'pg_dump',
  });
  const finished = (async (): Promise<DumpStats> => {
    try {
      const r = await dump.done;
      if (r.code !== 0) {
        throw new CofreError('REMOTE_COMMAND_FAILED', `pg_dump of database ${part.part} failed (exit ${r.code ?? r.signal}): ${lastLines(r.stderr)}`, {
          ...said('source.pgDumpFailed', { database: part.part }),
          hint: 'the backup user needs to read every table (e.g. GRANT pg_read_all_data TO backup_user)',
        });
      }
      const rowCounts = await counts;
      // The counts are in and pg_dump is done with the snapshot: end the read-only session
      // without waiting for psql to exit (nothing it could still report changes the set).
      stdin.end('COMMIT;\n');
      return { rowCounts, warnings: [] };
    } finally {
      if (!stdin.writableEnded) stdin.end();
    }
  })();
  return {
    stream: dump.stdout,
    finished,
    cancel: () => {
      dump.cancel();
      session.cancel();
    },
  };
}

/** Starts the session's read-only transaction and exports its snapshot; ends the session on failure. */
async function exportSnapshot(session: SnapshotSession, database: string): Promise<string> {
  session.stdin.write('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;\nSELECT pg_export_snapshot();\n\\echo __COFRE_SNAPSHOT__\n');
  let snapshot: string | undefined;
  try {
    snapshot = (await session.reader.until('__COFRE_SNAPSHOT__')).pop()?.trim();
  } catch (err) {
    session.stdin.end();
    throw err;
  }
  if (!snapshot || !/^[0-9A-F-]+$/i.test(snapshot)) {
    session.stdin.end();
    throw new CofreError('REMOTE_COMMAND_FAILED', `could not export a snapshot of database ${database}`, { ...said('source.snapshot', { database }), hint: 'PostgreSQL 9.2 or newer is required' });
  }
  return snapshot;
}

export function lastLines(stderr: string, n = 3): string {
  return stderr.trim().split('\n').slice(-n).join(' | ') || 'no error output';
}
