/**
 * Validate: what is on the target now equals what the set recorded — per-table row counts
 * (taken in the dump's own snapshot), file count and bytes — plus the target's configured
 * checks (SQL with an expected result, an HTTP health URL).
 */
import { Readable } from 'node:stream';
import { toErrorInfo } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { Config, RestoreTargetConfig } from '../config/schema.js';
import type { RemoteHost } from '../remote/types.js';
import { shq } from '../remote/shell.js';
import { PG_ROW_COUNTS_SQL, parseCounts } from '../sources/postgres.js';
import { mySqlString, mysqlQuery, mysqlRowCounts, type MyConnection } from '../sources/mysql.js';
import { leftoverReferences } from './mysql-rewrite.js';
import { joinPath, mysqlCommand, myEnv, psqlCommand, pgExecEnv, type TargetInfo } from './target.js';
import type { RestoreItem, ValidationResult } from './types.js';

/** Compares two count maps: one result per table (pure; unit-tested). */
export function compareCounts(prefix: string, expected: Record<string, number>, actual: Record<string, number>): ValidationResult[] {
  const out: ValidationResult[] = [];
  for (const [table, n] of Object.entries(expected).sort(([a], [b]) => a.localeCompare(b))) {
    const got = actual[table];
    out.push({
      name: `${prefix} ${table}`, ok: got === n, expected: `${n} rows`, actual: got === undefined ? 'table missing' : `${got} rows`,
      ...said(got === undefined ? 'validate.tableMissing' : 'validate.rows', { item: prefix, table, expected: n, actual: got ?? 0 }),
    });
  }
  for (const table of Object.keys(actual).filter((t) => !(t in expected)).sort()) {
    out.push({ name: `${prefix} ${table}`, ok: false, expected: 'not in the set', actual: `${actual[table]} rows (extra table)`, ...said('validate.tableExtra', { item: prefix, table, actual: actual[table] ?? 0 }) });
  }
  return out;
}

/**
 * `--table`: each asked table has the set's row count, and no other table was restored (large
 * objects are not restored with a table: their zero count is not an extra).
 */
export function compareTables(prefix: string, tables: readonly string[], setCounts: Record<string, number>, actual: Record<string, number>): ValidationResult[] {
  const expected: Record<string, number> = {};
  const present: Record<string, number> = {};
  for (const t of tables) {
    const n = setCounts[t];
    if (n !== undefined) expected[t] = n;
    else if (actual[t] !== undefined) present[t] = actual[t];
  }
  const rest = Object.fromEntries(Object.entries(actual).filter(([t, n]) => !(t in present) && !(t === 'pg_largeobject_metadata' && n === 0)));
  return [...compareCounts(prefix, { ...expected }, rest), ...Object.entries(present).map(([table, n]) => ({
    name: `${prefix} ${table}`, ok: true, expected: 'present (no count in the set)', actual: `${n} rows`, ...said('validate.rows', { item: prefix, table, expected: n, actual: n }),
  }))];
}

async function pgCounts(host: RemoteHost, target: TargetInfo, db: string): Promise<Record<string, number>> {
  const pg = target.pg;
  if (!pg) return {};
  const r = await host.runChecked(`${psqlCommand(pg, db)} -f -`, { ...pgExecEnv(pg), label: 'psql', stdin: Readable.from([Buffer.from(PG_ROW_COUNTS_SQL)]) });
  return parseCounts(r.stdout.split('\n'));
}

/** Entries and regular-file bytes under the restored paths (tar archives each listed path itself, not its parents); a name with a line break counts once. */
async function fileCounts(host: RemoteHost, roots: string[]): Promise<{ entries: number; bytes: number }> {
  let entries = 0;
  let bytes = 0;
  for (const root of roots) {
    const r = await host.runChecked(
      `[ -e ${shq(root)} ] || exit 0; find ${shq(root)} -printf x | wc -c; find ${shq(root)} -type f -printf '%s\\n' | awk '{s+=$1} END {printf "%d\\n", s}'`,
      { label: 'find' },
    );
    const [e, b] = r.stdout.trim().split('\n');
    entries += Number(e ?? 0) || 0;
    bytes += Number(b ?? 0) || 0;
  }
  return { entries, bytes };
}

/** Every view, routine, trigger and event of `db`: `[what, definition]`. */
async function mysqlDefinitions(host: RemoteHost, my: MyConnection, db: string): Promise<Array<[string, string]>> {
  const q = mySqlString(db);
  const sql = [
    `SELECT HEX(CONCAT('view ', TABLE_NAME)), HEX(VIEW_DEFINITION) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ${q}`,
    `SELECT HEX(CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME)), HEX(ROUTINE_DEFINITION) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${q}`,
    `SELECT HEX(CONCAT('trigger ', TRIGGER_NAME)), HEX(ACTION_STATEMENT) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${q}`,
    `SELECT HEX(CONCAT('event ', EVENT_NAME)), HEX(EVENT_DEFINITION) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${q}`,
  ].join(' UNION ALL ');
  const unhex = (h: string | undefined): string => Buffer.from(h ?? '', 'hex').toString('utf8');
  return (await mysqlQuery(host, my, sql)).map((l) => l.split('\t')).map(([w, d]) => [unhex(w), unhex(d)]);
}

/**
 * A database restored under another name: none of its views, routines, triggers or events may still
 * name the original database (on the same server they would read or write production).
 */
async function mysqlDefinitionsCheck(host: RemoteHost, my: MyConnection, label: string, original: string, db: string): Promise<ValidationResult> {
  const left = (await mysqlDefinitions(host, my, db)).filter(([, d]) => leftoverReferences(d, original) > 0).map(([w]) => w);
  const objects = left.slice(0, 5).join(', ') + (left.length > 5 ? ', …' : '');
  return {
    name: `${label} definitions`, ok: left.length === 0, expected: `no reference to ${original}`, actual: left.length ? `${objects} name ${original}` : 'none',
    ...said('drill.validate.definitions', { database: db, original, objects }),
  };
}

/**
 * `fileRoots`: the top-level paths each files object holds (by key), when preflight read it
 * whole; without them, the source's paths in today's config are counted.
 */
export async function validateItems(host: RemoteHost, target: TargetInfo, items: RestoreItem[], config: Config, fileRoots: ReadonlyMap<string, string[]> = new Map()): Promise<ValidationResult[]> {
  const out: ValidationResult[] = [];
  for (const item of items) {
    if (item.skip || item.object.part === 'globals') continue;
    const label = `${item.source.name}.${item.object.part}`;
    try {
      if (item.type === 'postgres' && item.tables) {
        out.push(...compareTables(label, item.tables, item.object.rowCounts ?? {}, await pgCounts(host, target, item.destination)));
      } else if (item.type === 'postgres') {
        out.push(...compareCounts(label, item.object.rowCounts ?? {}, await pgCounts(host, target, item.destination)));
      } else if (item.type === 'mysql' && target.my) {
        out.push(...compareCounts(label, item.object.rowCounts ?? {}, await mysqlRowCounts(host, target.my, item.destination)));
        if (item.destination !== item.object.part) out.push(await mysqlDefinitionsCheck(host, target.my, label, item.object.part, item.destination));
      } else if (item.type === 'files') {
        const src = config.sources[item.source.name];
        const setRoots = fileRoots.get(item.object.key);
        const roots = item.paths
          ? item.paths.map((p) => joinPath(item.destination, p))
          : setRoots ? setRoots.map((p) => joinPath(item.destination, p)) : src?.type === 'files' ? src.paths.map((p) => joinPath(item.destination, p)) : [item.destination];
        const got = await fileCounts(host, roots);
        if (item.paths && !item.expected) continue; // format 1, one path: the tar's counts cover the whole tree
        const entries = item.expected?.entries ?? item.object.fileCount;
        const bytes = item.expected?.bytes ?? item.object.fileBytes;
        out.push({ name: `${label} file entries`, ok: got.entries === entries, expected: String(entries ?? '?'), actual: String(got.entries), ...said('validate.fileEntries', { item: label, expected: entries ?? '?', actual: got.entries }) });
        out.push({ name: `${label} file bytes`, ok: got.bytes === bytes, expected: String(bytes ?? '?'), actual: String(got.bytes), ...said('validate.fileBytes', { item: label, expected: bytes ?? '?', actual: got.bytes }) });
      }
    } catch (err) {
      out.push({ name: label, ok: false, expected: 'readable on the target', actual: toErrorInfo(err).message, ...said('validate.unreadable', { item: label }) });
    }
  }
  return out;
}

/** The target's configured checks; `database` names the source database (mapped to the restored name). */
export async function runTargetChecks(host: RemoteHost, target: TargetInfo, items: RestoreItem[], checks: RestoreTargetConfig['checks']): Promise<ValidationResult[]> {
  const out: ValidationResult[] = [];
  for (const c of checks) {
    try {
      if (c.sql) {
        const item = items.find((i) => !i.skip && i.type !== 'files' && i.object.part !== 'globals' && (c.database === undefined || i.object.part === c.database || i.destination === c.database));
        if (!item) { out.push({ name: c.name, ok: false, expected: c.expect ?? 'runs', actual: `no restored database ${c.database ?? ''}`, ...said('validate.targetCheck', { name: c.name }) }); continue; }
        let actual: string;
        if (item.type === 'postgres' && target.pg) {
          actual = (await host.runChecked(`${psqlCommand(target.pg, item.destination)} -c ${shq(c.sql)}`, { ...pgExecEnv(target.pg), label: 'psql' })).stdout.trim();
        } else if (target.my) {
          actual = (await host.runChecked(`${mysqlCommand(target.my, item.destination)} -e ${shq(c.sql)}`, { ...myEnv(target.my), label: 'mysql' })).stdout.trim();
        } else continue;
        out.push({ name: c.name, ok: c.expect === undefined || actual === c.expect, expected: c.expect ?? '(runs)', actual, ...said('validate.targetCheck', { name: c.name }) });
      }
      if (c.http) {
        const res = await fetch(c.http, { signal: AbortSignal.timeout(15_000) });
        const text = await res.text();
        const ok = res.ok && (c.expect === undefined || text.includes(c.expect));
        out.push({ name: c.name, ok, expected: `HTTP 2xx${c.expect ? ` containing "${c.expect}"` : ''}`, actual: `HTTP ${res.status}`, ...said('validate.targetCheck', { name: c.name }) });
      }
    } catch (err) {
      out.push({ name: c.name, ok: false, expected: c.expect ?? 'runs', actual: toErrorInfo(err).message, ...said('validate.targetCheck', { name: c.name }) });
    }
  }
  return out;
}
