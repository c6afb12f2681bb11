/**
 * Transfer: storage → SHA-256 (checked on the fly) → age decrypt → SSH stdin of the restore
 * tool on the target. Nothing is staged whole, except with `jobs > 1`: pg_restore's parallel
 * mode needs a seekable file, so the decrypted dump is first streamed into a temp file under
 * /var/tmp on the target (removed afterwards) and read with `pg_restore -j N`.
 *
 * Flags (documented choices):
 * - staging: `pg_restore --no-owner --no-privileges` (the staging server need not have the
 *   clinic's roles); production: owners and grants kept (globals/roles applied first).
 * - `--exit-on-error` so a partial restore is never reported as success.
 * - postgres globals (roles): applied with psql on production, or when asked; errors such as
 *   "role already exists" are expected there and do not stop the restore.
 * - files: `tar -x -p`, and `--same-owner` when the SSH user is root (else the files belong
 *   to the SSH user and only the permission bits are kept).
 */
import { createHash } from 'node:crypto';
import { Transform, pipeline, type Readable } from 'node:stream';
import { CofreError } from '../errors.js';
import type { RemoteHost } from '../remote/types.js';
import { shJoin, shq } from '../remote/shell.js';
import type { Storage } from '../storage/types.js';
import { createDecryptStream } from '../crypto/age.js';
import { ByteMeter, type ProgressListener } from '../util/progress.js';
import { lastLines } from '../sources/postgres.js';
import { myIdent } from '../sources/mysql.js';
import { mysqlCommand, myEnv, pgConnArgs, pgExecEnv, pgIdent, pgQuery, psqlCommand, type TargetInfo } from './target.js';
import type { RestoreItem } from './types.js';
import { restoreFilesV2 } from '../files2/restore.js';

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

/** Streams one stored object, decrypted, into a remote command's stdin; checks the hash at the end. */
async function streamInto(item: RestoreItem, command: string, opts: TransferOptions, env: { env: Record<string, string> } | Record<string, never>, label: string): Promise<void> {
  const o = item.object;
  const body: Readable = await opts.storage.get(o.key, opts.signal ? { signal: opts.signal } : {});
  const hash = createHash('sha256');
  const hasher = new Transform({ transform(chunk: Buffer, _e, cb) { hash.update(chunk); cb(null, chunk); } });
  const meter = new ByteMeter('transfer', opts.onProgress, { source: `${item.source.name}.${o.part}`, totalBytes: o.bytes });
  let streamError: unknown;
  const plain = pipeline(body, meter, hasher, createDecryptStream(opts.identities), (err) => { if (err) streamError ??= err; });
  const p = opts.host.exec(command, { stdin: plain, ...env, label });
  p.stdout.resume();
  const onAbort = (): void => p.cancel();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let result;
  try {
    result = await p.done;
  } catch (err) {
    throw streamError ?? err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (streamError) throw streamError;
  if (result.code !== 0) {
    throw new CofreError('REMOTE_COMMAND_FAILED', `${label} into ${item.destination} failed (exit ${result.code ?? result.signal}): ${lastLines(result.stderr)}`, {
      hint: 'read the error above; it came from the tool on the target',
    });
  }
  const sha = hash.digest('hex');
  if (sha !== o.sha256) {
    throw new CofreError('INTEGRITY', `${o.key}: SHA-256 ${sha} differs from the manifest's ${o.sha256}`, { hint: 'the stored object changed after the backup; restore another set' });
  }
}

export async function restorePostgres(item: RestoreItem, opts: TransferOptions): Promise<void> {
  const pg = opts.target.pg;
  if (!pg) throw new CofreError('CONFIG_REFERENCE', `restore target ${opts.target.name} has no postgres`);
  const production = opts.target.config.kind === 'production';
  if (item.object.part === 'globals') {
    // roles may already exist: errors are expected and do not stop the restore
    const cmd = `psql -X -q ${shJoin(pgConnArgs(pg))} -d postgres -f -`;
    await streamInto(item, cmd, opts, pgExecEnv(pg), 'psql (globals)');
    return;
  }
  const db = item.destination;
  await pgQuery(opts.host, pg, 'postgres', `CREATE DATABASE ${pgIdent(db)}`);
  const flags = ['--exit-on-error', ...(production ? [] : ['--no-owner', '--no-privileges'])];
  if (opts.jobs > 1) {
    const tmp = `/var/tmp/cofre-restore-${opts.restoreId}`;
    const file = `${tmp}/${item.object.part}.pgdump`;
    try {
      await streamInto(item, `mkdir -p ${shq(tmp)} && chmod 700 ${shq(tmp)} && cat > ${shq(file)}`, opts, {}, 'cat (temp dump)');
      await opts.host.runChecked(`pg_restore ${shJoin([...flags, '-j', String(opts.jobs), ...pgConnArgs(pg), '-d', db, file])}`, { ...pgExecEnv(pg), label: 'pg_restore' });
    } finally {
      await opts.host.run(`rm -rf ${shq(tmp)}`).catch(() => undefined);
    }
    return;
  }
  await streamInto(item, `pg_restore ${shJoin([...flags, ...pgConnArgs(pg), '-d', db])}`, opts, pgExecEnv(pg), 'pg_restore');
}

export async function restoreMysql(item: RestoreItem, opts: TransferOptions): Promise<void> {
  const my = opts.target.my;
  if (!my) throw new CofreError('CONFIG_REFERENCE', `restore target ${opts.target.name} has no mysql`);
  const db = item.destination;
  await opts.host.runChecked(`${mysqlCommand(my)} -e ${shq(`CREATE DATABASE ${myIdent(db)} CHARACTER SET utf8mb4`)}`, { ...myEnv(my), label: 'mysql' });
  await streamInto(item, mysqlCommand(my, db), opts, myEnv(my), 'mysql');
}

export async function restoreFiles(item: RestoreItem, opts: TransferOptions): Promise<void> {
  const dest = item.destination;
  if (item.object.format === 'files-v2') {
    const r = await restoreFilesV2({
      storage: opts.storage, host: opts.host, identities: opts.identities, destination: dest, index: item.object, packs: item.packs ?? [],
      paths: item.paths, label: item.source.name, onProgress: opts.onProgress, signal: opts.signal,
    });
    if (item.paths) item.expected = { entries: r.entries, bytes: r.bytes };
    return;
  }
  // format 1 with --path: the one tar is streamed, tar extracts only those members
  const members = item.paths ? ` -- ${shJoin(item.paths.map((p) => p.replace(/^\/+/, '')))}` : '';
  const cmd = `mkdir -p ${shq(dest)} && if [ "$(id -u)" = 0 ]; then o=--same-owner; else o=--no-same-owner; fi && tar --extract --file=- --preserve-permissions $o -C ${shq(dest)}${members}`;
  await streamInto(item, cmd, opts, {}, 'tar');
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
  if (item.type === 'files') {
    const r = await opts.host.run(`[ -e ${shq(item.destination)} ] && mv ${shq(item.destination)} ${shq(`${item.destination.replace(/\/+$/, '')}_old_${stamp}`)} && echo moved`);
    return r.stdout.trim() === 'moved' ? `${item.destination}_old_${stamp}` : undefined;
  }
  return undefined;
}

export async function transferItem(item: RestoreItem, opts: TransferOptions): Promise<void> {
  if (item.type === 'postgres') return restorePostgres(item, opts);
  if (item.type === 'mysql') return restoreMysql(item, opts);
  return restoreFiles(item, opts);
}

export { psqlCommand };
