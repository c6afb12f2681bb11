/**
 * Transfer: storage → SHA-256 (of every byte, checked at the end) → age decrypt → SSH stdin of
 * the restore tool on the target. Nothing is staged whole, except with `jobs > 1`: pg_restore's parallel
 * mode needs a seekable file, so the decrypted dump is first streamed into a temp file in a
 * `mktemp -d` folder under /var/tmp on the target (removed afterwards) and read with
 * `pg_restore -j N`.
 *
 * Flags (documented choices):
 * - staging: `pg_restore --no-owner --no-privileges` (the staging server need not have the
 *   clinic's roles); production: owners and grants kept (globals/roles applied first).
 * - `--exit-on-error` so a partial restore is never reported as success.
 * - postgres globals (roles): applied on production, or when asked, with psql -X and
 *   ON_ERROR_STOP after the whole file is checked (globals.ts); existing roles are kept.
 * - files: `tar -x -p`, and `--same-owner` when the SSH user is root (else the files belong
 *   to the SSH user and only the permission bits are kept).
 */
import { PassThrough, Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { ExecResult, RemoteHost } from '../remote/types.js';
import { shJoin, shq } from '../remote/shell.js';
import type { Storage } from '../storage/types.js';
import type { ProgressListener } from '../util/progress.js';
import { bufferInspector, readStoredObject, type ReadOutcome } from '../backup/object-reader.js';
import { formatBytes } from '../../shared/format.js';
import { checkGlobalsScript, MAX_GLOBALS_BYTES, prepareGlobalsScript, refusedGlobalsMessage } from './globals.js';
import { lastLines } from '../sources/postgres.js';
import { myIdent, mySqlString, mysqlQuery } from '../sources/mysql.js';
import { myMoveAside } from './original-names.js';
import { mysqlCommand, myEnv, pgDbArgs, pgExecEnv, pgIdent, pgQuery, pgRestoreMode, psqlCommand, type TargetInfo } from './target.js';
import type { RestoreItem } from './types.js';
import { makeRemoteTempDir, safeFileName } from '../remote/temp.js';
import { restoreFilesV2 } from '../files2/restore.js';
import { restoreTables } from './pg-table.js';
import { pathNotInSetError, setIdOfKey } from './paths.js';
import { removeReplaced } from './safety.js';
import { decompressedInput } from '../sources/zstd.js';
import { zstdStage } from '../files2/zstd.js';
import { DumpRewriteStream } from './mysql-rewrite.js';

export interface TransferOptions {
  storage: Storage;
  host: RemoteHost;
  target: TargetInfo;
  identities: string[];
  jobs: number;
  restoreId: string;
  onProgress?: ProgressListener | undefined;
  signal?: AbortSignal | undefined;
}

/** The errors of a whole read, worst first: a changed object, then one that does not decrypt. */
function readFailure(item: RestoreItem, r: ReadOutcome<unknown>): CofreError | undefined {
  const o = item.object;
  if (!r.hashOk) {
    return new CofreError('INTEGRITY', `${o.key}: SHA-256 ${r.sha256} differs from the manifest's ${o.sha256}: the stored object is corrupted`, { hint: 'the stored object changed after the backup; restore another set (cofre sets) or from another copy' });
  }
  if (r.decryptError) {
    return new CofreError('DECRYPT_FAILED', `${o.key} does not decrypt: ${r.decryptError}`, { hint: 'check the identity; if it is right, the object is damaged: restore another set' });
  }
  return undefined;
}

/**
 * Streams one stored object, decrypted, into a remote command's stdin. The whole object is
 * read and hashed even if the command stops reading early (the rest is drained); a command
 * that fails stops the read. The hash is checked at the end: a staging restore or a drill may
 * stream (production reads every object whole in preflight first), and a mismatch fails it.
 */
async function streamInto(item: RestoreItem, command: string, opts: TransferOptions, env: { env: Record<string, string> } | Record<string, never>, label: string, stage?: (out: Writable) => LocalStage): Promise<void> {
  const stop = new AbortController();
  const input = new PassThrough();
  const p = opts.host.exec(command, { stdin: input, ...env, label });
  const local = stage?.(input);
  p.stdout.resume();
  const onAbort = (): void => {
    stop.abort();
    p.cancel();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const exited = p.done.then(
    (res) => {
      input.destroy(); // anything left is drained by the reader, not sent
      if (res.code !== 0) stop.abort(); // the tool failed: no point reading the rest
      return res;
    },
    (err: unknown) => {
      input.destroy();
      stop.abort();
      throw err;
    },
  );
  exited.catch(() => undefined);
  let read: ReadOutcome<ExecResult>;
  try {
    const inspector = local
      ? { stream: local.stdin, abort: () => { local.kill(); p.cancel(); }, result: async () => { const r = await exited; if (r.code === 0) await local.done; return r; } }
      : { stream: input, abort: () => p.cancel(), result: () => exited };
    read = await readStoredObject(opts.storage, item.object, opts.identities, inspector, {
      onProgress: opts.onProgress, phase: 'transfer', signal: stop.signal,
    });
  } catch (err) {
    // the read stopped: report the tool's own failure when it is the cause
    const res = await exited.catch((e: unknown) => e);
    if (opts.signal?.aborted) throw err;
    if (res && !(res instanceof Error) && (res as ExecResult).code !== 0) throw toolFailed(item, label, res as ExecResult);
    throw res instanceof Error ? res : err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const bad = readFailure(item, read);
  if (bad) throw bad;
  const result = read.inspected as ExecResult;
  if (result.code !== 0) throw toolFailed(item, label, result);
}

function toolFailed(item: RestoreItem, label: string, result: ExecResult): CofreError {
  return new CofreError('REMOTE_COMMAND_FAILED', `${label} into ${item.destination} failed (exit ${result.code ?? result.signal}): ${lastLines(result.stderr)}`, {
    ...said('restore.toolFailed', { item: label, destination: item.destination }),
    hint: 'read the error above; it came from the tool on the target',
  });
}

/**
 * Roles/globals: read whole into memory first (a roles script is small), hash and decryption
 * checked, every psql meta-command refused (see globals.ts), then applied with ON_ERROR_STOP.
 * Nothing of a forged or damaged file ever reaches psql.
 */
async function applyGlobals(item: RestoreItem, opts: TransferOptions, pg: NonNullable<TargetInfo['pg']>): Promise<void> {
  const o = item.object;
  const name = o.key.split('/').pop() ?? o.key;
  const read = await readStoredObject(opts.storage, o, opts.identities, bufferInspector(MAX_GLOBALS_BYTES), { onProgress: opts.onProgress, phase: 'transfer', signal: opts.signal });
  const bad = readFailure(item, read);
  if (bad) throw bad;
  const buffered = read.inspected;
  if (!buffered || buffered.overflow) {
    throw new CofreError('INTEGRITY', `${name} is ${formatBytes(read.plainBytes)}, more than pg_dumpall writes for roles: refused, nothing was run`, { hint: 'restore another set, or leave the roles out (--sources / no --globals)' });
  }
  const script = buffered.data.toString('utf8');
  const verdict = checkGlobalsScript(script);
  if (!verdict.ok) {
    throw new CofreError('INTEGRITY', refusedGlobalsMessage(name, verdict), { hint: 'this roles file was not written by pg_dumpall: do not apply it; restore another set and check who can write to the storage' });
  }
  const r = await opts.host.run(`psql -X -q -v ON_ERROR_STOP=1 ${shJoin(pgDbArgs(pg, 'postgres'))} -f -`, {
    stdin: Readable.from([prepareGlobalsScript(script)]), ...pgExecEnv(pg), label: 'psql (globals)',
  });
  if (r.code !== 0) throw toolFailed(item, 'psql (globals)', { code: r.code, stderr: r.stderr, ...(r.signal ? { signal: r.signal } : {}) });
}

export async function restorePostgres(item: RestoreItem, opts: TransferOptions): Promise<void> {
  const pg = opts.target.pg;
  if (!pg) throw new CofreError('CONFIG_REFERENCE', `restore target ${opts.target.name} has no postgres`, said('restore.targetLacks', { target: opts.target.name, service: 'PostgreSQL', item: item.destination }));
  if (item.object.part === 'globals') {
    await applyGlobals(item, opts, pg);
    return;
  }
  const mode = pgRestoreMode(opts.target);
  if (item.tables) {
    item.warnings = await restoreTables(item, { host: opts.host, pg, mode, restoreId: opts.restoreId, stage: (cmd) => streamInto(item, cmd, opts, {}, 'cat (temp dump)') });
    return;
  }
  const db = item.destination;
  await pgQuery(opts.host, pg, 'postgres', mode.createSql(db));
  const flags = mode.flags;
  if (opts.jobs > 1) {
    const tmp = await makeRemoteTempDir(opts.host, `/var/tmp/cofre-${opts.restoreId}`);
    const file = `${tmp}/${safeFileName(item.object.part)}.pgdump`;
    try {
      await streamInto(item, `cat > ${shq(file)}`, opts, {}, 'cat (temp dump)');
      await opts.host.runChecked(`pg_restore ${shJoin([...flags, '-j', String(opts.jobs), ...pgDbArgs(pg, db), '--', file])}`, { ...pgExecEnv(pg), label: 'pg_restore' });
    } finally {
      await opts.host.run(`rm -rf ${shq(tmp)}`).catch(() => undefined);
    }
    return;
  }
  await streamInto(item, `pg_restore ${shJoin([...flags, ...pgDbArgs(pg, db)])}`, opts, pgExecEnv(pg), 'pg_restore');
}

/** A local stream stage between the decrypted object and the SSH stdin (its output already piped there). */
interface LocalStage {
  stdin: Writable;
  /** settles when the stage has written everything; rejects with its failure */
  done: Promise<void>;
  kill(): void;
}

/**
 * Staging: the dump goes through the rewrite (mysql-rewrite.ts) on this computer. A compressed dump
 * is decompressed here and compressed again (zstd -1, fast) so the SSH link still carries it compressed.
 */
function stagingRewrite(item: RestoreItem, rewrite: DumpRewriteStream): (out: Writable) => LocalStage {
  return (out) => {
    const zstdErrors = { missing: () => new CofreError('PRECONDITION', 'zstd is not installed on this computer: a compressed MySQL dump cannot be prepared for staging', { hint: 'install zstd here (apt install zstd) and restore again' }) };
    if (item.object.format !== 'sql.zst') {
      const done = pipeline(rewrite, out);
      done.catch(() => undefined);
      return { stdin: rewrite, done, kill: () => rewrite.destroy() };
    }
    const unzip = zstdStage('decompress', zstdErrors);
    const zip = zstdStage('compress', zstdErrors, '-1');
    const done = Promise.all([pipeline(unzip.stdout, rewrite, zip.stdin), pipeline(zip.stdout, out), unzip.done, zip.done]).then(() => undefined);
    done.catch(() => undefined);
    return { stdin: unzip.stdin, done, kill: () => { unzip.kill(); zip.kill(); } };
  };
}

export async function restoreMysql(item: RestoreItem, opts: TransferOptions): Promise<void> {
  const my = opts.target.my;
  if (!my) throw new CofreError('CONFIG_REFERENCE', `restore target ${opts.target.name} has no mysql`, said('restore.targetLacks', { target: opts.target.name, service: 'MySQL', item: item.destination }));
  const db = item.destination;
  await opts.host.runChecked(`${mysqlCommand(my)} -e ${shq(`CREATE DATABASE ${myIdent(db)} CHARACTER SET utf8mb4`)}`, { ...myEnv(my), label: 'mysql' });
  // a compressed dump (.sql.zst) is decompressed on the target: the SSH link carries it compressed
  const command = item.object.format === 'sql.zst' ? decompressedInput(mysqlCommand(my, db)) : mysqlCommand(my, db);
  if (opts.target.config.kind === 'production') {
    await streamInto(item, command, opts, myEnv(my), 'mysql');
    return;
  }
  // staging: names of the original database become the staging name, DEFINER clauses go
  const rewrite = new DumpRewriteStream({ from: item.object.part, to: db, stripDefiners: true });
  await streamInto(item, command, opts, myEnv(my), 'mysql', stagingRewrite(item, rewrite));
  const r = rewrite.rewriter;
  if (r.replaced || r.definers) {
    item.notes = [...(item.notes ?? []), {
      line: `${db}: ${r.replaced} reference(s) to the database ${item.object.part} in views, triggers, routines or events now name ${db}; ${r.definers} DEFINER clause(s) removed (the objects are defined by the restoring user)`,
      ...said('drill.log.myRewrite', { database: db, original: item.object.part, replaced: r.replaced, definers: r.definers }),
    }];
  }
}

export async function restoreFiles(item: RestoreItem, opts: TransferOptions): Promise<void> {
  const dest = item.destination;
  if (item.object.format === 'files-v2') {
    const r = await restoreFilesV2({
      storage: opts.storage, host: opts.host, identities: opts.identities, destination: dest, index: item.object, packs: item.packs ?? [],
      paths: item.paths, label: item.source.name, onProgress: opts.onProgress, signal: opts.signal, prepared: item.prepared,
      ...(item.replace ? { beforePlace: () => removeReplaced(opts.host, dest, item.replace ?? []) } : {}),
    });
    if (item.paths) item.expected = { entries: r.entries, bytes: r.bytes };
    return;
  }
  // format 1 with --path: the one tar is streamed, tar extracts only those members
  const members = item.paths ? ` -- ${shJoin(item.paths.map((p) => p.replace(/^\/+/, '')))}` : '';
  const cmd = `mkdir -p ${shq(dest)} && if [ "$(id -u)" = 0 ]; then o=--same-owner; else o=--no-same-owner; fi && tar --extract --file=- --preserve-permissions $o -C ${shq(dest)}${members}`;
  try {
    await streamInto(item, cmd, opts, {}, 'tar');
  } catch (err) {
    // tar names each asked member it did not find: the set does not hold that path
    const notFound = item.paths && err instanceof CofreError ? [...err.message.matchAll(/tar: (.+?): Not found in archive/g)].map((m) => `/${m[1] ?? ''}`) : [];
    if (notFound.length) throw pathNotInSetError(setIdOfKey(item.object.key), notFound.map((p) => ({ path: p, near: '/' })));
    throw err;
  }
}

/** Drops a production database before it is recreated from the set (after the safety dump). */
export async function dropForProduction(item: RestoreItem, opts: Pick<TransferOptions, 'host' | 'target'>): Promise<void> {
  if (item.type === 'postgres' && item.object.part !== 'globals' && opts.target.pg) {
    await pgQuery(opts.host, opts.target.pg, 'postgres', `DROP DATABASE IF EXISTS ${pgIdent(item.destination)} WITH (FORCE)`);
  } else if (item.type === 'mysql' && opts.target.my) {
    await opts.host.runChecked(`${mysqlCommand(opts.target.my)} -e ${shq(`DROP DATABASE IF EXISTS ${myIdent(item.destination)}`)}`, { ...myEnv(opts.target.my), label: 'mysql' });
  }
}

/** Staging with `existing: 'rename'`: moves an existing database/folder aside. Returns the new name. */
export async function renameExisting(item: RestoreItem, opts: Pick<TransferOptions, 'host' | 'target'>, stamp: string): Promise<string | undefined> {
  const aside = `${item.destination.slice(0, 40)}_old_${stamp}`;
  if (item.type === 'postgres' && opts.target.pg && item.object.part !== 'globals') {
    const exists = (await pgQuery(opts.host, opts.target.pg, 'postgres', `SELECT 1 FROM pg_database WHERE datname = '${item.destination.replaceAll("'", "''")}'`)).length > 0;
    if (!exists) return undefined;
    await pgQuery(opts.host, opts.target.pg, 'postgres', `ALTER DATABASE ${pgIdent(item.destination)} RENAME TO ${pgIdent(aside)}`);
    return aside;
  }
  if (item.type === 'mysql' && opts.target.my) {
    // MySQL has no RENAME DATABASE: copied aside (dump and recreate), checked, then dropped
    const exists = (await mysqlQuery(opts.host, opts.target.my, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${mySqlString(item.destination)}`)).length > 0;
    if (!exists) return undefined;
    await myMoveAside(opts.host, opts.target.my, item.destination, aside, () => undefined);
    return aside;
  }
  if (item.type === 'files') {
    const moved = `${item.destination.replace(/\/+$/, '')}_old_${stamp}`;
    const r = await opts.host.run(`[ -e ${shq(item.destination)} ] && mv ${shq(item.destination)} ${shq(moved)} && echo moved`);
    return r.stdout.trim() === 'moved' ? moved : undefined;
  }
  return undefined;
}

export async function transferItem(item: RestoreItem, opts: TransferOptions): Promise<void> {
  if (item.type === 'postgres') return restorePostgres(item, opts);
  if (item.type === 'mysql') return restoreMysql(item, opts);
  return restoreFiles(item, opts);
}

export { psqlCommand };
