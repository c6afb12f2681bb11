/**
 * A real PostgreSQL 15 cluster for tests: initdb as the `postgres` user in a throwaway folder,
 * listening on 127.0.0.1:<free port> with its own socket folder. Trust auth on loopback for
 * the superuser `postgres`; the role `cofre_pw` (superuser) must log in with its password
 * over TCP (scram-sha-256), to exercise passwordEnv. Several clusters can run at once.
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdir, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  freePort,
  isProcessAlive,
  logTail,
  readPid,
  removeDir,
  run,
  runChecked,
  stopProcess,
  tempDir,
  withRetries,
} from './util.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface PostgresInfo {
  host: string;
  port: number;
  /** superuser with trust auth on loopback */
  user: 'postgres';
  /** a superuser role that needs its password over TCP */
  passwordUser: 'cofre_pw';
  password: string;
  socketDir: string;
  /** `SHOW server_version`, e.g. `15.14 (Debian 15.14-0+deb12u1)` */
  version: string;
  dataDir: string;
  logPath: string;
}

export interface PostgresHandle extends PostgresInfo {
  /** Runs SQL with `psql -At` as `postgres`, stops at the first error; returns stdout. */
  psql(sql: string, db?: string): Promise<string>;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** turn off fsync & co for speed (default true; data is thrown away anyway) */
  fast?: boolean;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Runs SQL through psql against a cluster described by plain info (usable from test workers). */
export async function pgPsql(info: Pick<PostgresInfo, 'host' | 'port' | 'user'>, sql: string, db = 'postgres'): Promise<string> {
  const result = await run(
    join(PG_BIN, 'psql'),
    ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', info.host, '-p', String(info.port), '-U', info.user, '-d', db, '-f', '-'],
    { input: sql, env: { ...process.env, PGCONNECT_TIMEOUT: '10' } },
  );
  if (result.code !== 0) throw new Error(`psql failed on ${db}: ${result.stderr.trim()}`);
  return result.stdout.replace(/\n$/, '');
}

export async function pgCreateDatabase(info: Pick<PostgresInfo, 'host' | 'port' | 'user'>, name: string): Promise<void> {
  await pgPsql(info, `CREATE DATABASE ${quoteIdent(name)};`);
}

function hbaConf(): string {
  return [
    '# TYPE  DATABASE  USER      ADDRESS        METHOD',
    'local   all       all                      trust',
    'host    all       cofre_pw  127.0.0.1/32   scram-sha-256',
    'host    all       cofre_pw  ::1/128        scram-sha-256',
    'host    all       all       127.0.0.1/32   trust',
    'host    all       all       ::1/128        trust',
    'local   replication all                    trust',
    'host    replication all     127.0.0.1/32   trust',
    '',
  ].join('\n');
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresHandle> {
  const fast = opts.fast ?? true;
  const dir = await tempDir('pg');
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  const logPath = join(dir, 'postgres.log');
  const asPostgres = (bin: string, args: string[]): Promise<unknown> =>
    runChecked('runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args], { cwd: dir });
  try {
    await mkdir(socketDir);
    await writeFile(logPath, '');
    const { uid, gid } = await postgresIds();
    for (const path of [dir, socketDir, logPath]) await chown(path, uid, gid);

    await asPostgres('initdb', [
      '-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions',
    ]);
    await writeFile(join(dataDir, 'pg_hba.conf'), hbaConf());

    const port = await withRetries(3, async () => {
      const port = await freePort();
      const settings = [
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${socketDir}'`,
        "password_encryption = 'scram-sha-256'",
        'max_connections = 50',
        "shared_buffers = '64MB'",
        ...(fast ? ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off'] : []),
      ];
      await appendFile(join(dataDir, 'postgresql.conf'), `\n# cofre test harness\n${settings.join('\n')}\n`);
      try {
        await asPostgres('pg_ctl', ['-D', dataDir, '-l', logPath, '-w', '-t', '30', '-s', 'start']);
      } catch (err) {
        throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n--- ${logPath} ---\n${await logTail(logPath)}`, { cause: err });
      }
      return port;
    });

    const base = { host: '127.0.0.1', port, user: 'postgres' as const };
    const password = randomBytes(12).toString('hex');
    await pgPsql(base, `CREATE ROLE cofre_pw LOGIN SUPERUSER PASSWORD '${password}';`);
    const version = await pgPsql(base, 'SHOW server_version;');

    const info: PostgresInfo = { ...base, passwordUser: 'cofre_pw', password, socketDir, version, dataDir, logPath };
    let stopped = false;
    return {
      ...info,
      psql: (sql, db) => pgPsql(info, sql, db),
      createDatabase: (name) => pgCreateDatabase(info, name),
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        await stopCluster(dataDir);
        await removeDir(dir);
      },
    };
  } catch (err) {
    await stopCluster(dataDir).catch(() => undefined);
    await removeDir(dir);
    throw err;
  }
}

async function stopCluster(dataDir: string): Promise<void> {
  const pid = await readPid(join(dataDir, 'postmaster.pid'));
  if (pid === undefined || !isProcessAlive(pid)) return;
  await run('runuser', ['-u', 'postgres', '--', join(PG_BIN, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', '-w', '-s', 'stop']);
  await stopProcess(pid, 5000);
}

let cachedIds: { uid: number; gid: number } | undefined;
async function postgresIds(): Promise<{ uid: number; gid: number }> {
  if (cachedIds) return cachedIds;
  const uid = Number((await runChecked('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await runChecked('id', ['-g', 'postgres'])).stdout.trim());
  cachedIds = { uid, gid };
  return cachedIds;
}
