/** Contracts of the SSH layer: what to connect to, and what a connected host can do. */
import type { Readable } from 'node:stream';

/** One server entry of the config with its secrets resolved (see app/servers.ts). */
export type ServerSpec = SshServerSpec | LocalServerSpec;

/** A server reached over SSH. */
export interface SshServerSpec {
  /** absent means ssh */
  kind?: 'ssh';
  /** the config name, used in messages */
  name: string;
  host: string;
  port: number;
  user: string;
  /** absolute path of the private key (OpenSSH, PEM or PPK; ed25519, ECDSA or RSA) */
  privateKeyFile: string;
  privateKeyPassphrase?: string;
  /** pinned host key fingerprint, `SHA256:<base64 without padding>` as OpenSSH prints it */
  hostKey?: string;
}

/** `kind: local`: commands run on this machine through `sh -c`, as the user running Cofre. */
export interface LocalServerSpec {
  kind: 'local';
  name: string;
}

export interface ConnectOptions {
  /** overrides `server.privateKeyPassphrase` */
  privateKeyPassphrase?: string;
  /** connect even without a pinned host key (only for showing/pinning the key); default false */
  allowUnpinned?: boolean;
  /** time allowed for TCP connect + handshake + auth; default 20 s */
  readyTimeoutMs?: number;
  /** SSH keepalive interval; default 15 s. The connection is dropped after `keepaliveCountMax` unanswered ones. */
  keepaliveIntervalMs?: number;
  /** default 4 */
  keepaliveCountMax?: number;
}

export interface ExecOptions {
  /** bytes for the command's standard input; without it stdin is closed at once */
  stdin?: Readable;
  /**
   * Environment variables for the command (e.g. PGPASSWORD, MYSQL_PWD). They travel inside
   * the encrypted channel on stdin, never on a command line (see shell.ts).
   */
  env?: Record<string, string>;
  /** name of the command in messages; default: the command's first word */
  label?: string;
  /**
   * Exit codes after which `stdout` ends normally; after any other exit (or a signal) `stdout`
   * errors with REMOTE_COMMAND_FAILED, so a pipeline consuming it never takes a failed dump
   * for a complete one. Default `[0]`.
   */
  okCodes?: readonly number[];
}

export interface ExecResult {
  /** exit code, or null when the command was killed by a signal */
  code: number | null;
  signal?: string;
  /** the last ~64 KiB of standard error */
  stderr: string;
}

export interface RemoteProcess {
  /** the command's standard output, streamed with backpressure (never buffered whole) */
  readonly stdout: Readable;
  /**
   * Resolves when the command has exited (with any code). Rejects when the exit status never
   * arrives: connection lost (HOST_UNREACHABLE), channel closed or cancelled.
   */
  readonly done: Promise<ExecResult>;
  /** the last ~64 KiB of standard error seen so far */
  stderrTail(): string;
  /** Asks the server to end the command (TERM) and closes the channel; `done` rejects with CANCELLED. */
  cancel(): void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal?: string;
}

export interface RunOptions extends Omit<ExecOptions, 'okCodes'> {
  /** largest stdout kept in memory; more fails the call. Default 16 MiB. */
  maxStdoutBytes?: number;
}

export interface RemoteHost {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** fingerprint of the host key presented by the server, `SHA256:…` */
  readonly hostKeyFingerprint: string;
  /** true until the connection ends */
  readonly connected: boolean;
  /** Starts a command through the user's login shell; consume `stdout` (or resume it) or the command stalls. */
  exec(command: string, opts?: ExecOptions): RemoteProcess;
  /** Runs a small command and collects its output; any exit code resolves. */
  run(command: string, opts?: RunOptions): Promise<RunResult>;
  /** Like `run`, but a non-zero exit throws REMOTE_COMMAND_FAILED naming the command and its stderr tail. */
  runChecked(command: string, opts?: RunOptions): Promise<RunResult>;
  /** Closes the connection; commands still running end with an error. */
  close(): void;
  /** resolves once the connection has ended */
  readonly closed: Promise<void>;
}
