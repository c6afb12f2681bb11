/**
 * The demo's throwaway PostgreSQL cluster: Debian's PostgreSQL 15 server binaries, a data folder
 * of the demo's own, 127.0.0.1 only, trust auth on loopback, a free port (5432 when free), and a
 * small fictitious clinic database. PostgreSQL refuses to run as root, so as root it runs as the
 * `postgres` user (runuser). A cluster left running by a killed demo is found by its pid file:
 * reused when it answers, stopped otherwise. Anything missing makes the demo go on without PostgreSQL,
 * with a notice saying why.
 */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, notice, portIsFree, runProgram, type DemoNotice, type RunOutput } from './notices.js';
import { isAlive } from '../util/process.js';

export const DEMO_PG_BIN = '/usr/lib/postgresql/15/bin';
export const DEMO_DATABASE = 'clinica';

export interface DemoPostgres {
  port: number;
  dir: string;
  /** pg_ctl stop -m fast; safe to call twice */
  stop(): Promise<void>;
}

export interface DemoPostgresResult {
  cluster?: DemoPostgres;
  notices: DemoNotice[];
}

export interface DemoPostgresOptions {
  /** the demo home; the cluster lives in <home>/postgres, or in /tmp when the postgres user cannot reach the home */
  home: string;
  /** folder of initdb, pg_ctl, postgres, psql (default Debian's PostgreSQL 15) */
  bin?: string;
  /** the port the config uses now; the cluster keeps it when it is free */
  preferredPort?: number;
  log?: (line: string) => void;
}

const SAMPLE_SQL = `
CREATE TABLE pacientes (id serial PRIMARY KEY, nome text NOT NULL, nascimento date, telefone text, criado timestamptz DEFAULT now());
CREATE TABLE consultas (id serial PRIMARY KEY, paciente int NOT NULL REFERENCES pacientes(id), quando timestamptz NOT NULL, profissional text, observacao text);
CREATE TABLE financeiro (id serial PRIMARY KEY, consulta int REFERENCES consultas(id), valor numeric(10,2), pago boolean DEFAULT false);
INSERT INTO pacientes (nome, nascimento, telefone) VALUES
  ('José da Conceição', '1980-02-29', '(11) 90000-0001'),
  ('Ana Lúcia Ñúñez', '1975-07-14', '(11) 90000-0002'),
  ('Zoë Fictícia 🩺', '2001-12-31', NULL);
INSERT INTO pacientes (nome, nascimento) SELECT 'Paciente exemplo ' || g, DATE '1950-01-01' + (g * 97) % 25000 FROM generate_series(1, 197) g;
INSERT INTO consultas (paciente, quando, profissional, observacao)
  SELECT (g % 200) + 1, TIMESTAMPTZ '2026-01-05 08:00-03' + g * INTERVAL '3 hours', 'Dra. Exemplo ' || (g % 4), 'consulta de rotina (fictícia) ' || g FROM generate_series(1, 1200) g;
INSERT INTO financeiro (consulta, valor, pago) SELECT g, 150 + (g % 7) * 25, g % 3 <> 0 FROM generate_series(1, 1200) g;
`;

function hbaConf(): string {
  return ['local all all trust', 'host all all 127.0.0.1/32 trust', ''].join('\n');
}

interface Runner {
  /** runs a PostgreSQL binary as the cluster's owner */
  pg(bin: string, args: string[], input?: string): Promise<RunOutput>;
  owner?: { uid: number; gid: number };
}

async function runnerFor(bin: string): Promise<Runner | DemoNotice> {
  if (process.getuid?.() !== 0) return { pg: (b, args, input) => runProgram(join(bin, b), args, input === undefined ? {} : { input }) };
  const id = await runProgram('id', ['-u', 'postgres']);
  const gid = await runProgram('id', ['-g', 'postgres']);
  if (id.code !== 0 || gid.code !== 0) {
    return notice('pgRootNoUser', 'warning', 'Cofre runs as root, PostgreSQL refuses to run as root, and there is no "postgres" user to run it as: the demo runs without PostgreSQL (Debian: apt install postgresql-15 creates that user, or run the demo as a normal user)');
  }
  return {
    owner: { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) },
    pg: (b, args, input) => runProgram('runuser', ['-u', 'postgres', '--', join(bin, b), ...args], input === undefined ? {} : { input }),
  };
}

/** The cluster folder: in the home when its owner can reach it, else a folder in /tmp named after the home. */
async function clusterDir(home: string, runner: Runner): Promise<string> {
  const inHome = join(home, 'postgres');
  if (!runner.owner) return inHome;
  const reach = await runProgram('runuser', ['-u', 'postgres', '--', 'test', '-x', home]);
  if (reach.code === 0) return inHome;
  return join(tmpdir(), `cofre-demo-pg-${createHash('sha256').update(home).digest('hex').slice(0, 12)}`);
}

function readPidFile(dataDir: string): { pid: number; port: number } | undefined {
  try {
    const lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    return Number.isInteger(pid) && pid > 0 ? { pid, port } : undefined;
  } catch {
    return undefined;
  }
}

async function answers(runner: Runner, port: number): Promise<boolean> {
  const r = await runner.pg('psql', ['-X', '-q', '-At', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', 'SELECT 1'], undefined);
  return r.code === 0 && r.stdout.trim() === '1';
}

function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** Starts (or reuses) the demo cluster with its sample database; never throws: a problem becomes a notice. */
export async function startDemoPostgres(opts: DemoPostgresOptions): Promise<DemoPostgresResult> {
  const bin = opts.bin ?? DEMO_PG_BIN;
  const log = opts.log ?? ((): void => undefined);
  const notices: DemoNotice[] = [];
  if (!['initdb', 'pg_ctl', 'postgres', 'psql'].every((b) => existsSync(join(bin, b)))) {
    notices.push(notice('pgMissing', 'info', `the PostgreSQL 15 server is not installed (${bin}/postgres is missing): the demo runs without PostgreSQL (Debian: apt install postgresql-15)`, { bin }));
    return { notices };
  }
  const runner = await runnerFor(bin);
  if ('code' in runner) return { notices: [runner] };
  const dir = await clusterDir(opts.home, runner);
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  const logPath = join(dir, 'postgres.log');
  const fail = (what: string, r: RunOutput): DemoPostgresResult => {
    const detail = lastLines(r.stderr || r.stdout) || 'no output';
    notices.push(notice('pgFailed', 'warning', `the demo PostgreSQL cluster in ${dir} ${what}: ${detail}; the demo runs without PostgreSQL (see ${logPath})`, { dir, detail }));
    return { notices };
  };

  try {
    mkdirSync(socketDir, { recursive: true });
    if (!existsSync(logPath)) writeFileSync(logPath, '');
    if (runner.owner) for (const p of [dir, socketDir, logPath]) chownSync(p, runner.owner.uid, runner.owner.gid);
    chmodSync(dir, 0o700);
  } catch (err) {
    notices.push(notice('pgFailed', 'warning', `cannot prepare ${dir} for the demo PostgreSQL cluster (${(err as Error).message}); the demo runs without PostgreSQL`, { dir, detail: (err as Error).message }));
    return { notices };
  }

  // a cluster left running by a demo that was killed: reuse it when it answers, else stop it
  const leftover = readPidFile(dataDir);
  if (leftover && isAlive(leftover.pid)) {
    if (await answers(runner, leftover.port)) {
      notices.push(notice('leftoverReused', 'info', `a demo PostgreSQL cluster left running by an earlier demo (pid ${leftover.pid}, port ${leftover.port}) was found and is used again`, { pid: String(leftover.pid), port: String(leftover.port) }));
      log(`demo: reusing the PostgreSQL cluster left running (pid ${leftover.pid}, port ${leftover.port})`);
      return { cluster: handle(runner, dir, dataDir, leftover.port), notices };
    }
    const stop = await runner.pg('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '20', '-s', 'stop']);
    if (stop.code !== 0 && isAlive(leftover.pid)) return fail(`has a process left by an earlier demo (pid ${leftover.pid}) that does not answer and could not be stopped`, stop);
    notices.push(notice('leftoverStopped', 'info', `a demo PostgreSQL cluster left by an earlier demo (pid ${leftover.pid}) did not answer and was stopped; a fresh one is started`, { pid: String(leftover.pid) }));
  }

  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  if (fresh) {
    const init = await runner.pg('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions']);
    if (init.code !== 0) return fail('could not be created (initdb failed)', init);
    writeFileSync(join(dataDir, 'pg_hba.conf'), hbaConf());
    const settings = ["listen_addresses = '127.0.0.1'", `unix_socket_directories = '${socketDir}'`, 'fsync = off', 'synchronous_commit = off', 'full_page_writes = off', 'max_connections = 30', "shared_buffers = '32MB'"];
    writeFileSync(join(dataDir, 'postgresql.auto.conf'), `# cofre demo\n${settings.join('\n')}\n`);
    if (runner.owner) for (const f of ['pg_hba.conf', 'postgresql.auto.conf']) chownSync(join(dataDir, f), runner.owner.uid, runner.owner.gid);
  }

  const wanted = opts.preferredPort ?? 5432;
  let port = wanted;
  if (!(await portIsFree(wanted))) {
    port = await freePort();
    notices.push(notice('portInUse', 'info', `port ${wanted} is in use on 127.0.0.1 (another PostgreSQL?): the demo cluster listens on ${port} instead`, { port: String(wanted), chosen: String(port) }));
  }
  const startOn = (p: number): Promise<RunOutput> => runner.pg('pg_ctl', ['-D', dataDir, '-l', logPath, '-o', `-p ${p}`, '-w', '-t', '30', '-s', 'start']);
  let start = await startOn(port);
  if (start.code !== 0 && !(await portIsFree(port))) {
    // another process took the port between the check and the start: once more on a free one
    const taken = port;
    port = await freePort();
    notices.push(notice('portInUse', 'info', `port ${taken} was taken while the demo cluster started: it listens on ${port} instead`, { port: String(taken), chosen: String(port) }));
    start = await startOn(port);
  }
  if (start.code !== 0) {
    let tail = '';
    try {
      tail = lastLines(readFileSync(logPath, 'utf8'));
    } catch {
      // no log
    }
    return fail('did not start', { ...start, stderr: `${start.stderr}\n${tail}` });
  }
  const cluster = handle(runner, dir, dataDir, port);
  const exists = await runner.pg('psql', ['-X', '-q', '-At', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', `SELECT 1 FROM pg_database WHERE datname = '${DEMO_DATABASE}'`]);
  if (exists.stdout.trim() !== '1') {
    const create = await runner.pg('psql', ['-X', '-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', `CREATE DATABASE ${DEMO_DATABASE}`]);
    const seed = create.code === 0 ? await runner.pg('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', DEMO_DATABASE, '-f', '-'], SAMPLE_SQL) : create;
    if (seed.code !== 0) {
      await cluster.stop();
      return fail('could not get its sample database', seed);
    }
  }
  log(`demo: PostgreSQL ${fresh ? 'created and ' : ''}started on 127.0.0.1:${port} (${dir})`);
  return { cluster, notices };
}

function handle(runner: Runner, dir: string, dataDir: string, port: number): DemoPostgres {
  let stopped: Promise<void> | undefined;
  return {
    port,
    dir,
    stop(): Promise<void> {
      stopped ??= runner.pg('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', '-s', 'stop']).then(() => undefined);
      return stopped;
    },
  };
}
