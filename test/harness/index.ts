/**
 * The real-service test harness: OpenSSH sshd, PostgreSQL 15 (production and staging
 * clusters), MariaDB 10.11 and s3rver, each on 127.0.0.1 with a free port and a throwaway
 * folder. Used by the vitest global setup, by bench/ and by e2e tests.
 */
import { startMariadb } from './mariadb.js';
import type { MariadbHandle, MariadbInfo } from './mariadb.js';
import { startPostgres } from './postgres.js';
import type { PostgresHandle, PostgresInfo } from './postgres.js';
import { startS3rver } from './s3.js';
import type { S3ServerHandle, S3ServerInfo } from './s3.js';
import { startSshd } from './sshd.js';
import type { SshServerHandle, SshServerInfo, StartSshdOptions } from './sshd.js';

export { freePort, tempDir, removeDir } from './util.js';
export type { RunResult } from './util.js';
export { startSshd, sshExec, fingerprintOf } from './sshd.js';
export type { SshServerHandle, SshServerInfo, StartSshdOptions } from './sshd.js';
export { startPostgres, pgPsql, pgCreateDatabase, PG_BIN } from './postgres.js';
export type { PostgresHandle, PostgresInfo, StartPostgresOptions } from './postgres.js';
export { startMariadb, mariadbSql, mariadbCreateDatabase } from './mariadb.js';
export type { MariadbHandle, MariadbInfo } from './mariadb.js';
export { startS3rver } from './s3.js';
export type { S3ServerHandle, S3ServerInfo } from './s3.js';

/** Serializable connection info for every service (what tests get from `inject('harness')`). */
export interface HarnessInfo {
  ssh: SshServerInfo;
  postgres: PostgresInfo;
  /** a second cluster playing the staging (homologação) server */
  postgresStaging: PostgresInfo;
  mariadb: MariadbInfo;
  s3: S3ServerInfo;
}

export interface Harness {
  ssh: SshServerHandle;
  postgres: PostgresHandle;
  postgresStaging: PostgresHandle;
  mariadb: MariadbHandle;
  s3: S3ServerHandle;
  info: HarnessInfo;
  stop(): Promise<void>;
}

export interface StartHarnessOptions {
  ssh?: StartSshdOptions;
}

/**
 * For scripts that start services themselves (bench/): an INT, TERM or HUP stops them before
 * the process ends, instead of leaving database servers running. Returns the function that
 * removes the handlers (call it once the services are stopped normally).
 */
export function stopOnSignal(stop: () => Promise<unknown>): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const off = (): void => {
    for (const s of signals) process.off(s, onSignal);
  };
  function onSignal(signal: NodeJS.Signals): void {
    off();
    process.stderr.write(`\n${signal}: stopping the test services first\n`);
    void stop()
      .catch(() => undefined)
      .finally(() => process.kill(process.pid, signal));
  }
  for (const s of signals) process.on(s, onSignal);
  return off;
}

/** Starts every service in parallel; if any fails, stops the others and throws its error. */
export async function startHarness(opts: StartHarnessOptions = {}): Promise<Harness> {
  const started = await Promise.allSettled([
    startSshd(opts.ssh),
    startPostgres(),
    startPostgres(),
    startMariadb(),
    startS3rver(),
  ] as const);
  const [ssh, postgres, postgresStaging, mariadb, s3] = started;
  if (
    ssh.status !== 'fulfilled' ||
    postgres.status !== 'fulfilled' ||
    postgresStaging.status !== 'fulfilled' ||
    mariadb.status !== 'fulfilled' ||
    s3.status !== 'fulfilled'
  ) {
    const errors: unknown[] = [];
    await Promise.all(
      started.map(async (result) => {
        if (result.status === 'fulfilled') await result.value.stop().catch(() => undefined);
        else errors.push(result.reason);
      }),
    );
    const messages = errors.map((e) => (e instanceof Error ? e.message : String(e)));
    throw new Error(`the test harness did not start:\n${messages.join('\n\n')}`, { cause: errors[0] });
  }
  const handles = {
    ssh: ssh.value,
    postgres: postgres.value,
    postgresStaging: postgresStaging.value,
    mariadb: mariadb.value,
    s3: s3.value,
  };
  return {
    ...handles,
    info: {
      ssh: toSshInfo(handles.ssh),
      postgres: toPostgresInfo(handles.postgres),
      postgresStaging: toPostgresInfo(handles.postgresStaging),
      mariadb: toMariadbInfo(handles.mariadb),
      s3: toS3Info(handles.s3),
    },
    async stop(): Promise<void> {
      await Promise.allSettled(Object.values(handles).map((h) => h.stop()));
    },
  };
}

function toSshInfo(h: SshServerHandle): SshServerInfo {
  return {
    host: h.host,
    port: h.port,
    user: h.user,
    privateKeyPath: h.privateKeyPath,
    encryptedKeyPath: h.encryptedKeyPath,
    passphrase: h.passphrase,
    ...(h.rsaKeyPath === undefined ? {} : { rsaKeyPath: h.rsaKeyPath }),
    hostKeyFingerprint: h.hostKeyFingerprint,
    hostPublicKey: h.hostPublicKey,
    knownHostsPath: h.knownHostsPath,
    dir: h.dir,
    logPath: h.logPath,
  };
}

function toPostgresInfo(h: PostgresHandle): PostgresInfo {
  return {
    host: h.host,
    port: h.port,
    user: h.user,
    passwordUser: h.passwordUser,
    password: h.password,
    socketDir: h.socketDir,
    version: h.version,
    dataDir: h.dataDir,
    logPath: h.logPath,
  };
}

function toMariadbInfo(h: MariadbHandle): MariadbInfo {
  return {
    host: h.host,
    port: h.port,
    user: h.user,
    password: h.password,
    socketPath: h.socketPath,
    version: h.version,
    dataDir: h.dataDir,
    logPath: h.logPath,
  };
}

function toS3Info(h: S3ServerHandle): S3ServerInfo {
  return { endpoint: h.endpoint, region: h.region, accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey };
}
