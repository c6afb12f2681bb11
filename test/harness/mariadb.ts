/**
 * A real MariaDB 10.11 server for tests: mariadb-install-db in a throwaway folder, `mariadbd`
 * on 127.0.0.1:<free port> with its own socket, pid file and error log (owned by `mysql`),
 * no defaults files read. Grant tables are on: the user `cofre` (generated password, all
 * privileges) logs in over TCP from 127.0.0.1, so `MYSQL_PWD=… mysqldump -h 127.0.0.1 -P port -u cofre` works.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, logTail, removeDir, run, runChecked, stopProcess, tempDir, waitForFile, waitForPort, withRetries } from './util.js';

export interface MariadbInfo {
  host: string;
  port: number;
  /** TCP user with all privileges */
  user: 'cofre';
  password: string;
  socketPath: string;
  /** `SELECT VERSION()`, e.g. `10.11.11-MariaDB-0+deb12u1` */
  version: string;
  dataDir: string;
  logPath: string;
}

export interface MariadbHandle extends MariadbInfo {
  /** Runs SQL with `mysql -N -B` as `cofre` over TCP; returns stdout (tab-separated rows). */
  sql(sql: string, db?: string): Promise<string>;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function mariadbSql(
  info: Pick<MariadbInfo, 'host' | 'port' | 'user' | 'password'>,
  sql: string,
  db?: string,
): Promise<string> {
  const result = await run(
    'mysql',
    ['--no-defaults', '-N', '-B', '--connect-timeout=10', '-h', info.host, '-P', String(info.port), '-u', info.user, ...(db ? ['-D', db] : [])],
    { input: sql, env: { ...process.env, MYSQL_PWD: info.password } },
  );
  if (result.code !== 0) throw new Error(`mysql failed${db ? ` on ${db}` : ''}: ${result.stderr.trim()}`);
  return result.stdout.replace(/\n$/, '');
}

export async function mariadbCreateDatabase(
  info: Pick<MariadbInfo, 'host' | 'port' | 'user' | 'password'>,
  name: string,
): Promise<void> {
  await mariadbSql(info, `CREATE DATABASE \`${name.replaceAll('`', '``')}\`;`);
}

export async function startMariadb(): Promise<MariadbHandle> {
  const dir = await tempDir('mariadb');
  const dataDir = join(dir, 'data');
  const tmp = join(dir, 'tmp');
  const socketPath = join(dir, 'mysqld.sock');
  const pidPath = join(dir, 'mysqld.pid');
  const logPath = join(dir, 'mariadb.log');
  let child: ChildProcess | undefined;
  try {
    await mkdir(tmp);
    await writeFile(logPath, '');
    const uid = Number((await runChecked('id', ['-u', 'mysql'])).stdout.trim());
    const gid = Number((await runChecked('id', ['-g', 'mysql'])).stdout.trim());
    for (const path of [dir, tmp, logPath]) await chown(path, uid, gid);

    try {
      await runChecked('mariadb-install-db', [
        '--no-defaults',
        '--user=mysql',
        `--datadir=${dataDir}`,
        '--skip-test-db',
        '--skip-name-resolve',
        '--auth-root-authentication-method=socket',
        `--tmpdir=${tmp}`,
      ], { cwd: dir });
    } catch (err) {
      throw new Error(`mariadb-install-db failed: ${(err as Error).message}`, { cause: err });
    }

    const started = await withRetries(3, async () => {
      const port = await freePort();
      const proc = spawn('mariadbd', [
        '--no-defaults',
        '--user=mysql',
        `--datadir=${dataDir}`,
        `--socket=${socketPath}`,
        `--pid-file=${pidPath}`,
        `--log-error=${logPath}`,
        `--tmpdir=${tmp}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=64M',
        '--innodb-log-file-size=48M',
        '--innodb-flush-log-at-trx-commit=0',
        '--max-connections=100',
      ], { stdio: 'ignore', cwd: dir });
      proc.on('error', () => undefined);
      const alive = (): boolean => proc.exitCode === null && proc.signalCode === null;
      try {
        await waitForPort('127.0.0.1', port, 30_000, alive);
        await waitForFile(socketPath, 10_000, alive);
      } catch (err) {
        await stopChild(proc);
        throw new Error(`MariaDB did not start: ${(err as Error).message}\n--- ${logPath} ---\n${await logTail(logPath)}`, { cause: err });
      }
      return { proc, port };
    });
    child = started.proc;

    const password = randomBytes(12).toString('hex');
    // root logs in over the socket (unix_socket auth: we run as root) to create the TCP user.
    await runChecked('mysql', ['--no-defaults', '-S', socketPath, '-u', 'root'], {
      input: [
        `CREATE USER 'cofre'@'127.0.0.1' IDENTIFIED BY '${password}';`,
        `GRANT ALL PRIVILEGES ON *.* TO 'cofre'@'127.0.0.1' WITH GRANT OPTION;`,
        `CREATE USER 'cofre'@'localhost' IDENTIFIED BY '${password}';`,
        `GRANT ALL PRIVILEGES ON *.* TO 'cofre'@'localhost' WITH GRANT OPTION;`,
        'FLUSH PRIVILEGES;',
      ].join('\n'),
    });
    const base = { host: '127.0.0.1', port: started.port, user: 'cofre' as const, password };
    const version = await mariadbSql(base, 'SELECT VERSION();');
    const info: MariadbInfo = { ...base, socketPath, version, dataDir, logPath };
    let stopped = false;
    const proc = started.proc;
    return {
      ...info,
      sql: (sql, db) => mariadbSql(info, sql, db),
      createDatabase: (name) => mariadbCreateDatabase(info, name),
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        await stopChild(proc);
        await removeDir(dir);
      },
    };
  } catch (err) {
    if (child) await stopChild(child);
    await removeDir(dir);
    throw err;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([exited, stopProcess(child.pid, 10_000)]);
}
