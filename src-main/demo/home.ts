/**
 * The demo home: a clinic files folder of generated sample documents, an embedded folder
 * storage, an age identity, a `local` server (this machine), a staging restore target in a temp
 * folder and — where Debian's PostgreSQL 15 is installed — a throwaway cluster with a sample
 * clinic database. Sets are made by real backups (the first one in the background once the
 * console is up), so every set the console shows is real and authentic.
 *
 * The config is the demo's own and is rewritten at each start (the database's port and whether
 * there is a database at all may change between starts); the identity, storage, catalog and
 * files stay until `--reset`, which moves them aside (never deletes them).
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CofreError } from '../errors.js';
import { EncryptionSchema } from '../config/schema.js';
import { generateIdentity, recipientFromIdentity, writeIdentityFile } from '../crypto/age.js';
import { loadIdentities } from '../crypto/identity-file.js';
import { writeSampleFiles } from './sample-files.js';
import { DEMO_DATABASE, DEMO_PG_BIN, startDemoPostgres, type DemoPostgres } from './postgres.js';
import { isAlive, notice, runProgram, type DemoNotice } from './notices.js';

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
  /** set once startDemoDatabase has started it */
  postgres?: DemoPostgres;
  /** the config names a database (being started, or running) */
  database: boolean;
  notices: DemoNotice[];
  recipient: string;
  identityFile: string;
  storagePath: string;
  pgBin: string;
  /** the port the config names for the database */
  pgPort: number;
  /** the demo's manifest signing key, once the config knows signing */
  signing?: { keyFile: string; signer: string };
}

export interface DemoOptions {
  reset?: boolean;
  /** PostgreSQL server binaries (default Debian's 15) */
  pgBin?: string;
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

function demoConfig(o: { home: string; filesRoot: string; restoreRoot: string; storagePath: string; identityFile: string; recipient: string; signing?: { keyFile: string; signer: string }; pgPort?: number }): string {
  const q = (s: string): string => JSON.stringify(s);
  const db = o.pgPort !== undefined;
  return `# Cofre demo configuration, rewritten by each \`cofre demo\` start (copy it to experiment).
# The "aqui" server is this machine (kind: local, no SSH); the storage is a folder in the demo home.
# ${db ? `The database is a throwaway PostgreSQL cluster of the demo on 127.0.0.1:${o.pgPort}.` : 'No PostgreSQL server is installed here: the demo backs up files only.'}

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
    sources: [${db ? 'banco, ' : ''}arquivos]
    storage: nuvem-demo
    schedule: "0 2 * * *"           # every day at 02:00
    timezone: America/Sao_Paulo
    retention: { keepDays: 30, keepMin: 7 }

restoreTargets:
  homologacao:
    kind: staging
    server: aqui
${db ? `    postgres: { host: 127.0.0.1, port: ${o.pgPort}, user: postgres }
` : ''}    filesRoot: ${q(o.restoreRoot)}

drill:
  target: homologacao
  auto: false
`;
}

/** The port in the previous config, so a restarted demo keeps its database where the sets say it was. */
function previousPort(configPath: string): number | undefined {
  try {
    const m = /^\s+port: (\d+)$/m.exec(readText(configPath));
    return m?.[1] ? Number(m[1]) : undefined;
  } catch {
    return undefined;
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
    const aside = join(home, `previous-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}`);
    const parts = ['catalog.sqlite', 'catalog.sqlite-wal', 'catalog.sqlite-shm', 'storage', 'clinica', 'postgres', 'identity.txt', 'signing_key', 'signing_key.pub', DEMO_CONFIG, 'reports'];
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
  const pgPort = previousPort(configPath) ?? 5432;
  const signing = schemaSignsManifests() ? await ensureSigningKey(home) : undefined;
  const setup: DemoSetup = { home, configPath, created, restoreRoot, filesRoot, notices, recipient, identityFile, storagePath, pgBin, pgPort, database: false, ...(signing ? { signing } : {}) };
  if (opts.noDatabase) {
    writeDemoConfig(setup);
  } else if (['initdb', 'pg_ctl', 'postgres', 'psql'].every((b) => existsSync(join(pgBin, b)))) {
    // the database starts in the background (startDemoDatabase): the config names it already
    setup.database = true;
    writeDemoConfig(setup, pgPort);
  } else {
    notices.push(notice('pgMissing', 'info', `the PostgreSQL 15 server is not installed (${pgBin}/postgres is missing): the demo backs up files only (Debian: apt install postgresql-15)`, { bin: pgBin }));
    notices.push(notice('filesOnly', 'info', 'the demo backs up the sample files only (no database): see the notice above for why', {}));
    writeDemoConfig(setup);
  }
  return setup;
}

function writeDemoConfig(s: DemoSetup, pgPort?: number): void {
  writeFileSync(s.configPath, demoConfig({ home: s.home, filesRoot: s.filesRoot, restoreRoot: s.restoreRoot, storagePath: s.storagePath, identityFile: s.identityFile, recipient: s.recipient, ...(s.signing ? { signing: s.signing } : {}), ...(pgPort === undefined ? {} : { pgPort }) }), { mode: 0o600 });
}

/**
 * Starts (or reuses) the demo's PostgreSQL cluster, then rewrites the config with the port it
 * got, or files-only when it could not start (the reason joins `setup.notices`).
 */
export async function startDemoDatabase(setup: DemoSetup, log?: (line: string) => void): Promise<DemoPostgres | undefined> {
  const pg = await startDemoPostgres({ home: setup.home, bin: setup.pgBin, preferredPort: setup.pgPort, ...(log ? { log } : {}) });
  setup.notices.push(...pg.notices);
  if (pg.cluster) {
    setup.postgres = pg.cluster;
    if (pg.cluster.port !== setup.pgPort) writeDemoConfig(setup, pg.cluster.port);
  } else {
    setup.database = false;
    setup.notices.push(notice('filesOnly', 'info', 'the demo backs up the sample files only (no database): see the notice above for why', {}));
    writeDemoConfig(setup);
  }
  return pg.cluster;
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
