/**
 * Single-table restore of a PostgreSQL dump (`cofre restore … --table schema.table`), into a
 * staging target only (documented choice: a table put back into a live production database
 * would have to be reconciled with every row written since, and with the foreign keys of the
 * tables around it — that is a decision for a person, made from the staging copy).
 *
 * The dump is streamed once (hash checked) into a `mktemp -d` folder on the target, its table
 * of contents is read with `pg_restore -l -v` (which prints each entry's dependencies), and a
 * list for `pg_restore -L` keeps the table, its data and what it needs and owns: its schema
 * (unless `public`), the types and sequences it uses (serial and identity columns, with their
 * current values), column defaults, primary/unique/check constraints, indexes, triggers and
 * comments. An entry that also needs an object left out (a foreign key to another table, a
 * trigger calling a function) is left out and named in the result's warnings. A table that is
 * not in the dump is refused before any database is created, with the dump's table names.
 */
import { Readable } from 'node:stream';
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { RemoteHost } from '../remote/types.js';
import { shJoin, shq } from '../remote/shell.js';
import { makeRemoteTempDir, safeFileName } from '../remote/temp.js';
import type { Manifest } from '../../shared/domain.js';
import type { PgConnection } from '../sources/postgres.js';
import { pgDbArgs, pgExecEnv, pgQuery, type PgRestoreMode } from './target.js';
import type { RestoreItem } from './types.js';
import { setIdOfKey } from './paths.js';

export interface TocEntry {
  id: number;
  /** e.g. TABLE, TABLE DATA, SEQUENCE SET, FK CONSTRAINT */
  desc: string;
  /** what follows the type: `<schema or -> <tag> <owner>` */
  rest: string;
  line: string;
  deps: number[];
}

/** Entry types of pg_dump's TOC, longest first (several contain spaces). */
const DESCS = [
  'MATERIALIZED VIEW DATA', 'SEQUENCE OWNED BY', 'DEFAULT ACL', 'CHECK CONSTRAINT', 'FK CONSTRAINT', 'MATERIALIZED VIEW', 'TABLE DATA', 'SEQUENCE SET',
  'ROW SECURITY', 'LARGE OBJECT', 'BLOB METADATA', 'FOREIGN TABLE', 'TABLE ATTACH', 'INDEX ATTACH', 'EVENT TRIGGER', 'SECURITY LABEL', 'SHELL TYPE',
  'CONSTRAINT', 'SEQUENCE', 'DEFAULT', 'TRIGGER', 'COMMENT', 'POLICY', 'INDEX', 'TABLE', 'SCHEMA', 'DOMAIN', 'TYPE', 'RULE', 'VIEW', 'ACL',
];

/** Parses `pg_restore -l -v` output: `<id>; <tableoid> <oid> <desc> <schema> <tag> <owner>` lines and their `;\tdepends on:` lines. */
export function parseToc(text: string): TocEntry[] {
  const out: TocEntry[] = [];
  for (const line of text.split('\n')) {
    const dep = /^;\s*depends on:\s*([\d ]*)$/.exec(line);
    if (dep) {
      const last = out[out.length - 1];
      if (last) last.deps.push(...(dep[1] ?? '').trim().split(/\s+/).filter(Boolean).map(Number));
      continue;
    }
    const m = /^(\d+); \d+ \d+ (.*)$/.exec(line);
    if (!m?.[2]) continue;
    const body = m[2];
    const desc = DESCS.find((d) => body.startsWith(`${d} `)) ?? body.split(' ')[0] ?? '';
    out.push({ id: Number(m[1]), desc, rest: body.slice(desc.length + 1), line, deps: [] });
  }
  return out;
}

/** The TOC's table names as `schema.table` (a name with spaces is split at its first space, which is right unless the schema has one). */
export function tocTables(toc: readonly TocEntry[]): string[] {
  return toc.filter((e) => e.desc === 'TABLE').map((e) => {
    const words = e.rest.split(' ');
    words.pop(); // owner
    const [schema, ...table] = words;
    return `${schema ?? ''}.${table.join(' ')}`;
  });
}

/** The TABLE entry named `schema.table` (the name may hold dots and spaces: every split at a dot is tried). */
export function findTable(toc: readonly TocEntry[], name: string): TocEntry | undefined {
  const splits: Array<[string, string]> = [];
  for (let i = name.indexOf('.'); i > 0; i = name.indexOf('.', i + 1)) splits.push([name.slice(0, i), name.slice(i + 1)]);
  return toc.find((e) => e.desc === 'TABLE' && splits.some(([schema, table]) => {
    const head = `${schema} ${table} `;
    return e.rest.startsWith(head) && !e.rest.slice(head.length).includes(' ');
  }));
}

/** Kinds pulled in when something kept needs them. */
const NEEDED = new Set(['SCHEMA', 'TYPE', 'DOMAIN', 'SEQUENCE', 'SHELL TYPE']);
/** Kinds kept when they depend on something kept (and everything else they need can be kept). */
const OWNED = new Set(['TABLE DATA', 'DEFAULT', 'CONSTRAINT', 'CHECK CONSTRAINT', 'FK CONSTRAINT', 'INDEX', 'SEQUENCE', 'SEQUENCE OWNED BY', 'SEQUENCE SET', 'TRIGGER', 'RULE', 'POLICY', 'ROW SECURITY', 'COMMENT']);
/** Settings pg_restore applies first, whatever the list. */
const SETTINGS = new Set(['ENCODING', 'STDSTRINGS', 'SEARCHPATH']);

function isPublicSchema(e: TocEntry): boolean {
  return e.desc === 'SCHEMA' && /^- public(?: |$)/.test(e.rest);
}

/** The entries restoring `tables` brings back (TOC order), and those depending on them that were left out. */
export function tableSelection(toc: readonly TocEntry[], tables: readonly TocEntry[]): { keep: TocEntry[]; leftOut: TocEntry[] } {
  const byId = new Map(toc.map((e) => [e.id, e]));
  const keep = new Set<number>();
  const anchors = new Set(tables.map((t) => t.id));
  const pull = (id: number): boolean => {
    if (keep.has(id)) return true;
    const e = byId.get(id);
    if (!e) return true; // not in the archive: nothing to restore for it
    if (isPublicSchema(e)) return true; // a new database has it
    if (!NEEDED.has(e.desc)) return false;
    keep.add(id);
    for (const d of e.deps) pull(d);
    return true;
  };
  /** whether every dependency is kept or can be pulled in (without pulling anything yet) */
  const satisfiable = (e: TocEntry): boolean => e.deps.every((d) => {
    const x = byId.get(d);
    return keep.has(d) || !x || isPublicSchema(x) || NEEDED.has(x.desc);
  });
  for (const t of tables) {
    keep.add(t.id);
    for (const d of t.deps) pull(d);
  }
  const leftOut = new Map<number, TocEntry>();
  for (let changed = true; changed;) {
    changed = false;
    for (const e of toc) {
      if (keep.has(e.id) || !OWNED.has(e.desc) || !e.deps.some((d) => keep.has(d) && byId.get(d)?.desc !== 'SCHEMA')) continue;
      if (!satisfiable(e)) {
        if (e.deps.some((d) => anchors.has(d))) leftOut.set(e.id, e);
        continue;
      }
      keep.add(e.id);
      for (const d of e.deps) pull(d);
      leftOut.delete(e.id);
      changed = true;
    }
  }
  for (const e of toc) if (SETTINGS.has(e.desc)) keep.add(e.id);
  return { keep: toc.filter((e) => keep.has(e.id)), leftOut: [...leftOut.values()] };
}

const LIST_LIMIT = 40;

function namesText(names: readonly string[]): string {
  return names.length === 0 ? '(none)' : `${names.slice(0, LIST_LIMIT).join(', ')}${names.length > LIST_LIMIT ? `, … (${names.length} in all)` : ''}`;
}

export function tableNotInDump(setId: string, table: string, known: readonly string[], where: string): CofreError {
  return new CofreError('INVALID_ARGUMENT', `table ${table} is not in ${where} of set ${setId}; its tables: ${namesText(known)}`, {
    hint: 'give one of those names as schema.table (the whole list is also in the rowCounts of the set\'s manifest.json, or `pg_restore -l` of the dump); nothing was restored',
    ...said('restore2.tableNotInDump', { table, setId }),
  });
}

/** Refuses what a single-table restore cannot do, before anything is read or touched. */
export function checkTableRequest(tables: readonly string[], o: { production: boolean; target: string; paths: boolean }): void {
  if (o.production) {
    throw new CofreError('INVALID_ARGUMENT', `--table restores into a staging target only; ${o.target} is a production target: nothing was touched`, {
      hint: 'restore the table into a staging target (--target <staging>), check it there, then copy the rows you need into production with psql',
      ...said('restore2.tableProduction', { target: o.target }),
    });
  }
  if (o.paths) {
    throw new CofreError('INVALID_ARGUMENT', '--table and --path cannot be combined in one restore', { hint: 'run one restore with --table and another with --path', ...said('restore2.tableWithPath') });
  }
  for (const t of tables) {
    const dot = t.indexOf('.');
    if (dot <= 0 || dot === t.length - 1) {
      throw new CofreError('INVALID_ARGUMENT', `--table ${t} is not schema.table`, { hint: 'give the schema too, e.g. --table public.pacientes', ...said('restore2.tableName', { table: t }) });
    }
  }
}

/**
 * Keeps the PostgreSQL database items that hold the asked tables (by the manifest's row counts,
 * taken in the dump's snapshot; an item without counts keeps every asked table, its TOC decides)
 * and names the tables each restores. Refuses a set without a PostgreSQL dump, and a table the
 * counts say no dump holds.
 */
export function narrowToTables(manifest: Manifest, items: RestoreItem[], tables: readonly string[]): RestoreItem[] {
  const dbs = items.filter((i) => i.type === 'postgres' && i.object.part !== 'globals');
  if (dbs.length === 0) {
    const kinds = manifest.sources.map((s) => `${s.name} (${s.type})`).join(', ');
    throw new CofreError('INVALID_ARGUMENT', `set ${manifest.setId} has no PostgreSQL dump to take a table from (its sources: ${kinds}); --table restores one table of a PostgreSQL database`, {
      hint: 'for MySQL, restore the whole database into staging (--sources <source>) and copy the table from there',
      ...said('restore2.tableNeedsPostgres', { setId: manifest.setId }),
    });
  }
  for (const t of tables) {
    if (dbs.some((i) => !i.object.rowCounts || t in i.object.rowCounts)) continue;
    const known = [...new Set(dbs.flatMap((i) => Object.keys(i.object.rowCounts ?? {})))].filter((k) => k !== 'pg_largeobject_metadata').sort();
    throw tableNotInDump(manifest.setId, t, known, `the PostgreSQL dump(s) (${dbs.map((i) => i.object.part).join(', ')})`);
  }
  const out: RestoreItem[] = [];
  for (const i of dbs) {
    const mine = tables.filter((t) => !i.object.rowCounts || t in i.object.rowCounts);
    if (mine.length) out.push({ ...i, tables: mine });
  }
  return out;
}

export interface TableRestore {
  host: RemoteHost;
  pg: PgConnection;
  /** owners and flags, as a whole-database restore into the same target (postgres.owner honoured) */
  mode: PgRestoreMode;
  restoreId: string;
  /** streams the decrypted, hash-checked dump into this command on the target */
  stage: (command: string) => Promise<void>;
}

/** Stages the dump, checks the TOC, creates the staging database and restores the table(s) into it. Returns warnings. */
export async function restoreTables(item: RestoreItem, o: TableRestore): Promise<string[]> {
  const tables = item.tables ?? [];
  const tmp = await makeRemoteTempDir(o.host, `/var/tmp/cofre-${o.restoreId}`);
  try {
    const file = `${tmp}/${safeFileName(item.object.part)}.pgdump`;
    const list = `${tmp}/list`;
    await o.stage(`cat > ${shq(file)}`);
    const toc = parseToc((await o.host.runChecked(`pg_restore -l -v -- ${shq(file)}`, { label: 'pg_restore -l' })).stdout);
    const found = tables.map((t) => ({ t, e: findTable(toc, t) }));
    const missing = found.find((f) => !f.e);
    if (missing) throw new TableRefused(tableNotInDump(setIdOfKey(item.object.key), missing.t, tocTables(toc).sort(), `the dump of database ${item.object.part}`));
    const { keep, leftOut } = tableSelection(toc, found.map((f) => f.e as TocEntry));
    await o.host.runChecked(`cat > ${shq(list)}`, { stdin: Readable.from([`${keep.map((e) => e.line).join('\n')}\n`]), label: 'cat (list)' });
    await pgQuery(o.host, o.pg, 'postgres', o.mode.createSql(item.destination));
    await o.host.runChecked(`pg_restore ${shJoin([...o.mode.flags, '-L', list, ...pgDbArgs(o.pg, item.destination), '--', file])}`, { ...pgExecEnv(o.pg), label: 'pg_restore' });
    return leftOut.length
      ? [`${item.destination}: left out, they need objects not restored: ${leftOut.map((e) => `${e.desc} ${e.rest.replace(/ \S*$/, '')}`).join('; ')}`]
      : [];
  } finally {
    await o.host.run(`rm -rf ${shq(tmp)}`).catch(() => undefined);
  }
}

/** A table refused after reading the TOC: nothing was created on the target (only a temp file, removed). */
export class TableRefused extends CofreError {
  constructor(e: CofreError) {
    super(e.code, e.message, { hint: e.hint, ...(e.key ? { key: e.key } : {}), ...(e.params ? { params: e.params } : {}) });
  }
}

