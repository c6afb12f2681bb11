/**
 * Production restores take a safety dump of what they overwrite first: each database replaced,
 * the cluster's roles/globals before the set's are applied (`pg_dumpall --globals-only`), and
 * the files under the paths the SET holds (its tar's top-level paths, found while preflight read
 * it whole — not today's config paths, which may differ; format 2: the top-level paths of its
 * index; with `--path`: exactly the asked paths). Documented choice:
 * kept ON THE TARGET SERVER under /var/tmp/cofre-safety-<timestamp>-<random>/, made by
 * `mktemp -d` (mode 0700, a name no other user can pre-create): it is the
 * fastest place to write to and to roll back from, it never leaves the clinic's machine
 * unencrypted, and it needs no storage credentials there). The folder is named in the
 * result, the report and the audit log; delete it once the restore is accepted.
 */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { RemoteHost } from '../remote/types.js';
import { shJoin, shq } from '../remote/shell.js';
import { myConnArgs, mySqlString } from '../sources/mysql.js';
import { lastLines } from '../sources/postgres.js';
import { joinPath, myEnv, pgConnArgs, pgDbArgs, pgExecEnv, pgQuery, pgString, mysqlCommand, type TargetInfo } from './target.js';
import type { RestoreItem } from './types.js';
import { makeRemoteTempDir, safeFileName } from '../remote/temp.js';

/** The folder's name up to the random suffix `mktemp -d` adds. */
export function safetyDir(at: Date): string {
  return `/var/tmp/cofre-safety-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')}`;
}

/**
 * `fileRoots`: by object key, the top-level paths of each files object (from the preflight
 * read); a files item without them is refused before anything is written.
 */
export async function takeSafetyDumps(host: RemoteHost, target: TargetInfo, items: RestoreItem[], fileRoots: ReadonlyMap<string, string[]>, prefix: string, log: (l: string) => void): Promise<string[]> {
  const made: string[] = [];
  for (const item of items) {
    if (!item.skip && item.type === 'files' && !item.paths && !fileRoots.has(item.object.key)) {
      throw new CofreError('PRECONDITION', `the paths held by ${item.object.key} are not known (the set was not read whole in preflight): no safety copy can be taken, nothing was overwritten`, {
        hint: 'run the restore again; a production restore reads every object whole before it starts',
      });
    }
  }
  const dir = await makeRemoteTempDir(host, prefix);
  const used = new Set<string>();
  const fileFor = (name: string, ext: string): string => {
    let base = safeFileName(name);
    for (let n = 2; used.has(base); n++) base = `${safeFileName(name)}-${n}`;
    used.add(base);
    return `${dir}/${base}.${ext}`;
  };
  for (const item of items) {
    if (item.skip) continue;
    if (item.type === 'postgres' && target.pg && item.object.part === 'globals') {
      const file = fileFor('globals', 'sql');
      await run(host, `pg_dumpall --globals-only ${shJoin([...pgConnArgs(target.pg), '-f', file])}`, pgExecEnv(target.pg), 'pg_dumpall');
      made.push(file);
    } else if (item.type === 'postgres' && target.pg) {
      const exists = (await pgQuery(host, target.pg, 'postgres', `SELECT 1 FROM pg_database WHERE datname = ${pgString(item.destination)}`)).length > 0;
      if (!exists) continue;
      const file = fileFor(item.destination, 'pgdump');
      await run(host, `pg_dump -Fc ${shJoin([...pgDbArgs(target.pg, item.destination), '-f', file])}`, pgExecEnv(target.pg), 'pg_dump');
      made.push(file);
    } else if (item.type === 'mysql' && target.my) {
      const r = await host.run(`${mysqlCommand(target.my)} -e ${shq(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${mySqlString(item.destination)}`)}`, { ...myEnv(target.my) });
      if (!r.stdout.trim()) continue;
      const file = fileFor(item.destination, 'sql');
      await run(host, `mysqldump --single-transaction --routines --triggers --events --hex-blob ${shJoin([...myConnArgs(target.my), '--', item.destination])} > ${shq(file)}`, myEnv(target.my), 'mysqldump');
      made.push(file);
    } else if (item.type === 'files') {
      const roots = item.paths ?? fileRoots.get(item.object.key) ?? [];
      const rel = roots.map((p) => joinPath(item.destination, p)).map((p) => p.replace(/^\/+/, ''));
      const file = fileFor(item.source.name, 'tar');
      const existing = (await host.run(`for p in ${shJoin(rel.map((p) => `/${p}`))}; do [ -e "$p" ] && echo "$p"; done`)).stdout.split('\n').filter(Boolean).map((p) => p.replace(/^\/+/, ''));
      if (existing.length === 0) continue;
      await run(host, `tar --create --format=posix --file=${shq(file)} -C / -- ${shJoin(existing)}`, {}, 'tar');
      made.push(file);
    }
    log(`safety dump: ${made[made.length - 1] ?? ''}`);
  }
  return made;
}

/**
 * Format 2 on production: removes the paths the set replaces, right before its files are placed
 * (its packs are all on the target by then, hash checked; the safety copy holds what was there).
 */
export async function removeReplaced(host: RemoteHost, destination: string, paths: readonly string[]): Promise<void> {
  const full = paths.map((p) => joinPath(destination, p).replace(/\/+$/, ''));
  const root = destination.replace(/\/+$/, '');
  if (full.some((p) => p === '' || p === root)) throw new CofreError('INVALID_ARGUMENT', `refusing to remove ${destination} itself`);
  await host.runChecked(`rm -rf -- ${shJoin(full)}`, { label: 'rm (paths replaced by the set)' });
}

async function run(host: RemoteHost, cmd: string, env: { env: Record<string, string> } | Record<string, never>, label: string): Promise<void> {
  const r = await host.run(cmd, { ...env, label });
  if (r.code !== 0) {
    throw new CofreError('REMOTE_COMMAND_FAILED', `safety dump with ${label} failed (exit ${r.code ?? r.signal}): ${lastLines(r.stderr)}`, {
      ...said('restore.safetyFailed'),
      hint: 'nothing was overwritten yet; fix the problem (disk space under /var/tmp?) and run the restore again',
    });
  }
}
