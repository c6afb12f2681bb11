/**
 * The demo's throwaway MariaDB server: Debian's `mariadbd` + `mariadb-install-db`, a data folder
 * of the demo's own, 127.0.0.1 only, a free port (3306 when free), its socket, pid file and log in
 * the cluster folder, and a small fictitious clinic schedule database (`agenda`). The account the
 * config names (`cofre`@127.0.0.1) has no password: like the demo PostgreSQL's trust on loopback,
 * it is a throwaway server that listens on this machine only and holds fictitious data.
 *
 * MariaDB refuses to run as root, so as root it runs as the `mysql` user (`--user=mysql`). The
 * server is started in its own process group, so it survives a killed demo just as `pg_ctl`'s
 * PostgreSQL does: such a leftover is found by its pid file and port file and reused when it
 * answers for this very data folder, or stopped (only when its command line names that data
 * folder: never a stranger that took the pid) and started afresh. Anything missing makes the
 * demo go on without MariaDB, with a notice saying why.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, notice, portIsFree, runProgram, type DemoNotice, type RunOutput } from './notices.js';
import { isAlive } from '../util/process.js';

export const DEMO_MARIADB_DATABASE = 'agenda';
export const DEMO_MARIADB_USER = 'cofre';
/** where Debian puts the server (`mariadbd`) and the initialiser (`mariadb-install-db`) */
export const DEMO_MARIADB_DIRS = ['/usr/sbin', '/usr/bin'];

export interface DemoMariadb {
  port: number;
  dir: string;
  /** SIGTERM (a clean shutdown), then waits; safe to call twice */
  stop(): Promise<void>;
}

export interface DemoMariadbResult {
  cluster?: DemoMariadb;
  notices: DemoNotice[];
}

export interface DemoMariadbOptions {
  /** the demo home; the server lives in <home>/mariadb, or in /tmp when the mysql user cannot reach the home */
  home: string;
  /** a folder holding mariadbd and mariadb-install-db (default: Debian's /usr/sbin and /usr/bin) */
  bin?: string;
  /** the port the config uses now; the server keeps it when it is free */
  preferredPort?: number;
  log?: (line: string) => void;
}

const SAMPLE_SQL = `
CREATE TABLE profissionais (id INT AUTO_INCREMENT PRIMARY KEY, nome VARCHAR(120) NOT NULL, especialidade VARCHAR(80)) CHARACTER SET utf8mb4;
CREATE TABLE salas (id INT AUTO_INCREMENT PRIMARY KEY, nome VARCHAR(60) NOT NULL) CHARACTER SET utf8mb4;
CREATE TABLE agendamentos (
  id INT AUTO_INCREMENT PRIMARY KEY,
  paciente VARCHAR(120) NOT NULL,
  profissional INT NOT NULL,
  sala INT NOT NULL,
  inicio DATETIME NOT NULL,
  situacao ENUM('marcado','confirmado','atendido','faltou') NOT NULL DEFAULT 'marcado',
  observacao TEXT,
  FOREIGN KEY (profissional) REFERENCES profissionais(id),
  FOREIGN KEY (sala) REFERENCES salas(id)
) CHARACTER SET utf8mb4;
INSERT INTO profissionais (nome, especialidade) VALUES
  ('Dra. Conceição Araújo', 'clínica geral'),
  ('Dr. João Ñúñez', 'ortodontia'),
  ('Dra. Zoë Exemplo 🦷', 'endodontia'),
  ('Dr. Exemplo Quatro', 'radiologia');
INSERT INTO salas (nome) VALUES ('Consultório 1'), ('Consultório 2'), ('Sala de raio-x');
INSERT INTO agendamentos (paciente, profissional, sala, inicio, situacao, observacao)
  SELECT CONCAT('Paciente exemplo ', seq), (seq % 4) + 1, (seq % 3) + 1, TIMESTAMP('2026-01-05 08:00:00') + INTERVAL (seq * 2) HOUR,
         ELT((seq % 4) + 1, 'marcado', 'confirmado', 'atendido', 'faltou'), CONCAT('retorno (fictício) nº ', seq)
  FROM seq_1_to_600;
`;

/** The server and initialiser binaries, or undefined when the package is not installed. */
export function mariadbBinaries(bin?: string): { server: string; installDb: string } | undefined {
  const dirs = bin ? [bin] : DEMO_MARIADB_DIRS;
  const find = (names: string[]): string | undefined => {
    for (const d of dirs) for (const n of names) if (existsSync(join(d, n))) return join(d, n);
    return undefined;
  };
  const server = find(['mariadbd', 'mysqld']);
  const installDb = find(['mariadb-install-db', 'mysql_install_db']);
  return server && installDb ? { server, installDb } : undefined;
}

/** The server's folders, in the home first; the /tmp one is where root's mysql user cannot reach the home. */
export function mariadbClusterDirs(home: string): string[] {
  return [join(home, 'mariadb'), join(tmpdir(), `cofre-demo-my-${createHash('sha256').update(home).digest('hex').slice(0, 12)}`)];
}

interface Runner {
  /** the server's owner when Cofre runs as root */
  owner?: { uid: number; gid: number };
  /** the unix_socket account mariadb-install-db made for whoever initialised the data folder */
  socketUser: string;
}

async function runnerFor(): Promise<Runner | DemoNotice> {
  if (process.getuid?.() !== 0) {
    let user = 'root';
    try {
      user = userInfo().username;
    } catch {
      // keep root
    }
    return { socketUser: user };
  }
  const id = await runProgram('id', ['-u', 'mysql']);
  const gid = await runProgram('id', ['-g', 'mysql']);
  if (id.code !== 0 || gid.code !== 0) {
    return notice('myRootNoUser', 'warning', 'Cofre runs as root, MariaDB refuses to run as root, and there is no "mysql" user to run it as: the demo runs without MariaDB (Debian: apt install mariadb-server creates that user, or run the demo as a normal user)');
  }
  return { owner: { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) }, socketUser: 'root' };
}

async function clusterDir(home: string, runner: Runner): Promise<string> {
  const [inHome, inTmp] = mariadbClusterDirs(home) as [string, string];
  if (!runner.owner) return inHome;
  const reach = await runProgram('runuser', ['-u', 'mysql', '--', 'test', '-x', home]);
  return reach.code === 0 ? inHome : inTmp;
}

interface Paths {
  dir: string;
  dataDir: string;
  tmp: string;
  socket: string;
  pidFile: string;
  portFile: string;
  logPath: string;
}

function pathsOf(dir: string): Paths {
  // a unix socket path has at most 107 bytes: a deep demo folder gets its socket in /tmp
  const inDir = join(dir, 'mysqld.sock');
  const socket = Buffer.byteLength(inDir) <= 100 ? inDir : join(tmpdir(), `cofre-demo-my-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}.sock`);
  return { dir, dataDir: join(dir, 'data'), tmp: join(dir, 'tmp'), socket, pidFile: join(dir, 'mysqld.pid'), portFile: join(dir, 'port'), logPath: join(dir, 'mariadb.log') };
}

function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** true when `pid` is a server of this very data folder (a reused pid is some stranger's). */
function isOurServer(pid: number, dataDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`--datadir=${dataDir}`);
  } catch {
    return isAlive(pid);
  }
}

function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

function mysqlTcp(port: number, sql: string, db?: string): Promise<RunOutput> {
  return runProgram('mysql', ['--no-defaults', '-N', '-B', '--connect-timeout=5', '--default-character-set=utf8mb4', '-h', '127.0.0.1', '-P', String(port), '-u', DEMO_MARIADB_USER, ...(db ? ['-D', db] : []), '-e', sql]);
}

function mysqlSocket(p: Paths, runner: Runner, sql: string, db?: string): Promise<RunOutput> {
  return runProgram('mysql', ['--no-defaults', '-N', '-B', '--connect-timeout=5', '--default-character-set=utf8mb4', '-S', p.socket, '-u', runner.socketUser, ...(db ? ['-D', db] : [])], { input: sql });
}

/** The server answers on `port` and it is the one of `dataDir`. */
async function answers(port: number, dataDir: string): Promise<boolean> {
  const r = await mysqlTcp(port, 'SELECT @@datadir');
  return r.code === 0 && r.stdout.trim().replace(/\/$/, '') === dataDir;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM (MariaDB's clean shutdown), SIGKILL after `ms`; resolves once the process is gone. */
async function stopPid(pid: number, ms = 60_000): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return true;
  }
  const until = Date.now() + ms;
  while (isAlive(pid) && Date.now() < until) await sleep(100);
  if (!isAlive(pid)) return true;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
  await sleep(200);
  return !isAlive(pid);
}

/** Stops a server a killed demo left running in `dir` (for --reset); a stranger's pid is left alone. */
export async function stopLeftoverMariadb(dir: string): Promise<void> {
  const p = pathsOf(dir);
  const pid = readNumber(p.pidFile);
  if (pid !== undefined && isAlive(pid) && isOurServer(pid, p.dataDir)) await stopPid(pid);
}

/** Moves the demo's MariaDB folders aside (--reset): the home one goes with the home, the /tmp one next to itself. */
export async function resetDemoMariadb(home: string, stamp: string): Promise<void> {
  for (const dir of mariadbClusterDirs(home)) {
    await stopLeftoverMariadb(dir);
    if (!dir.startsWith(home) && existsSync(dir)) renameSync(dir, `${dir}.previous-${stamp}`);
  }
}

function spawnServer(server: string, p: Paths, runner: Runner, port: number): { pid: number | undefined; exited: () => boolean; exitCode: () => number | null } {
  const child = spawn(server, [
    '--no-defaults',
    ...(runner.owner ? ['--user=mysql'] : []),
    `--datadir=${p.dataDir}`,
    `--socket=${p.socket}`,
    `--pid-file=${p.pidFile}`,
    `--log-error=${p.logPath}`,
    `--tmpdir=${p.tmp}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--skip-name-resolve',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=32M',
    '--innodb-log-file-size=16M',
    '--innodb-flush-log-at-trx-commit=0',
    '--max-connections=30',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
  ], { stdio: 'ignore', cwd: p.dir, detached: true });
  let exited = false;
  child.on('error', () => (exited = true));
  child.on('exit', () => (exited = true));
  child.unref();
  return { pid: child.pid, exited: () => exited, exitCode: () => child.exitCode };
}

/** Waits until the socket account answers, the process dies, or a minute passes. */
async function waitReady(p: Paths, runner: Runner, exited: () => boolean): Promise<boolean> {
  const until = Date.now() + 60_000;
  while (Date.now() < until && !exited()) {
    const r = await mysqlSocket(p, runner, 'SELECT 1');
    if (r.code === 0) return true;
    await sleep(250);
  }
  return false;
}

/** Starts (or reuses) the demo's MariaDB with its sample database; never throws: a problem becomes a notice. */
export async function startDemoMariadb(opts: DemoMariadbOptions): Promise<DemoMariadbResult> {
  const log = opts.log ?? ((): void => undefined);
  const notices: DemoNotice[] = [];
  const bins = mariadbBinaries(opts.bin);
  const client = await runProgram('mysql', ['--version']);
  if (!bins || client.code !== 0) {
    const where = opts.bin ?? DEMO_MARIADB_DIRS.join(' or ');
    const what = !bins ? `mariadbd or mariadb-install-db is missing in ${where}` : 'the mysql client is missing';
    notices.push(notice('myMissing', 'info', `the MariaDB server is not installed (${what}): the demo runs without MariaDB (Debian: apt install mariadb-server mariadb-client)`, { bin: where }));
    return { notices };
  }
  const runner = await runnerFor();
  if ('code' in runner) return { notices: [runner] };
  const p = pathsOf(await clusterDir(opts.home, runner));
  const fail = (what: string, detail: string): DemoMariadbResult => {
    const d = detail || 'no output';
    notices.push(notice('myFailed', 'warning', `the demo MariaDB server in ${p.dir} ${what}: ${d}; the demo runs without MariaDB (see ${p.logPath})`, { dir: p.dir, detail: d }));
    return { notices };
  };
  const logTail = (): string => {
    try {
      return lastLines(readFileSync(p.logPath, 'utf8'));
    } catch {
      return '';
    }
  };

  try {
    mkdirSync(p.tmp, { recursive: true });
    if (!existsSync(p.logPath)) writeFileSync(p.logPath, '');
    if (runner.owner) for (const f of [p.dir, p.tmp, p.logPath]) chownSync(f, runner.owner.uid, runner.owner.gid);
    chmodSync(p.dir, 0o700);
  } catch (err) {
    return fail('cannot be prepared', (err as Error).message);
  }

  // a server left running by a demo that was killed: reuse it when it answers, else stop it
  const leftover = readNumber(p.pidFile);
  if (leftover !== undefined && isAlive(leftover) && isOurServer(leftover, p.dataDir)) {
    const port = readNumber(p.portFile);
    if (port !== undefined && (await answers(port, p.dataDir))) {
      notices.push(notice('myLeftoverReused', 'info', `a demo MariaDB server left running by an earlier demo (pid ${leftover}, port ${port}) was found and is used again`, { pid: String(leftover), port: String(port) }));
      log(`demo: reusing the MariaDB server left running (pid ${leftover}, port ${port})`);
      return { cluster: handle(p, leftover, port), notices };
    }
    if (!(await stopPid(leftover))) return fail(`has a process left by an earlier demo (pid ${leftover}) that does not answer and could not be stopped`, '');
    notices.push(notice('myLeftoverStopped', 'info', `a demo MariaDB server left by an earlier demo (pid ${leftover}) did not answer and was stopped; a fresh one is started`, { pid: String(leftover) }));
  }
  // a pid file with no server of ours behind it (a crash, or its pid reused by a stranger): stale
  rmSync(p.pidFile, { force: true });

  const fresh = !existsSync(join(p.dataDir, 'mysql'));
  if (fresh) {
    const init = await runProgram(bins.installDb, [
      '--no-defaults', ...(runner.owner ? ['--user=mysql'] : [`--auth-root-socket-user=${runner.socketUser}`]), `--datadir=${p.dataDir}`,
      '--skip-test-db', '--skip-name-resolve', '--auth-root-authentication-method=socket', `--tmpdir=${p.tmp}`,
    ], { cwd: p.dir, timeoutMs: 120_000 });
    if (init.code !== 0) return fail('could not be created (mariadb-install-db failed)', lastLines(init.stderr || init.stdout));
  }

  const wanted = opts.preferredPort ?? 3306;
  let port = wanted;
  if (!(await portIsFree(wanted))) {
    port = await freePort();
    notices.push(notice('myPortInUse', 'info', `port ${wanted} is in use on 127.0.0.1 (another MariaDB or MySQL?): the demo MariaDB listens on ${port} instead`, { port: String(wanted), chosen: String(port) }));
  }
  let proc = spawnServer(bins.server, p, runner, port);
  let ready = await waitReady(p, runner, proc.exited);
  if (!ready && proc.exited() && !(await portIsFree(port))) {
    // another process took the port between the check and the start: once more on a free one
    const taken = port;
    port = await freePort();
    notices.push(notice('myPortInUse', 'info', `port ${taken} was taken while the demo MariaDB started: it listens on ${port} instead`, { port: String(taken), chosen: String(port) }));
    proc = spawnServer(bins.server, p, runner, port);
    ready = await waitReady(p, runner, proc.exited);
  }
  if (!ready) {
    if (proc.pid !== undefined && !proc.exited()) await stopPid(proc.pid);
    return fail('did not start', logTail());
  }
  const pid = readNumber(p.pidFile) ?? proc.pid ?? 0;
  writeFileSync(p.portFile, `${port}\n`);
  const cluster = handle(p, pid, port);

  const user = `'${DEMO_MARIADB_USER}'@'127.0.0.1'`;
  const setup = await mysqlSocket(p, runner, [
    `CREATE USER IF NOT EXISTS ${user};`,
    `GRANT ALL PRIVILEGES ON *.* TO ${user};`,
    `CREATE DATABASE IF NOT EXISTS ${DEMO_MARIADB_DATABASE} CHARACTER SET utf8mb4;`,
  ].join('\n'));
  if (setup.code !== 0) {
    await cluster.stop();
    return fail('could not get its demo account', lastLines(setup.stderr));
  }
  const tables = await mysqlTcp(port, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '${DEMO_MARIADB_DATABASE}'`);
  if (tables.stdout.trim() === '0') {
    const seed = await mysqlSocket(p, runner, SAMPLE_SQL, DEMO_MARIADB_DATABASE);
    if (seed.code !== 0) {
      // half a sample is no sample: the next start makes it again
      await mysqlSocket(p, runner, `DROP DATABASE IF EXISTS ${DEMO_MARIADB_DATABASE}`);
      await cluster.stop();
      return fail('could not get its sample database', lastLines(seed.stderr));
    }
  }
  log(`demo: MariaDB ${fresh ? 'created and ' : ''}started on 127.0.0.1:${port} (${p.dir})`);
  return { cluster, notices };
}

function handle(p: Paths, pid: number, port: number): DemoMariadb {
  let stopped: Promise<void> | undefined;
  return {
    port,
    dir: p.dir,
    stop(): Promise<void> {
      stopped ??= (isOurServer(pid, p.dataDir) ? stopPid(pid) : Promise.resolve(true)).then(() => undefined);
      return stopped;
    },
  };
}
