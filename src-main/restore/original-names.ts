/**
 * A staging (homologação) target with `names: original`: the clinic's application in staging
 * runs against the restored data under the production names (RF-BACK-003). The default stays
 * side by side (`<db>_restore_<hex>`, `<filesRoot>/<setId>/`, see target.ts).
 *
 * Nothing is deleted: what already has a production name on the target is moved aside first,
 * as `<name>_antes_<yyyymmddhhmmss>` (the restore's start, UTC):
 * - PostgreSQL: its connections are terminated (the log says so), then
 *   `ALTER DATABASE … RENAME TO …`, retried while a terminated session is still going away.
 * - MySQL/MariaDB has no RENAME DATABASE: the aside database is created with the same
 *   character set, filled with `mysqldump | mysql` on the target, compared table by table
 *   (row counts) with the original, and only then the original is dropped and restored.
 * - files: each path the set holds, under `filesRoot`, is renamed `<path>_antes_<stamp>`.
 * The run log, the result (`movedAside`) and the report's warnings say where each copy went.
 *
 * Refused before anything changes when the target would be production itself: a database
 * server of the target is one a backed-up source of the same type uses, or a restored path is
 * (or lies inside, or holds) a source's path on the same machine. "Same" is asked of the servers
 * themselves, not read from addresses (one server has many names):
 * - PostgreSQL: `pg_postmaster_start_time()` to the microsecond, with `system_identifier` when the
 *   role may read it; a cluster and its physical copy share the identifier, never the start instant.
 * - MariaDB/MySQL: a named lock taken on the source's server (`GET_LOCK`) is seen as used from the
 *   target's connection only when both are one server (no privileges needed, nothing written).
 * - files: the kernel's boot id (same running kernel = same machine) and `realpath -m` of the paths.
 * A source whose server cannot be asked (production down during a disaster) is compared by address
 * only, and the check says so.
 */
import { PassThrough, Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { CofreError, toErrorInfo } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { Config, RestoreTargetConfig, SourceConfig } from '../config/schema.js';
import { resolveSecret } from '../config/secrets.js';
import { serverSpec } from '../app/servers.js';
import { connectServer } from '../remote/connect.js';
import { shJoin, shq } from '../remote/shell.js';
import type { RemoteHost, ServerSpec } from '../remote/types.js';
import { myConnArgs, myEnv, myIdent, mySqlString, mysqlQuery, mysqlRowCounts, type MyConnection } from '../sources/mysql.js';
import { lastLines, type PgConnection } from '../sources/postgres.js';
import { joinPath, mysqlCommand, pgExecEnv, pgQuery, pgString, type TargetInfo } from './target.js';
import type { CheckResult, RestoreItem } from './types.js';

export type NamesPolicy = 'original' | 'side-by-side';

/** Production always restores under the original names; staging only when it asks (`side` is the design card's spelling of side-by-side). */
export function namesPolicy(t: RestoreTargetConfig): NamesPolicy {
  return t.kind === 'production' || t.names === 'original' ? 'original' : 'side-by-side';
}

/** A staging target that receives the production names (moving what exists aside). */
export function usesOriginalNames(target: Pick<TargetInfo, 'config'>): boolean {
  return target.config.kind === 'staging' && target.config.names === 'original';
}

/** `yyyymmddhhmmss` (UTC) of the restore's start: the suffix of every aside name of one run. */
export function asideStamp(at: Date): string {
  return at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** `<name>_antes_<stamp>`, the name cut (never inside a UTF-8 character) to fit `maxBytes` (PostgreSQL 63, MariaDB 64). */
export function asideName(name: string, stamp: string, maxBytes = 63): string {
  const suffix = `_antes_${stamp}`;
  let head = name;
  while (Buffer.byteLength(head + suffix) > maxBytes) head = [...head].slice(0, -1).join('');
  return `${head}${suffix}`;
}

/** Where the copy that was there before went. */
export interface MovedAside {
  item: string;
  destination: string;
  aside: string;
  /** what the copy is (kept-copies.ts lists and removes it by this) */
  kind?: 'postgres' | 'mysql' | 'folder';
}

/**
 * The absolute paths a files item writes under the target's files root: the chosen `--path`s,
 * else the set's own top-level paths (known when preflight read it whole), else the source's
 * paths in today's config; undefined when none is known (then nothing is moved on a guess).
 */
export function filesDestinations(item: RestoreItem, config: Config, fileRoots: ReadonlyMap<string, string[]>): string[] | undefined {
  const src = config.sources[item.source.name];
  const roots = item.paths ?? fileRoots.get(item.object.key) ?? (src?.type === 'files' ? src.paths : undefined);
  if (!roots?.length) return undefined;
  return [...new Set(roots.map((p) => joinPath(item.destination, p).replace(/\/+$/, '') || '/'))];
}

// ── is the target production? ────────────────────────────────────────────────

interface Probe {
  /** the target's connected host */
  host: RemoteHost;
  target: TargetInfo;
  config: Config;
  env: NodeJS.ProcessEnv;
}

/** Hosts of the sources' servers, opened once per server name and closed at the end. */
class SourceHosts {
  private readonly open = new Map<string, Promise<RemoteHost>>();
  constructor(private readonly p: Probe) {}
  get(server: string): Promise<RemoteHost> {
    if (server === this.p.target.config.server) return Promise.resolve(this.p.host);
    let h = this.open.get(server);
    if (!h) {
      h = connectServer(serverSpec(this.p.config, server, this.p.env), { readyTimeoutMs: 15_000 });
      h.catch(() => undefined);
      this.open.set(server, h);
    }
    return h;
  }
  async close(): Promise<void> {
    for (const h of this.open.values()) (await h.catch(() => undefined))?.close();
  }
}

const PG_IDENTITY_SQL = `SELECT COALESCE(CASE WHEN has_function_privilege('pg_control_system()', 'EXECUTE') THEN (SELECT system_identifier::text FROM pg_control_system()) END, '?')
  || '|' || extract(epoch FROM pg_postmaster_start_time())::text`;

/** `<system_identifier or ?>|<postmaster start, epoch with microseconds>` */
async function pgIdentity(host: RemoteHost, c: PgConnection): Promise<{ sysid: string; start: string }> {
  const [line] = await pgQuery(host, c, 'postgres', PG_IDENTITY_SQL);
  const [sysid = '?', start = ''] = (line ?? '').split('|');
  if (!start) throw new CofreError('REMOTE_COMMAND_FAILED', 'PostgreSQL did not say when it started');
  return { sysid, start };
}

/** One server when the source's start instant is the target's (asked before and after: a restart in between cannot hide it). */
function pgSame(t1: { sysid: string; start: string }, t2: { sysid: string; start: string }, s: { sysid: string; start: string }): boolean {
  return [t1, t2].some((t) => t.start === s.start && (t.sysid === '?' || s.sysid === '?' || t.sysid === s.sysid));
}

/** Resolves with the first line `p` prints, or rejects when it ends first. */
function firstLine(stdout: NodeJS.ReadableStream, done: Promise<unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const at = text.indexOf('\n');
      if (at >= 0) resolve(text.slice(0, at).trim());
    });
    stdout.on('end', () => reject(new Error('ended before answering')));
    stdout.on('error', reject);
    done.then(() => reject(new Error('ended before answering')), reject);
  });
}

/**
 * The source's server takes a named lock through a session kept open on its stdin; the target's
 * connection sees that lock as used only when it is the same server. The session ends (and the
 * lock with it) when its stdin closes.
 */
async function mysqlSame(targetHost: RemoteHost, t: MyConnection, sourceHost: RemoteHost, s: MyConnection): Promise<boolean> {
  const lock = `cofre_probe_${randomBytes(8).toString('hex')}`;
  const stdin = new PassThrough();
  const p = sourceHost.exec(`mysql --batch --skip-column-names --unbuffered ${shJoin(myConnArgs(s))}`, { stdin, ...myEnv(s), label: 'mysql (same-server probe)' });
  p.done.catch(() => undefined);
  try {
    stdin.write(`SELECT GET_LOCK(${mySqlString(lock)}, 0);\n`);
    const got = await firstLine(p.stdout, p.done).catch((err: unknown) => {
      throw new CofreError('REMOTE_COMMAND_FAILED', `the source's MySQL did not take the probe lock (${lastLines(p.stderrTail()) || toErrorInfo(err).message})`);
    });
    if (got !== '1') throw new CofreError('REMOTE_COMMAND_FAILED', `the source's MySQL did not take the probe lock (answered ${JSON.stringify(got)})`);
    const [used] = await mysqlQuery(targetHost, t, `SELECT IS_USED_LOCK(${mySqlString(lock)}) IS NOT NULL`);
    return used === '1';
  } finally {
    stdin.end();
    await p.done.catch(() => undefined);
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '']);

/** The fallback when the source's server cannot be asked: same machine by SSH address, same database server by address and port. */
export function sameByAddress(tSpec: ServerSpec, t: { host: string; port: number }, sSpec: ServerSpec, s: { host: string; port: number }): boolean {
  if (t.port !== s.port) return false;
  const tLocal = LOOPBACK.has(t.host) || t.host.startsWith('/');
  const sLocal = LOOPBACK.has(s.host) || s.host.startsWith('/');
  if (!tLocal || !sLocal) return t.host === s.host;
  if (tSpec.kind === 'local' || sSpec.kind === 'local') return tSpec.kind === sSpec.kind;
  return tSpec.host === sSpec.host && tSpec.port === sSpec.port;
}

function sourcePassword(name: string, src: SourceConfig & { passwordEnv?: string | undefined; passwordFile?: string | undefined }, env: NodeJS.ProcessEnv): string | undefined {
  return resolveSecret({ env: src.passwordEnv, file: src.passwordFile, what: `sources.${name}.passwordEnv` }, env);
}

/** Machine identity: the running kernel's boot id (and host name, for the message). */
async function machineOf(host: RemoteHost): Promise<{ boot: string; name: string }> {
  const r = await host.runChecked('cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo "?"; uname -n', { label: 'uname' });
  const [boot = '?', name = '?'] = r.stdout.trim().split('\n').map((l) => l.trim());
  return { boot, name };
}

async function realpaths(host: RemoteHost, paths: string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const r = await host.runChecked(`for p in ${shJoin(paths)}; do realpath -m -- "$p"; done`, { label: 'realpath' });
  return r.stdout.split('\n').filter(Boolean);
}

function overlaps(a: string, b: string): boolean {
  const x = a.replace(/\/+$/, '') || '/';
  const y = b.replace(/\/+$/, '') || '/';
  return x === y || x === '/' || y === '/' || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}

type Service = 'postgres' | 'mysql' | 'files';

const SERVICE_LABEL: Record<Service, string> = { postgres: 'PostgreSQL', mysql: 'MySQL/MariaDB', files: 'filesRoot' };

function notProduction(service: Service, source: string, ok: boolean, message: string, how: 'asked' | 'address'): CheckResult {
  return {
    name: `${service} is not production (${source})`, ok, status: ok ? 'ok' : 'failed', message,
    ...said(how === 'address' && ok ? 'staging.check.notProductionByAddress' : 'staging.check.notProduction', { service: SERVICE_LABEL[service], source }),
  };
}

/**
 * One check per backed-up source of each type the restore writes: the target's server (or path)
 * is not that source's. Read-only on every server.
 */
export async function checkNotProduction(probe: Probe, items: RestoreItem[], fileRoots: ReadonlyMap<string, string[]>): Promise<CheckResult[]> {
  const { host, target, config, env } = probe;
  const live = items.filter((i) => !i.skip && !(i.type === 'postgres' && i.object.part === 'globals'));
  const types = new Set(live.map((i) => i.type));
  const out: CheckResult[] = [];
  const hosts = new SourceHosts(probe);
  const tSpec = serverSpec(config, target.config.server, env);
  const fix = `point restoreTargets.${target.name} at the staging server, or use names: side-by-side (restores beside, under other names)`;
  try {
    const sources = Object.entries(config.sources);
    if (types.has('postgres') && target.pg) {
      const tPg = target.pg;
      const t1 = await pgIdentity(host, tPg);
      for (const [name, src] of sources) {
        if (src.type !== 'postgres') continue;
        const sConn = { host: src.host, port: src.port, user: src.user, password: undefined as string | undefined };
        try {
          sConn.password = sourcePassword(name, src, env);
          const s = await pgIdentity(await hosts.get(src.server), sConn);
          const t2 = await pgIdentity(host, tPg);
          const same = pgSame(t1, t2, s);
          out.push(notProduction('postgres', name, !same, same
            ? `the target's PostgreSQL (${tPg.host}:${tPg.port}) is the cluster of source ${name} (same start instant ${s.start}${s.sysid !== '?' ? `, system identifier ${s.sysid}` : ''}): restoring under the original names would move production's databases aside. ${fix}`
            : `the target's PostgreSQL is not the cluster of source ${name} (the servers say so: started ${t1.start} vs ${s.start})`, 'asked'));
        } catch (err) {
          const same = sameByAddress(tSpec, tPg, serverSpec(config, src.server, env), src);
          const why = toErrorInfo(err).message;
          out.push(notProduction('postgres', name, !same, same
            ? `the target's PostgreSQL has the address of source ${name} (${src.host}:${src.port} on the same machine), and the source could not be asked (${why}): refused, it may be production. ${fix}`
            : `source ${name} could not be asked (${why}); compared by address only: the target's PostgreSQL is elsewhere`, 'address'));
        }
      }
    }
    if (types.has('mysql') && target.my) {
      const tMy = target.my;
      for (const [name, src] of sources) {
        if (src.type !== 'mysql') continue;
        try {
          const sConn: MyConnection = { host: src.host, port: src.port, user: src.user, password: sourcePassword(name, src, env) };
          const same = await mysqlSame(host, tMy, await hosts.get(src.server), sConn);
          out.push(notProduction('mysql', name, !same, same
            ? `the target's MySQL/MariaDB (${tMy.host}:${tMy.port}) is the server of source ${name} (a lock taken on the source is held there): restoring under the original names would replace production's databases. ${fix}`
            : `the target's MySQL/MariaDB is not the server of source ${name} (a lock taken on the source is not seen there)`, 'asked'));
        } catch (err) {
          const same = sameByAddress(tSpec, tMy, serverSpec(config, src.server, env), src);
          const why = toErrorInfo(err).message;
          out.push(notProduction('mysql', name, !same, same
            ? `the target's MySQL/MariaDB has the address of source ${name} (${src.host}:${src.port} on the same machine), and the source could not be asked (${why}): refused, it may be production. ${fix}`
            : `source ${name} could not be asked (${why}); compared by address only: the target's MySQL/MariaDB is elsewhere`, 'address'));
        }
      }
    }
    if (types.has('files')) {
      const tMachine = await machineOf(host);
      const dests = live.filter((i) => i.type === 'files').flatMap((i) => filesDestinations(i, config, fileRoots) ?? [i.destination]);
      const tPaths = await realpaths(host, dests);
      for (const [name, src] of sources) {
        if (src.type !== 'files') continue;
        let sMachine: { boot: string; name: string };
        let sPaths: string[];
        let how: 'asked' | 'address' = 'asked';
        let why = '';
        try {
          const sHost = await hosts.get(src.server);
          sMachine = await machineOf(sHost);
          sPaths = await realpaths(sHost, src.paths);
        } catch (err) {
          how = 'address';
          why = toErrorInfo(err).message;
          const sSpec = serverSpec(config, src.server, env);
          const sameMachine = sameByAddress(tSpec, { host: '', port: 0 }, sSpec, { host: '', port: 0 });
          sMachine = sameMachine ? tMachine : { boot: 'unknown', name: '?' };
          sPaths = src.paths;
        }
        // no boot id (not Linux): the same host name, or the same address, counts as the same machine
        const known = tMachine.boot !== '?' && sMachine.boot !== '?';
        const sameMachine = known
          ? tMachine.boot === sMachine.boot
          : tMachine.name === sMachine.name || sameByAddress(tSpec, { host: '', port: 0 }, serverSpec(config, src.server, env), { host: '', port: 0 });
        const hit = sameMachine ? tPaths.flatMap((d) => sPaths.filter((p) => overlaps(d, p)).map((p) => `${d} ↔ ${p}`)) : [];
        out.push(notProduction('files', name, hit.length === 0, hit.length
          ? `the target's files root ${target.config.filesRoot ?? ''} on ${tMachine.name} would write over (or inside) the paths of source ${name} on the same machine (${hit.slice(0, 3).join('; ')})${how === 'address' ? `; the source could not be asked (${why}), compared by address` : ''}: that is production. ${fix}`
          : how === 'address'
            ? `source ${name} could not be asked (${why}); compared by address only: the target is another machine`
            : sameMachine ? `the restored paths on ${tMachine.name} do not overlap the paths of source ${name}` : `the target (${tMachine.name}) is not the machine of source ${name} (${sMachine.name}): another running kernel`, how));
      }
    }
  } finally {
    await hosts.close();
  }
  return out;
}

// ── destinations and moving aside ────────────────────────────────────────────

async function pgExists(host: RemoteHost, c: PgConnection, db: string): Promise<boolean> {
  return (await pgQuery(host, c, 'postgres', `SELECT 1 FROM pg_database WHERE datname = ${pgString(db)}`)).length > 0;
}

async function myExists(host: RemoteHost, c: MyConnection, db: string): Promise<boolean> {
  const r = await host.runChecked(`${mysqlCommand(c)} -e ${shq(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${mySqlString(db)}`)}`, { ...myEnv(c), label: 'mysql' });
  return r.stdout.trim().length > 0;
}

async function pathExists(host: RemoteHost, path: string): Promise<boolean> {
  return (await host.run(`[ -e ${shq(path)} ] || [ -L ${shq(path)} ] && echo yes`)).stdout.trim() === 'yes';
}

/** An aside name nobody has yet: `_antes_<stamp>`, then `_2`, `_3`… within the length limit. */
async function freeAside(name: string, stamp: string, maxBytes: number, exists: (n: string) => Promise<boolean>): Promise<string> {
  for (let n = 1; n < 100; n++) {
    const candidate = asideName(name, n === 1 ? stamp : `${stamp}_${n}`, maxBytes);
    if (!(await exists(candidate))) return candidate;
  }
  throw new CofreError('PRECONDITION', `no free name to move ${name} aside (tried ${asideName(name, stamp, maxBytes)} and 98 more)`, { hint: 'drop or rename the old aside copies first' });
}

/** What one destination is and what happens to it: created, or moved aside first. */
export interface Destination {
  item: RestoreItem;
  /** database name or absolute folder on the target */
  destination: string;
  exists: boolean;
  /** the aside name it gets (preflight: with the stamp of now; the run uses its own start) */
  aside?: string;
}

export async function destinationsOf(host: RemoteHost, target: TargetInfo, items: RestoreItem[], config: Config, fileRoots: ReadonlyMap<string, string[]>, stamp: string): Promise<Destination[]> {
  const out: Destination[] = [];
  for (const item of items) {
    if (item.skip || (item.type === 'postgres' && item.object.part === 'globals')) continue;
    if (item.type === 'postgres' && target.pg) {
      const pg = target.pg;
      const exists = await pgExists(host, pg, item.destination);
      out.push({ item, destination: item.destination, exists, ...(exists ? { aside: await freeAside(item.destination, stamp, 63, (n) => pgExists(host, pg, n)) } : {}) });
    } else if (item.type === 'mysql' && target.my) {
      const my = target.my;
      const exists = await myExists(host, my, item.destination);
      out.push({ item, destination: item.destination, exists, ...(exists ? { aside: await freeAside(item.destination, stamp, 64, (n) => myExists(host, my, n)) } : {}) });
    } else if (item.type === 'files') {
      const dests = filesDestinations(item, config, fileRoots);
      if (!dests) {
        throw new CofreError('PRECONDITION', `the paths ${item.source.name} restores are not known (the source is not in today's config and the set was not read whole): nothing can be moved aside safely`, {
          ...said('staging.pathsUnknown', { source: item.source.name }),
          hint: 'restore with names: side-by-side, or add the source back to the config',
        });
      }
      for (const d of dests) {
        const exists = await pathExists(host, d);
        out.push({ item, destination: d, exists, ...(exists ? { aside: await freeAside(d, stamp, 4096, (n) => pathExists(host, n)) } : {}) });
      }
    }
  }
  return out;
}

/** Preflight lines for the console and the CLI: which names will be used, and the aside names. */
export function destinationChecks(dests: Destination[]): CheckResult[] {
  return dests.map((d) => {
    const what = d.item.type === 'files' ? `folder ${d.destination}` : `${d.item.type} database ${d.destination}`;
    return d.exists
      ? { name: `destination ${d.destination}`, ok: true, status: 'ok' as const, message: `${what} (production name) exists: it is moved aside to ${d.aside ?? '?'} (the time is the restore's start), kept, then restored`, ...said('staging.check.aside', { destination: d.destination, aside: d.aside ?? '' }) }
      : { name: `destination ${d.destination}`, ok: true, status: 'ok' as const, message: `${what} (production name) does not exist yet: it is created`, ...said('staging.check.new', { destination: d.destination }) };
  });
}

/** Every check of a staging restore under the original names. */
export async function checkOriginalNames(probe: Probe, items: RestoreItem[], fileRoots: ReadonlyMap<string, string[]>, stamp: string): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  try {
    out.push(...(await checkNotProduction(probe, items, fileRoots)));
  } catch (err) {
    const e = toErrorInfo(err);
    out.push({ name: 'target is not production', ok: false, status: 'failed', message: `could not tell whether the target is production: ${e.message}`, ...said('staging.check.notProduction', { service: '?', source: '?' }), cause: e });
  }
  try {
    out.push(...destinationChecks(await destinationsOf(probe.host, probe.target, items, probe.config, fileRoots, stamp)));
  } catch (err) {
    const e = toErrorInfo(err);
    out.push({ name: 'destinations', ok: false, status: 'failed', message: e.message, ...(e.key ? { key: e.key, ...(e.params ? { params: e.params } : {}) } : said('staging.check.aside', { destination: '?', aside: '?' })), cause: e });
  }
  return out;
}

async function pgMoveAside(host: RemoteHost, c: PgConnection, db: string, aside: string, log: (line: string, ref: ReturnType<typeof said>) => void): Promise<void> {
  const tag = `cofre_${randomBytes(4).toString('hex')}`;
  log(`terminating the connections to PostgreSQL database ${db} (the staging application loses them) to rename it to ${aside}`, said('staging.log.terminating', { database: db }));
  // terminated sessions take a moment to go: retried while the database is still in use (about 10 s)
  const sql = `DO $${tag}$
DECLARE n int := 0;
BEGIN
  LOOP
    PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${pgString(db)} AND pid <> pg_backend_pid();
    BEGIN
      EXECUTE format('ALTER DATABASE %I RENAME TO %I', ${pgString(db)}, ${pgString(aside)});
      RETURN;
    EXCEPTION WHEN object_in_use THEN
      n := n + 1;
      IF n >= 100 THEN RAISE; END IF;
      PERFORM pg_sleep(0.1);
    END;
  END LOOP;
END $${tag}$`;
  await host.runChecked(`psql -X -q -v ON_ERROR_STOP=1 ${shJoin(['-h', c.host, '-p', String(c.port), '-U', c.user, '-w', '-d', 'postgres'])} -f -`, {
    stdin: Readable.from([sql]), ...pgExecEnv(c), label: 'psql (move aside)',
  });
}

export async function myMoveAside(host: RemoteHost, c: MyConnection, db: string, aside: string, log: (line: string, ref: ReturnType<typeof said>) => void): Promise<void> {
  const [charset] = await mysqlQuery(host, c, `SELECT CONCAT(DEFAULT_CHARACTER_SET_NAME, ' ', DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${mySqlString(db)}`);
  const [cs = 'utf8mb4', coll] = (charset ?? '').split(' ');
  log(`MySQL/MariaDB has no RENAME DATABASE: copying ${db} into ${aside} (mysqldump | mysql on the target), checking it, then dropping ${db}; its connections are closed first`, said('staging.log.myCopy', { database: db, aside }));
  const ids = await mysqlQuery(host, c, `SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ${mySqlString(db)} AND ID <> CONNECTION_ID()`).catch(() => [] as string[]);
  for (const id of ids) await mysqlQuery(host, c, `KILL CONNECTION ${Number(id)}`).catch(() => undefined);
  await mysqlQuery(host, c, `CREATE DATABASE ${myIdent(aside)} CHARACTER SET ${cs}${coll ? ` COLLATE ${coll}` : ''}`);
  const dump = shJoin(['mysqldump', '--single-transaction', '--routines', '--triggers', '--events', '--hex-blob', '--quick', '--default-character-set=utf8mb4', ...myConnArgs(c), '--', db]);
  const load = `mysql --default-character-set=utf8mb4 ${shJoin([...myConnArgs(c), `--database=${aside}`])}`;
  // sh has no pipefail: the dump's exit status goes through a file
  const script = `d=$(mktemp -d) || exit 1; { ${dump}; echo $? > "$d/rc"; } | ${load}; m=$?; r=$(cat "$d/rc" 2>/dev/null); rm -rf "$d"; [ "$m" = 0 ] && [ "$r" = 0 ] || { echo "mysqldump exit $r, mysql exit $m" >&2; exit 1; }`;
  await host.runChecked(script, { ...myEnv(c), label: 'mysqldump | mysql (move aside)' });
  // nothing is dropped unless the aside copy holds every table with its rows
  const before = await mysqlRowCounts(host, c, db);
  const after = await mysqlRowCounts(host, c, aside);
  const differs = Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
  if (differs.length > 0) {
    throw new CofreError('INTEGRITY', `the copy ${aside} differs from ${db} (${differs.slice(0, 5).join(', ')}): ${db} was NOT dropped and nothing was restored`, {
      ...said('staging.asideDiffers', { database: db, aside }),
      hint: `stop the staging application (it may be writing to ${db}), drop ${aside} and run the restore again`,
    });
  }
  await mysqlQuery(host, c, `DROP DATABASE ${myIdent(db)}`);
}

/**
 * Moves every existing destination aside (after preflight, before the transfer). Throws on the
 * first failure; what was already moved is returned through `moved` so the caller can say so.
 */
export async function moveAsideExisting(
  host: RemoteHost, target: TargetInfo, items: RestoreItem[], config: Config, fileRoots: ReadonlyMap<string, string[]>, stamp: string,
  log: (line: string, ref: ReturnType<typeof said>) => void, moved: MovedAside[],
): Promise<void> {
  for (const d of await destinationsOf(host, target, items, config, fileRoots, stamp)) {
    if (!d.exists || !d.aside) continue;
    const label = `${d.item.source.name}.${d.item.object.part}`;
    if (d.item.type === 'postgres' && target.pg) await pgMoveAside(host, target.pg, d.destination, d.aside, log);
    else if (d.item.type === 'mysql' && target.my) await myMoveAside(host, target.my, d.destination, d.aside, log);
    else if (d.item.type === 'files') await host.runChecked(`mv -- ${shq(d.destination)} ${shq(d.aside)}`, { label: 'mv (move aside)' });
    moved.push({ item: label, destination: d.destination, aside: d.aside, kind: d.item.type === 'files' ? 'folder' : d.item.type });
    log(`existing ${d.destination} moved aside to ${d.aside} (kept: nothing was deleted)`, said('staging.log.aside', { destination: d.destination, aside: d.aside }));
  }
}

/** What the preflight needs beyond the target to check a restore under the original names. */
export interface OriginalNamesContext {
  config: Config;
  env: NodeJS.ProcessEnv;
  /** the aside suffix (the restore's start; the console's preflight shows it with the time of the check) */
  stamp: string;
}

/** The preflight's part for `names: original` (replaces the side-by-side destination checks). */
export async function preflightOriginalNames(host: RemoteHost, target: TargetInfo, items: RestoreItem[], fileRoots: ReadonlyMap<string, string[]>, ctx: OriginalNamesContext | undefined): Promise<CheckResult[]> {
  if (!ctx) {
    return [{ name: 'target is not production', ok: false, status: 'failed', message: 'this caller did not give the sources to compare with: refused', ...said('staging.check.notProduction', { service: '?', source: '?' }) }];
  }
  return checkOriginalNames({ host, target, config: ctx.config, env: ctx.env }, items, fileRoots, ctx.stamp);
}
