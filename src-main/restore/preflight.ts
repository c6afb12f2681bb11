/**
 * Preflight: everything that can be checked before the target is touched. Each check is
 * {name, ok, status, message}; the restore stops on any failed one. Nothing here writes to the
 * target (only reads: versions, df, catalog queries, a psql probe; those known in advance are
 * asked in one command) or to storage. Before a
 * production restore every object is read whole from storage (hash, decryption, content), so
 * nothing unverified reaches production; the projection counts the time that read takes.
 */
import { Readable, Writable } from 'node:stream';
import { toErrorInfo, type ErrorInfo } from '../errors.js';
import { said, type CatalogKey } from '../../shared/i18n/catalog.js';
import type { RemoteHost, ServerSpec } from '../remote/types.js';
import { connectServer } from '../remote/connect.js';
import { shq } from '../remote/shell.js';
import type { Storage } from '../storage/types.js';
import { createDecryptStream } from '../crypto/age.js';
import type { Catalog } from '../catalog/catalog.js';
import { formatBytes, formatDuration, formatRate } from '../../shared/format.js';
import type { CheckStatus } from '../../shared/domain.js';
import { bufferInspector, readStoredObject, sinkInspector, type Inspector, type ReadOutcome } from '../backup/object-reader.js';
import { describeRead } from '../backup/verify.js';
import { TarCounter } from '../sources/tar-counter.js';
import type { ProgressListener } from '../util/progress.js';
import { shJoin } from '../remote/shell.js';
import { checkGlobalsScript, MAX_GLOBALS_BYTES, refusedGlobalsMessage, RESTRICT_PROBE } from './globals.js';
import { pgQuery, mysqlCommand, myEnv, pgDbArgs, pgExecEnv, pgString, type TargetInfo } from './target.js';
import { mySqlString } from '../sources/mysql.js';
import { preflightOriginalNames, usesOriginalNames, type OriginalNamesContext } from './original-names.js';
import { extract as tarExtract } from 'tar-stream';
import { IndexLineReader, isCompressedIndex, type IndexEntry } from '../files2/index-format.js';
import { zstdInspector } from '../backup/zstd-inspector.js';
import { IndexSelection, type PreparedSelection } from '../files2/restore.js';
import type { Spool } from '../files2/spool.js';
import { HeldPaths, isUnder, missingPaths, pathsCheck, setIdOfKey, type MissingPath } from './paths.js';
import { normalizeMember } from '../sources/tar-counter.js';
import { answering, runProbes } from './target-probes.js';
import { needsZstd, zstdOnTarget } from './zstd-on-target.js';
import { zstdAvailableHere } from '../files2/pack-filter.js';
import { DEFAULT_RESTORE_RATE, RTO_BUDGET_MS, type CheckResult, type ExistingPolicy, type Projection, type RestoreItem } from './types.js';

export async function checkReachable(spec: ServerSpec): Promise<{ check: CheckResult; host?: RemoteHost }> {
  try {
    const host = await connectServer(spec);
    const message = spec.kind === 'local'
      ? `${spec.name} is this machine (kind: local); commands run as ${host.user}`
      : `${spec.name} (${spec.host}:${spec.port}) answered with the pinned host key ${host.hostKeyFingerprint}`;
    return { host, check: { name: 'target reachable', ok: true, message, ...said('check.target.reachable', { target: spec.name }) } };
  } catch (err) {
    const e = toErrorInfo(err);
    return { check: { name: 'target reachable', ok: false, message: `${e.message}${e.hint ? ` (${e.hint})` : ''}`, ...said('check.target.reachable', { target: spec.name }), cause: e } };
  }
}

/** Major version from `pg_dump (PostgreSQL) 15.14 (Debian …)` or `psql (PostgreSQL) 16.2`. */
export function pgMajor(version: string | undefined): number | undefined {
  const m = /PostgreSQL\)?\s+(\d+)(?:\.(\d+))?/.exec(version ?? '');
  if (!m?.[1]) return undefined;
  const major = Number(m[1]);
  // before 10, the major was two numbers (9.6)
  return major < 10 && m[2] !== undefined ? Number(`${major}.${m[2]}`) : major;
}

const PG_TOOLS_PROBE = 'pg_restore --version && psql --version';
const MYSQL_PROBE = 'mysql --version';
const ZSTD_PROBE = 'zstd --version';

/**
 * The target's tools for these items. `zstdNeeded`: whether the transfer will run zstd there
 * (zstdOnTarget, once the index was read); without it, any compressed object asks for zstd.
 */
export async function checkTools(host: RemoteHost, items: RestoreItem[], zstdNeeded = items.some((i) => !i.skip && needsZstd(i))): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const types = new Set(items.filter((i) => !i.skip).map((i) => i.type));
  if (types.has('postgres')) {
    const r = await host.run(PG_TOOLS_PROBE);
    const have = r.stdout.split('\n')[0]?.trim() ?? '';
    const haveMajor = pgMajor(have);
    if (r.code !== 0 || haveMajor === undefined) {
      out.push({ name: 'pg_restore', ok: false, message: `pg_restore/psql not found on the target (${r.stderr.trim() || 'no output'})`, ...said('check.pgRestoreMissing') });
    } else {
      const needed = Math.max(...items.filter((i) => i.type === 'postgres').map((i) => pgMajor(i.source.toolVersion) ?? 0));
      out.push(
        haveMajor >= needed
          ? { name: 'pg_restore', ok: true, message: `${have} reads dumps of pg_dump ${needed || '?'}`, ...said('check.pgRestore', { needed }) }
          : { name: 'pg_restore', ok: false, message: `${have} is older than the pg_dump ${needed} that made the set: it cannot read the dump. Install PostgreSQL ${needed} client tools (or newer) on the target`, ...said('check.pgRestore', { needed }) },
      );
    }
  }
  if (types.has('mysql')) {
    const r = await host.run(MYSQL_PROBE);
    out.push({ ...(r.code === 0 ? { name: 'mysql client', ok: true, message: r.stdout.trim() } : { name: 'mysql client', ok: false, message: 'the mysql client is not installed on the target (apt install mariadb-client)' }), ...said('check.mysqlClient') });
  }
  if (zstdNeeded) {
    const r = await host.run(ZSTD_PROBE);
    out.push(r.code === 0
      ? { name: 'zstd', ok: true, message: r.stdout.trim().replace(/^\*+\s*|\s*\*+$/g, ''), ...said('check.zstd') }
      : { name: 'zstd', ok: false, message: 'zstd is not installed on the target, and the set holds compressed objects: install it (apt install zstd)', ...said('check.zstd') });
  }
  if (types.has('files')) out.push(tarCheck(await host.run(TAR_PROBE)));
  return out;
}

/** Exit 127 without tar; else the first line of `tar --version` (a tar without that option says so there). */
export const TAR_PROBE = 'command -v tar >/dev/null 2>&1 || exit 127; tar --version 2>&1 | head -n 1';

/**
 * Files are restored with GNU tar: placement (`PLACE_SH`) writes pax headers and extracts with
 * `-P`, format 1 and the safety copy use GNU long options. BusyBox tar and bsdtar refuse or
 * misread those, so another tar fails the preflight, naming what was found.
 */
export function tarCheck(r: { code: number | null; stdout: string }): CheckResult {
  if (r.code === 127) return { name: 'tar', ok: false, message: 'tar is not installed on the target: install GNU tar (Debian/Ubuntu: apt install tar)', ...said('check.tar') };
  const first = r.stdout.split('\n')[0]?.trim() ?? '';
  if (r.code === 0 && /^tar \(GNU tar\) \d/.test(first)) return { name: 'tar', ok: true, message: first, ...said('check.gnuTar') };
  return {
    name: 'tar', ok: false,
    message: `the target's tar is not GNU tar (\`tar --version\` says: ${first || 'nothing'}): restoring files needs GNU tar (pax headers, -P); install it on the target (Debian/Ubuntu: apt install tar; Alpine: apk add tar) and run the restore again`,
    ...said('check.gnuTar'),
  };
}

export { needsZstd };

/** The object the identity check decrypts: the smallest of the set. */
function identityProbeItem(items: readonly RestoreItem[]): RestoreItem | undefined {
  return [...items].sort((a, b) => a.object.bytes - b.object.bytes)[0];
}

/**
 * The identity check judged from the whole read of its object (a format-2 index is read whole
 * anyway): the identity opens it when any plaintext came out, as `checkIdentity` asks of the first chunk.
 */
function identityFromRead(item: RestoreItem, r: ReadOutcome<unknown>): CheckResult {
  const key = said('check.identity');
  const name = item.object.key.split('/').pop() ?? item.object.key;
  const e = r.decryptCause;
  if (e && r.plainBytes === 0) return { name: 'identity decrypts the set', ok: false, message: `${name}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`, ...key, cause: e };
  return { name: 'identity decrypts the set', ok: true, message: `the configured identity opens ${name}`, ...key };
}

/** Decrypts the header (and first chunk) of the smallest object: proves the identity opens the set. */
export async function checkIdentity(storage: Storage, items: RestoreItem[], identities: string[] | undefined, identityError?: string | ErrorInfo): Promise<CheckResult> {
  const key = said('check.identity');
  if (!identities) {
    const cause = typeof identityError === 'object' ? identityError : undefined;
    return { name: 'identity decrypts the set', ok: false, message: (typeof identityError === 'string' ? identityError : identityError?.message) ?? 'no identity', ...key, ...(cause ? { cause } : {}) };
  }
  const smallest = identityProbeItem(items);
  if (!smallest) return { name: 'identity decrypts the set', ok: false, message: 'no object', ...key };
  const name = smallest.object.key.split('/').pop() ?? smallest.object.key;
  let body: Readable | undefined;
  try {
    body = await storage.get(smallest.object.key);
    const decrypt = createDecryptStream(identities);
    await new Promise<void>((resolve, reject) => {
      decrypt.once('data', () => resolve());
      decrypt.once('end', () => resolve());
      decrypt.once('error', reject);
      body?.once('error', reject);
      body?.pipe(decrypt);
    });
    decrypt.destroy();
    return { name: 'identity decrypts the set', ok: true, message: `the configured identity opens ${name}`, ...key };
  } catch (err) {
    const e = toErrorInfo(err);
    return { name: 'identity decrypts the set', ok: false, message: `${name}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`, ...key, cause: e };
  } finally {
    body?.destroy();
  }
}

/** What a whole read of the objects found beyond the checks: what the later phases need. */
export interface ObjectFindings {
  /** files objects: the tar's top-level member paths, or (format 2) the index's (the production safety copy covers them), by object key */
  fileRoots: Map<string, string[]>;
  /** files items with `--path`: the asked paths the set does not hold, by object key */
  missingPaths: Map<string, MissingPath[]>;
  /** the globals dump holds `\restrict` (the target's psql must know it) */
  globalsRestrict: boolean;
  /** format-2 items, with a spool: what the transfer needs of each index (read once, here), by object key */
  prepared: Map<string, PreparedSelection>;
  /** stored bytes read whole and the time it took (the projection of the next restore uses it) */
  readBytes: number;
  readMs: number;
}

type Finding = { status: CheckStatus; message: string; roots?: string[]; restrict?: boolean; missing?: MissingPath[]; prepared?: PreparedSelection };

function objectCheck(name: string, status: CheckStatus, message: string, key: CatalogKey = 'check.object'): CheckResult {
  return { name: `object ${name}`, ok: status === 'ok', status, message, ...said(status === 'unchecked' ? 'check.contentUnchecked' : key, { object: name }) };
}

/** What a whole read looks at in each object's plaintext, by the kind of item. */
function inspectorFor(item: RestoreItem, keep: string | undefined): Inspector<Finding> {
  const o = item.object;
  if (item.type === 'files' && o.format === 'files-v2') {
    if (!isCompressedIndex(o.key)) return indexRootsInspector(item, keep);
    return zstdInspector(indexRootsInspector(item, keep), {
      missing: () => ({ status: 'failed', message: 'zstd is not installed on this computer: it is needed to read the compressed index (apt install zstd)' }),
      failed: (m) => ({ status: 'failed', message: `the index does not decompress (zstd: ${m})` }),
    });
  }
  if (item.type === 'files' && o.format === 'tar') {
    const counter = new TarCounter({ collectRoots: true });
    const asked = item.paths ? askedPathsWatcher(counter, item.paths) : undefined;
    if (!asked) counter.resume();
    return sinkInspector(counter, async () => {
      const missing = asked ? await asked : undefined;
      const { entries, fileBytes } = counter.counts;
      if (entries !== o.fileCount || fileBytes !== o.fileBytes) {
        return { status: 'failed', message: `the tar lists ${entries} entries and ${fileBytes} file bytes, the manifest ${o.fileCount} and ${o.fileBytes}` };
      }
      const bad = counter.roots.find((r) => r.split('/').includes('..'));
      if (counter.rootsOverflow || bad !== undefined) {
        return { status: 'failed', message: counter.rootsOverflow ? 'the tar has more top-level paths than any set Cofre makes' : 'the tar holds a path with ".." (not one Cofre makes)' };
      }
      return { status: 'ok', message: `tar lists ${entries} entries under ${counter.roots.length} top-level path(s)`, roots: [...counter.roots], ...(missing ? { missing } : {}) };
    });
  }
  if (item.type === 'postgres' && o.part === 'globals') {
    const buffer = bufferInspector(MAX_GLOBALS_BYTES);
    return {
      ...buffer,
      async result() {
        const { data, bytes, overflow } = await buffer.result();
        if (overflow) return { status: 'failed', message: `the globals dump is ${formatBytes(bytes)}, more than pg_dumpall writes for roles (limit ${formatBytes(MAX_GLOBALS_BYTES)}): refused` };
        const v = checkGlobalsScript(data.toString('utf8'));
        if (!v.ok) return { status: 'failed', message: refusedGlobalsMessage('the globals dump', v) };
        return { status: 'ok', message: `roles script holds SQL only${v.restrict ? ' (and the \\restrict pair)' : ''}`, restrict: v.restrict };
      },
    };
  }
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  return { stream: sink, abort: () => sink.destroy(), result: () => Promise.resolve({ status: 'ok', message: 'decrypts to the recorded size' }) };
}

/**
 * Format 2: the index streamed whole (nothing kept per entry): every line parses, its counts equal
 * the manifest's, its top-level paths and the asked paths it lacks. With `keep`, the selection a
 * restore needs goes to that private file as it passes, so the transfer does not read it again.
 */
function indexRootsInspector(item: RestoreItem, keep: string | undefined): Inspector<Finding> {
  const o = item.object;
  const reader = new IndexLineReader();
  const held = new HeldPaths(item.paths);
  const counts = { entries: 0, bytes: 0 };
  const selection = keep ? new IndexSelection(keep, item.paths) : undefined;
  let failure: string | undefined;
  const take = async (lines: Iterable<{ entry: IndexEntry; line: string }>): Promise<void> => {
    try {
      for (const { entry, line } of lines) {
        held.add(entry.path);
        if (entry.type !== 'o') {
          counts.entries++;
          if (entry.type === 'f' || entry.type === 'h') counts.bytes += entry.size;
        }
        if (selection && !selection.add(entry, line)) await selection.drained();
      }
    } catch (err) {
      // the rest still flows through (the hash covers every byte); the verdict is this failure
      failure ??= toErrorInfo(err).message;
      selection?.abort();
    }
  };
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      if (failure !== undefined) { cb(); return; }
      void take(reader.push(chunk)).then(() => cb());
    },
    final(cb) {
      if (failure !== undefined) { cb(); return; }
      void take(reader.end()).then(() => cb());
    },
  });
  const inspector = sinkInspector(sink, async (): Promise<Finding> => {
    if (failure !== undefined) return { status: 'failed', message: failure };
    if (counts.entries !== o.fileCount || counts.bytes !== o.fileBytes) {
      selection?.abort();
      return { status: 'failed', message: `the index lists ${counts.entries} entries and ${counts.bytes} file bytes, the manifest ${o.fileCount} and ${o.fileBytes}` };
    }
    const roots = held.topLevel();
    const prepared = selection ? await selection.finish() : undefined;
    return { status: 'ok', message: `index lists ${held.count} entries under ${roots.length} top-level path(s)`, roots, missing: held.missing(), ...(prepared ? { prepared } : {}) };
  });
  return { ...inspector, abort: () => { inspector.abort(); selection?.abort(); } };
}

/**
 * Format 1 with `--path`: the tar's member names, as they pass, against the asked paths; resolves
 * with the asked paths no member matches (keeping only the members above them, for a hint).
 */
function askedPathsWatcher(counter: TarCounter, asked: readonly string[]): Promise<MissingPath[]> {
  const found = new Set<string>();
  const above: string[] = [];
  const ex = tarExtract();
  ex.on('entry', (header, stream, next) => {
    const path = `/${normalizeMember(header.name)}`;
    for (const q of asked) {
      if (isUnder(path, q)) found.add(q);
      else if (isUnder(q, path) && header.type === 'directory') above.push(path);
    }
    stream.on('end', () => next());
    stream.resume();
  });
  counter.pipe(ex);
  return new Promise((resolve) => {
    const done = (): void => resolve(missingPaths(asked.filter((q) => !found.has(q)), above));
    ex.on('finish', done);
    ex.on('error', () => {
      // a member the parser cannot read: the counter's own checks judge the tar; keep it flowing
      counter.unpipe(ex);
      counter.resume();
      done();
    });
    counter.on('error', done);
  });
}

/**
 * Sizes (always) and, with `fullRead`, every object read whole from storage: SHA-256 of every
 * stored byte, decryption of every byte, the tar's top-level paths and the globals script
 * checked. A production restore always reads whole: nothing reaches it unverified.
 */
export async function checkObjects(
  storage: Storage,
  items: RestoreItem[],
  opts: {
    fullRead: boolean; identities: string[] | undefined; onProgress?: ProgressListener | undefined; spool?: Spool | undefined;
    /** every whole read, as it ends (the identity check reuses the read of its object) */
    onRead?: ((key: string, r: ReadOutcome<Finding>) => void) | undefined;
  },
): Promise<{ checks: CheckResult[]; findings: ObjectFindings }> {
  const checks: CheckResult[] = [];
  const findings: ObjectFindings = { fileRoots: new Map(), missingPaths: new Map(), prepared: new Map(), globalsRestrict: false, readBytes: 0, readMs: 0 };
  for (const [n, item] of items.entries()) {
    const o = item.object;
    const name = o.key.split('/').pop() ?? o.key;
    try {
      const head = await storage.head(o.key);
      if (!head) { checks.push(objectCheck(name, 'failed', 'missing from storage', 'check.objectMissing')); continue; }
      if (head.bytes !== o.bytes) { checks.push(objectCheck(name, 'failed', `stored size ${head.bytes} differs from the manifest's ${o.bytes}`, 'check.objectSize')); continue; }
      // a format-2 index is small: always read whole (its top-level paths, the asked paths it lacks)
      if (!opts.fullRead && o.format !== 'files-v2') { checks.push(objectCheck(name, 'ok', `${formatBytes(o.bytes)}, size matches (hash checked during transfer)`, 'check.objectSize')); continue; }
      if (!opts.identities) { checks.push(objectCheck(name, 'failed', 'not read: the identity that decrypts it is not available (see the identity check)')); continue; }
      const keep = opts.spool && o.format === 'files-v2' ? opts.spool.file(`index-${n}`) : undefined;
      const r = await readStoredObject(storage, o, opts.identities, inspectorFor(item, keep), { onProgress: opts.onProgress, phase: 'preflight' });
      opts.onRead?.(o.key, r);
      findings.readBytes += r.storedBytes;
      findings.readMs += r.durationMs;
      const described = describeRead(`object ${name}`, o, r);
      if (described.status !== 'ok' || !r.inspected) { checks.push({ ...described, ...said(described.status === 'unchecked' ? 'check.contentUnchecked' : 'check.objectHash', { object: name }) }); continue; }
      if (r.inspected.roots) findings.fileRoots.set(o.key, r.inspected.roots);
      if (r.inspected.prepared && r.inspected.status === 'ok') findings.prepared.set(o.key, r.inspected.prepared);
      if (r.inspected.missing && item.paths) {
        findings.missingPaths.set(o.key, r.inspected.missing);
        checks.push(pathsCheck(setIdOfKey(o.key), item.source.name, r.inspected.missing, item.paths));
      }
      if (r.inspected.restrict) findings.globalsRestrict = true;
      checks.push(objectCheck(name, r.inspected.status, `${formatBytes(o.bytes)} read whole: SHA-256 matches the manifest, every byte decrypts; ${r.inspected.message}`));
    } catch (err) {
      const e = toErrorInfo(err);
      checks.push({ ...objectCheck(name, 'failed', e.message), cause: e });
    }
  }
  return { checks, findings };
}


/** The dump's `\restrict` lines need a psql that knows them (PostgreSQL 13.22/14.19/15.14/16.10/17.6 or later). */
export async function checkPsqlRestrict(host: RemoteHost, target: TargetInfo): Promise<CheckResult> {
  const name = 'psql knows \\restrict';
  if (!target.pg) return { name, ok: false, status: 'failed', message: 'the target has no postgres' };
  const r = await host.run(`psql -X -q -v ON_ERROR_STOP=1 ${shJoin(pgDbArgs(target.pg, 'postgres'))} -f -`, { stdin: Readable.from([RESTRICT_PROBE]), ...pgExecEnv(target.pg), label: 'psql' });
  return r.code === 0
    ? { name, ok: true, status: 'ok', message: 'the target\'s psql applies the \\restrict/\\unrestrict lines of the roles dump' }
    : { name, ok: false, status: 'failed', message: `the roles dump starts with \\restrict, which the target's psql does not know (${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}): update the PostgreSQL client on the target to 13.22/14.19/15.14/16.10/17.6 or later` };
}

/** Staging `postgres.owner`: the role exists on the target and the restoring user may act as it (pg_restore --role). */
export async function checkPgOwner(host: RemoteHost, target: TargetInfo, owner: string): Promise<CheckResult> {
  const name = `owner ${owner}`;
  const ref = said('drill.check.pgOwner', { role: owner, user: target.pg?.user ?? '?' });
  if (!target.pg) return { name, ok: false, status: 'failed', message: 'the target has no postgres', ...ref };
  try {
    const [row] = await pgQuery(host, target.pg, 'postgres', `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${pgString(owner)}) THEN 'missing' WHEN pg_has_role(current_user, ${pgString(owner)}, 'MEMBER') THEN 'ok' ELSE 'not member' END`);
    if (row === 'ok') return { name, ok: true, status: 'ok', message: `the restored databases and their objects will belong to ${owner}`, ...ref };
    const why = row === 'missing' ? `the role ${owner} does not exist on the target` : `${target.pg.user} is not a member of ${owner} (pg_restore --role needs it)`;
    return { name, ok: false, status: 'failed', message: `${why}: create it, or change restoreTargets.${target.name}.postgres.owner`, ...ref };
  } catch (err) {
    return { name, ok: false, status: 'failed', message: `could not check the role ${owner}: ${toErrorInfo(err).message}`, ...ref };
  }
}

/** Space a restored object needs on disk (heuristic: pg custom dumps are compressed ~3×, indexes rebuilt). */
export function neededBytes(item: RestoreItem): number {
  const o = item.object;
  if (item.type === 'files') return (o.fileBytes ?? o.plainBytes) + (o.fileCount ?? 0) * 4096;
  if (o.format === 'pgdump') return o.plainBytes * 3;
  // a zstd SQL dump is ~5× smaller than its SQL (bench/mysql-zstd.ts), plus the same 1.2 for indexes
  if (o.format === 'sql.zst') return o.plainBytes * 6;
  return Math.ceil(o.plainBytes * 1.2);
}

export const NEAREST_EXISTING = (p: string): string => `p=${shq(p)}; while [ ! -e "$p" ]; do p=$(dirname "$p"); done; df -Pk "$p" | tail -n 1`;

async function dfOf(host: RemoteHost, path: string): Promise<{ mount: string; availBytes: number } | undefined> {
  const r = await host.run(NEAREST_EXISTING(path));
  // df's line is the last one (a probe script's answer carries df's warnings too, before it)
  const cols = (r.stdout.trim().split('\n').pop() ?? '').trim().split(/\s+/);
  if (r.code !== 0 || cols.length < 6) return undefined;
  return { mount: cols[cols.length - 1] ?? path, availBytes: Number(cols[3]) * 1024 };
}

export async function checkDiskSpace(host: RemoteHost, target: TargetInfo, items: RestoreItem[], jobs: number): Promise<CheckResult[]> {
  const needs = new Map<string, { avail: number; need: number; what: string[] }>();
  const notes: string[] = [];
  const add = async (path: string | undefined, bytes: number, what: string): Promise<void> => {
    if (!path) { notes.push(`${what}: data folder unknown, not checked`); return; }
    const df = await dfOf(host, path);
    if (!df) { notes.push(`${what}: df failed on ${path}, not checked`); return; }
    const e = needs.get(df.mount) ?? { avail: df.availBytes, need: 0, what: [] };
    e.need += bytes;
    e.what.push(what);
    needs.set(df.mount, e);
  };
  let pgData: string | undefined;
  let myData: string | undefined;
  if (target.pg && items.some((i) => i.type === 'postgres' && !i.skip)) {
    pgData = (await pgQuery(host, target.pg, 'postgres', 'SHOW data_directory').catch(() => []))[0];
  }
  if (target.my && items.some((i) => i.type === 'mysql')) {
    const r = await host.run(`${mysqlCommand(target.my)} -e 'SELECT @@datadir'`, { ...myEnv(target.my) });
    myData = r.code === 0 ? r.stdout.trim() : undefined;
  }
  for (const item of items) {
    if (item.skip) continue;
    const what = `${item.source.name}.${item.object.part}`;
    if (item.type === 'postgres') {
      await add(pgData, neededBytes(item), what);
      if (jobs > 1 && item.object.format === 'pgdump') await add('/var/tmp', item.object.plainBytes, `${what} (temp file for -j)`);
    } else if (item.type === 'mysql') await add(myData, neededBytes(item), what);
    else await add(item.destination, neededBytes(item), what);
  }
  const out: CheckResult[] = [];
  for (const [mount, e] of needs) {
    const space = said('check.diskSpace', { mount, free: formatBytes(e.avail), need: formatBytes(e.need) });
    out.push(e.need <= e.avail
      ? { name: `disk space ${mount}`, ok: true, message: `${formatBytes(e.avail)} free, about ${formatBytes(e.need)} needed (${e.what.join(', ')})`, ...space }
      : { name: `disk space ${mount}`, ok: false, message: `only ${formatBytes(e.avail)} free on ${mount}, about ${formatBytes(e.need)} needed for ${e.what.join(', ')}: free space or grow the disk first`, ...space });
  }
  if (notes.length) out.push({ name: 'disk space (databases)', ok: true, message: notes.join('; '), ...said('check.diskUnknown') });
  return out;
}

const existsProbe = (path: string): string => `[ -e ${shq(path)} ] && echo yes`;

/**
 * The target probes a preflight knows before reading anything (tools, the free space and existence
 * of files destinations), asked in one remote command (runProbes) while storage is read; the
 * checks then get their answers from it. What depends on a database query is asked on its own.
 */
export function knownProbes(items: readonly RestoreItem[], target: TargetInfo): string[] {
  const live = items.filter((i) => !i.skip);
  const types = new Set(live.map((i) => i.type));
  return [
    ...(types.has('postgres') ? [PG_TOOLS_PROBE] : []),
    ...(types.has('mysql') ? [MYSQL_PROBE] : []),
    // asked whenever zstd may be needed: whether it is, the index tells later
    ...(live.some(needsZstd) ? [ZSTD_PROBE] : []),
    ...(types.has('files') ? [TAR_PROBE] : []),
    ...live.filter((i) => i.type === 'files').flatMap((i) => [
      NEAREST_EXISTING(i.destination),
      ...(target.config.kind === 'production' || i.object.part === 'globals' ? [] : [existsProbe(i.destination)]),
    ]),
  ];
}

/** Staging never overwrites: existing databases/folders with the restore's names are refused or renamed. */
export async function checkDestinations(host: RemoteHost, target: TargetInfo, items: RestoreItem[], policy: ExistingPolicy): Promise<CheckResult[]> {
  const production = target.config.kind === 'production';
  const out: CheckResult[] = [];
  for (const item of items) {
    if (item.skip || item.object.part === 'globals') continue;
    let exists = false;
    if (item.type === 'postgres' && target.pg) {
      exists = (await pgQuery(host, target.pg, 'postgres', `SELECT 1 FROM pg_database WHERE datname = ${pgString(item.destination)}`)).length > 0;
    } else if (item.type === 'mysql' && target.my) {
      const r = await host.runChecked(`${mysqlCommand(target.my)} -e ${shq(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${mySqlString(item.destination)}`)}`, { ...myEnv(target.my), label: 'mysql' });
      exists = r.stdout.trim().length > 0;
    } else if (item.type === 'files') {
      const r = await host.run(production ? 'true' : existsProbe(item.destination));
      exists = r.stdout.trim() === 'yes';
    }
    const what = item.type === 'files' ? `folder ${item.destination}` : `${item.type} database ${item.destination}`;
    const name = `destination ${item.destination}`;
    if (production) {
      out.push({ name, ok: true, message: item.type === 'files' ? `files are extracted over ${item.destination} (a safety copy of the paths overwritten is taken first)` : exists ? `${what} exists: a safety dump is taken, then it is replaced` : `${what} does not exist: it is created`, ...said(exists || item.type === 'files' ? 'check.destination.replace' : 'check.destination.new', { destination: item.destination }) });
    } else if (!exists) {
      out.push({ name, ok: true, message: `${what} does not exist yet: it is created`, ...said('check.destination.new', { destination: item.destination }) });
    } else if (policy === 'rename') {
      out.push({ name, ok: true, message: `${what} exists: it is renamed aside before the restore`, ...said('check.destination.rename', { destination: item.destination }) });
    } else {
      out.push({ name, ok: false, message: `${what} already exists on the staging target; Cofre never overwrites it. Drop or rename it first (or pass --rename-existing)`, ...said('check.destination.exists', { destination: item.destination }) });
    }
  }
  return out;
}

/** The median of a numeric field of previous successful restores/drills' details, newest ten. */
function measured(catalog: Catalog, field: 'transferRate' | 'verifyRate'): number | undefined {
  const rates: number[] = [];
  for (const r of catalog.listRuns({ kind: ['restore', 'drill'], status: 'succeeded', limit: 10 })) {
    const d = r.details as Record<string, unknown> | null;
    const v = d?.[field];
    if (typeof v === 'number' && v > 0) rates.push(v);
  }
  if (rates.length === 0) return undefined;
  rates.sort((a, b) => a - b);
  return rates[Math.floor((rates.length - 1) / 2)];
}

/** Bytes per second of previous successful restores/drills (stored bytes during transfer). */
export function measuredRate(catalog: Catalog): number | undefined {
  return measured(catalog, 'transferRate');
}

/** Bytes per second of previous preflight whole reads (storage → hash → decrypt). */
export function measuredVerifyRate(catalog: Catalog): number | undefined {
  return measured(catalog, 'verifyRate');
}

/**
 * Time to move `totalBytes`, plus (`verify`) the whole read of those bytes in preflight that a
 * production restore makes first; read at the measured verify rate, else the transfer rate.
 */
export function project(totalBytes: number, rate: number | undefined, elapsedMs: number, verify?: { rate: number | undefined }): Projection {
  const bytesPerSecond = rate ?? DEFAULT_RESTORE_RATE;
  const transferMs = Math.round((totalBytes / bytesPerSecond) * 1000);
  const verifyRate = verify ? (verify.rate ?? bytesPerSecond) : undefined;
  const verifyMs = verifyRate ? Math.round((totalBytes / verifyRate) * 1000) : 0;
  const projectedMs = transferMs + verifyMs;
  return {
    totalBytes, bytesPerSecond, rateSource: rate === undefined ? 'default' : 'previous restores', projectedMs, elapsedMs,
    budgetMs: RTO_BUDGET_MS, overBudget: elapsedMs + projectedMs > RTO_BUDGET_MS,
    ...(verifyRate ? { verifyBytes: totalBytes, verifyMs, verifyBytesPerSecond: verifyRate } : {}),
  };
}

export function describeProjection(p: Projection): string {
  const verify = p.verifyMs !== undefined && p.verifyBytesPerSecond !== undefined
    ? `; plus reading and hashing every object whole first: ${formatBytes(p.verifyBytes ?? p.totalBytes)} at ${formatRate(p.verifyBytesPerSecond)} ≈ ${formatDuration(p.verifyMs)}; total ≈ ${formatDuration(p.projectedMs)}`
    : '';
  const transferMs = p.projectedMs - (p.verifyMs ?? 0);
  return `projection: ${formatBytes(p.totalBytes)} at ${formatRate(p.bytesPerSecond)} (${p.rateSource}) ≈ ${formatDuration(transferMs)}${verify}; elapsed ${formatDuration(p.elapsedMs)}; RTO budget ${formatDuration(p.budgetMs)}${p.overBudget ? ' — WARNING: projected total exceeds the 4 h RTO' : ''}`;
}

export interface PreflightInput {
  /** the connected target, or undefined when it could not be reached (host checks are skipped); a promise: storage is read while it connects */
  host: RemoteHost | undefined | Promise<RemoteHost | undefined>;
  storage: Storage;
  target: TargetInfo;
  items: RestoreItem[];
  /** read every object whole now (hash, decryption, content); always done for production targets */
  verifyHashes: boolean;
  jobs: number;
  existing: ExistingPolicy;
  catalog: Catalog;
  elapsedMs: number;
  /** staging targets with `names: original`: the config and environment to ask the sources' servers, and the aside suffix */
  original?: OriginalNamesContext | undefined;
  /** the restore's private spool: format-2 index selections are kept there for the transfer (absent: a check only) */
  spool?: Spool | undefined;
  /** loads the age identities; its error becomes a failed check, not an exception */
  identities: () => Promise<string[]>;
  onProgress?: ProgressListener | undefined;
}

export interface PreflightOutcome {
  checks: CheckResult[];
  identities?: string[];
  projection: Projection;
  findings: ObjectFindings;
}

/** Every preflight check after reachability, and the projection against the RTO budget. */
export async function runPreflightChecks(i: PreflightInput): Promise<PreflightOutcome> {
  // the target side (connecting, then the probes known in advance, in one command) goes on while storage is read;
  // a batch that fails answers nothing: each check then asks on its own and says what failed
  const probed = Promise.resolve(i.host).then(async (h) => (h ? answering(h, await runProbes(h, knownProbes(i.items, i.target)).catch(() => new Map())) : undefined));
  probed.catch(() => undefined); // awaited below, after the storage side
  // a granular restore asks whether zstd runs here (filtering packs) before routing them: asked now, once
  if (i.items.some((x) => !x.skip && x.object.format === 'files-v2' && x.paths?.length)) void zstdAvailableHere();
  let identities: string[] | undefined;
  let identityError: ErrorInfo | undefined;
  try {
    identities = await i.identities();
  } catch (err) {
    identityError = toErrorInfo(err);
  }
  const production = i.target.config.kind === 'production';
  const live = i.items.filter((x) => !x.skip);
  const checks: CheckResult[] = [];
  // the smallest object is a format-2 index, read whole below: the identity is judged from that read (one GET, not two)
  const probe = identityProbeItem(i.items);
  const byRead = identities !== undefined && probe !== undefined && !probe.skip && probe.object.format === 'files-v2' ? probe : undefined;
  let probeRead: ReadOutcome<unknown> | undefined;
  const identityCheck = byRead ? undefined : await checkIdentity(i.storage, i.items, identities, identityError);
  const objects = await checkObjects(i.storage, live, {
    fullRead: production || i.verifyHashes, identities, onProgress: i.onProgress, spool: i.spool,
    onRead: (key, r) => { if (key === byRead?.object.key) probeRead = r; },
  });
  // not read (missing, wrong size): the probe of before says why
  const identityChecked = identityCheck ?? (byRead && probeRead ? identityFromRead(byRead, probeRead) : await checkIdentity(i.storage, i.items, identities, identityError));
  const host = await probed;
  if (host) {
    // zstd on the target only when the transfer will run it there (a filtered pack arrives as a plain tar)
    const zstd = await Promise.all(live.map((x) => zstdOnTarget(x, objects.findings.prepared.get(x.object.key))));
    checks.push(...(await checkTools(host, i.items, zstd.some(Boolean))));
  }
  checks.push(identityChecked);
  checks.push(...objects.checks);
  if (host) {
    if (objects.findings.globalsRestrict) checks.push(await checkPsqlRestrict(host, i.target));
    checks.push(...(await checkDiskSpace(host, i.target, i.items, i.jobs)));
    if (!production && i.target.config.postgres?.owner && live.some((x) => x.type === 'postgres' && x.object.part !== 'globals')) {
      checks.push(await checkPgOwner(host, i.target, i.target.config.postgres.owner));
    }
    checks.push(...(usesOriginalNames(i.target)
      ? await preflightOriginalNames(host, i.target, i.items, objects.findings.fileRoots, i.original)
      : await checkDestinations(host, i.target, i.items, i.existing)));
  }
  const bytes = live.reduce((a, x) => a + x.object.bytes, 0);
  const projection = project(bytes, measuredRate(i.catalog), i.elapsedMs, production ? { rate: measuredVerifyRate(i.catalog) } : undefined);
  return { checks, ...(identities ? { identities } : {}), projection, findings: objects.findings };
}
