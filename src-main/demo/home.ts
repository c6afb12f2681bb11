/**
 * The demo home: a clinic files folder of generated sample documents, an embedded folder
 * storage, an age identity, a `local` server (this machine), a staging restore target in a temp
 * folder and — where Debian's PostgreSQL 15 / MariaDB are installed — a throwaway PostgreSQL
 * cluster with a sample clinic database and a throwaway MariaDB server with a sample schedule
 * database (src-main/demo/postgres.ts, mariadb.ts). Sets are made by real backups (the first one in the background once the
 * console is up), so every set the console shows is real and authentic.
 *
 * The config is the demo's own and is rewritten at each start (the databases' ports and which
 * databases there are may change between starts); the identity, storage, catalog and
 * files stay until `--reset`, which moves them aside (never deletes them).
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CofreError } from '../errors.js';
import { EncryptionSchema } from '../config/schema.js';
import { generateIdentity, recipientFromIdentity, writeIdentityFile } from '../crypto/age.js';
import { loadIdentities } from '../crypto/identity-file.js';
import { writeSampleFiles } from './sample-files.js';
import { DEMO_DATABASE, DEMO_PG_BIN, startDemoPostgres, type DemoPostgres } from './postgres.js';
import { DEMO_MARIADB_DATABASE, DEMO_MARIADB_USER, mariadbBinaries, resetDemoMariadb, startDemoMariadb, type DemoMariadb } from './mariadb.js';
import { notice, runProgram, type DemoNotice } from './notices.js';
import { isAlive } from '../util/process.js';

export const DEMO_CONFIG = 'cofre-demo.yaml';
export const DEMO_PLAN = 'diario';

export interface DemoSetup {
  home: string;
  configPath: string;
  /** the home was made now (or by --reset) */
  created: boolean;
  /** where staging restores and drills put files */
  restoreRoot: string;
  filesRoot: string;
  /** set once startDemoDatabases has started it */
  postgres?: DemoPostgres;
  /** set once startDemoDatabases has started it */
  mariadb?: DemoMariadb;
  /** the config names the PostgreSQL database (being started, or running) */
  pg: boolean;
  /** the config names the MariaDB database (being started, or running) */
  my: boolean;
  notices: DemoNotice[];
  recipient: string;
  identityFile: string;
  storagePath: string;
  pgBin: string;
  /** the port the config names for the PostgreSQL database */
  pgPort: number;
  /** a folder holding mariadbd and mariadb-install-db (undefined: Debian's) */
  mariadbBin?: string;
  /** the port the config names for the MariaDB database */
  myPort: number;
  /** the demo's manifest signing key, once the config knows signing */
  signing?: { keyFile: string; signer: string };
}

export interface DemoOptions {
  reset?: boolean;
  /** PostgreSQL server binaries (default Debian's 15) */
  pgBin?: string;
  /** MariaDB server binaries: a folder holding mariadbd and mariadb-install-db (default Debian's /usr/sbin, /usr/bin) */
  mariadbBin?: string;
  /** a config without a database (scripts, Electron before its own start) */
  noDatabase?: boolean;
  log?: (line: string) => void;
}

/** Throws DEMO_UNAVAILABLE when `home` cannot be created or written. */
export function assertWritable(home: string): void {
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    accessSync(home, constants.W_OK | constants.X_OK);
    const probe = join(home, `.write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new CofreError('DEMO_UNAVAILABLE', `the demo folder ${home} cannot be written (${code})`, {
      hint: 'pass --home with a folder you can write, or fix the permissions of that folder',
      cause: err,
    });
  }
}

/** The staging restore target's folder: a temp folder named after the home (stable across starts). */
export function demoRestoreRoot(home: string): string {
  return join(tmpdir(), `cofre-demo-homologacao-${createHash('sha256').update(home).digest('hex').slice(0, 12)}`);
}

/** true once the config schema knows manifest signing (encryption.signingKeyFile / signers). */
function schemaSignsManifests(): boolean {
  return 'signingKeyFile' in EncryptionSchema.shape && 'signers' in EncryptionSchema.shape;
}

/**
 * The demo's own manifest signing key (OpenSSH ed25519, no passphrase, made by ssh-keygen), so
 * its sets are authentic under the fail-closed rules; undefined where ssh-keygen is missing.
 */
async function ensureSigningKey(home: string): Promise<{ keyFile: string; signer: string } | undefined> {
  const keyFile = join(home, 'signing_key');
  if (!existsSync(keyFile)) {
    const r = await runProgram('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cofre-demo', '-f', keyFile]);
    if (r.code !== 0) return undefined;
  }
  const [type, key] = readText(`${keyFile}.pub`).trim().split(/\s+/);
  return type && key ? { keyFile, signer: `${type} ${key}` } : undefined;
}

function demoConfig(o: { home: string; filesRoot: string; restoreRoot: string; storagePath: string; identityFile: string; recipient: string; signing?: { keyFile: string; signer: string }; pgPort?: number; myPort?: number }): string {
  const q = (s: string): string => JSON.stringify(s);
  const db = o.pgPort !== undefined;
  const my = o.myPort !== undefined;
  const sources = [...(db ? ['banco'] : []), ...(my ? ['agenda'] : []), 'arquivos'];
  return `# Cofre demo configuration, rewritten by each \`cofre demo\` start (copy it to experiment).
# The "aqui" server is this machine (kind: local, no SSH); the storage is a folder in the demo home.
# ${db ? `PostgreSQL: a throwaway cluster of the demo on 127.0.0.1:${o.pgPort}.` : 'No demo PostgreSQL here (not installed, or it did not start).'}
# ${my ? `MariaDB: a throwaway server of the demo on 127.0.0.1:${o.myPort} (account ${DEMO_MARIADB_USER} without password, loopback only).` : 'No demo MariaDB here (not installed, or it did not start).'}

servers:
  aqui:
    kind: local
    location: { provider: clinica-demo, region: sala-servidores }

sources:
${db ? `  banco:
    server: aqui
    type: postgres
    host: 127.0.0.1
    port: ${o.pgPort}
    user: postgres
    databases: [${DEMO_DATABASE}]
` : ''}${my ? `  agenda:
    server: aqui
    type: mysql
    host: 127.0.0.1
    port: ${o.myPort}
    user: ${DEMO_MARIADB_USER}
    databases: [${DEMO_MARIADB_DATABASE}]
` : ''}  arquivos:
    server: aqui
    type: files
    paths: [${q(o.filesRoot)}]
    exclude: ["*.tmp"]

storage:
  nuvem-demo:
    type: folder                    # in production: S3 in another region or provider
    path: ${q(o.storagePath)}
    location: { provider: demo-nuvem, region: outra-regiao }

encryption:
  recipients: ["${o.recipient}"]
  identityFile: ${q(o.identityFile)}
${o.signing ? `  signingKeyFile: ${q(o.signing.keyFile)}
  signers: [${q(o.signing.signer)}]
` : ''}
plans:
  ${DEMO_PLAN}:
    sources: [${sources.join(', ')}]
    storage: nuvem-demo
    schedule: "0 2 * * *"           # every day at 02:00
    timezone: America/Sao_Paulo
    retention: { keepDays: 30, keepMin: 7 }

restoreTargets:
  homologacao:
    kind: staging
    server: aqui
${db ? `    postgres: { host: 127.0.0.1, port: ${o.pgPort}, user: postgres }
` : ''}${my ? `    mysql: { host: 127.0.0.1, port: ${o.myPort}, user: ${DEMO_MARIADB_USER} }
` : ''}    filesRoot: ${q(o.restoreRoot)}

drill:
  target: homologacao
  auto: false
`;
}

/** The ports in the previous config, so a restarted demo keeps its databases where the sets say they were. */
function previousPorts(configPath: string): { pg?: number; my?: number } {
  try {
    const doc = parse(readText(configPath)) as { sources?: Record<string, { port?: unknown } | undefined> } | null;
    const port = (name: string): number | undefined => {
      const p = doc?.sources?.[name]?.port;
      return typeof p === 'number' && Number.isInteger(p) ? p : undefined;
    };
    const pg = port('banco');
    const my = port('agenda');
    return { ...(pg === undefined ? {} : { pg }), ...(my === undefined ? {} : { my }) };
  } catch {
    return {};
  }
}

function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Stops a cluster a killed demo left running in this home, so --reset can move its folder. */
async function stopLeftoverCluster(home: string, pgBin: string): Promise<void> {
  const dataDir = join(home, 'postgres', 'data');
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readText(pidFile).split('\n')[0]);
  if (!Number.isInteger(pid) || !isAlive(pid)) return;
  const args = ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', '-s', 'stop'];
  await (process.getuid?.() === 0 ? runProgram('runuser', ['-u', 'postgres', '--', join(pgBin, 'pg_ctl'), ...args]) : runProgram(join(pgBin, 'pg_ctl'), args));
}

/** Makes (or reuses) the demo home and writes its config; problems become notices, except an unwritable home. The database starts apart (startDemoDatabase). */
export async function prepareDemo(home: string, opts: DemoOptions = {}): Promise<DemoSetup> {
  const log = opts.log ?? ((): void => undefined);
  assertWritable(home);
  const configPath = join(home, DEMO_CONFIG);
  const storagePath = join(home, 'storage');
  const identityFile = join(home, 'identity.txt');
  const filesRoot = join(home, 'clinica', 'arquivos');
  const restoreRoot = demoRestoreRoot(home);
  const notices: DemoNotice[] = [];

  if (opts.reset) {
    await stopLeftoverCluster(home, opts.pgBin ?? DEMO_PG_BIN);
    const stamp = new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15);
    // MariaDB too: its server is stopped, its folder moved aside (the home's with the rest, a /tmp one beside itself)
    await resetDemoMariadb(home, stamp);
    const aside = join(home, `previous-${stamp}`);
    const parts = ['catalog.sqlite', 'catalog.sqlite-wal', 'catalog.sqlite-shm', 'storage', 'clinica', 'postgres', 'mariadb', 'identity.txt', 'signing_key', 'signing_key.pub', DEMO_CONFIG, 'reports'];
    const present = parts.filter((p) => existsSync(join(home, p)));
    if (present.length > 0) {
      mkdirSync(aside, { recursive: true });
      for (const p of present) renameSync(join(home, p), join(aside, p));
      log(`demo: the previous demo state was moved to ${aside}`);
    }
    if (existsSync(restoreRoot)) renameSync(restoreRoot, `${restoreRoot}.previous-${Date.now()}`);
  }

  const created = !existsSync(identityFile);
  mkdirSync(storagePath, { recursive: true });
  mkdirSync(restoreRoot, { recursive: true, mode: 0o700 });
  if (!existsSync(filesRoot) || readdirSync(filesRoot).length === 0) writeSampleFiles(filesRoot);
  let recipient: string;
  if (created) {
    const id = generateIdentity();
    await writeIdentityFile(identityFile, id.identity, id.recipient);
    recipient = id.recipient;
  } else {
    const [identity] = await loadIdentities(identityFile);
    if (!identity) throw new CofreError('DEMO_UNAVAILABLE', `the demo identity ${identityFile} holds no age key`, { hint: 'run `cofre demo --reset` to start over' });
    recipient = recipientFromIdentity(identity);
  }

  const pgBin = opts.pgBin ?? DEMO_PG_BIN;
  const ports = previousPorts(configPath);
  const signing = schemaSignsManifests() ? await ensureSigningKey(home) : undefined;
  const setup: DemoSetup = {
    home, configPath, created, restoreRoot, filesRoot, notices, recipient, identityFile, storagePath, pgBin, pgPort: ports.pg ?? 5432,
    myPort: ports.my ?? 3306, pg: false, my: false, ...(opts.mariadbBin ? { mariadbBin: opts.mariadbBin } : {}), ...(signing ? { signing } : {}),
  };
  if (!opts.noDatabase) {
    // the databases start in the background (startDemoDatabases): the config names them already
    if (['initdb', 'pg_ctl', 'postgres', 'psql'].every((b) => existsSync(join(pgBin, b)))) setup.pg = true;
    else notices.push(notice('pgMissing', 'info', `the PostgreSQL 15 server is not installed (${pgBin}/postgres is missing): the demo runs without PostgreSQL (Debian: apt install postgresql-15)`, { bin: pgBin }));
    if (mariadbBinaries(opts.mariadbBin)) setup.my = true;
    else {
      const where = opts.mariadbBin ?? '/usr/sbin or /usr/bin';
      notices.push(notice('myMissing', 'info', `the MariaDB server is not installed (mariadbd or mariadb-install-db is missing in ${where}): the demo runs without MariaDB (Debian: apt install mariadb-server mariadb-client)`, { bin: where }));
    }
    if (!setup.pg && !setup.my) notices.push(filesOnly());
  }
  writeDemoConfig(setup);
  return setup;
}

function filesOnly(): DemoNotice {
  return notice('filesOnly', 'info', 'the demo backs up the sample files only (no database): see the notices above for why', {});
}

function writeDemoConfig(s: DemoSetup): void {
  writeFileSync(s.configPath, demoConfig({
    home: s.home, filesRoot: s.filesRoot, restoreRoot: s.restoreRoot, storagePath: s.storagePath, identityFile: s.identityFile, recipient: s.recipient,
    ...(s.signing ? { signing: s.signing } : {}), ...(s.pg ? { pgPort: s.pgPort } : {}), ...(s.my ? { myPort: s.myPort } : {}),
  }), { mode: 0o600 });
}

/**
 * Starts (or reuses) the demo's PostgreSQL cluster and MariaDB server side by side, then
 * rewrites the config with the ports they got, leaving out one that could not start (the
 * reason joins `setup.notices`); files-only when neither did.
 */
export async function startDemoDatabases(setup: DemoSetup, log?: (line: string) => void): Promise<{ postgres?: DemoPostgres; mariadb?: DemoMariadb }> {
  const l = log ? { log } : {};
  const [pg, my] = await Promise.all([
    setup.pg ? startDemoPostgres({ home: setup.home, bin: setup.pgBin, preferredPort: setup.pgPort, ...l }) : undefined,
    setup.my ? startDemoMariadb({ home: setup.home, preferredPort: setup.myPort, ...(setup.mariadbBin ? { bin: setup.mariadbBin } : {}), ...l }) : undefined,
  ]);
  setup.notices.push(...(pg?.notices ?? []), ...(my?.notices ?? []));
  if (pg?.cluster) {
    setup.postgres = pg.cluster;
    setup.pgPort = pg.cluster.port;
  } else setup.pg = false;
  if (my?.cluster) {
    setup.mariadb = my.cluster;
    setup.myPort = my.cluster.port;
  } else setup.my = false;
  if (!setup.pg && !setup.my && !setup.notices.some((n) => n.code === 'filesOnly')) setup.notices.push(filesOnly());
  writeDemoConfig(setup);
  return { ...(setup.postgres ? { postgres: setup.postgres } : {}), ...(setup.mariadb ? { mariadb: setup.mariadb } : {}) };
}

/** true when the demo storage holds at least one set with its manifest (a finished backup). */
export function demoHasSets(home: string): boolean {
  const sets = join(home, 'storage', 'sets');
  try {
    return readdirSync(sets).some((id) => existsSync(join(sets, id, 'manifest.json')));
  } catch {
    return false;
  }
}
