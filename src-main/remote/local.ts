/**
 * `kind: local` servers: the same RemoteHost as over SSH, but each command runs on this machine
 * through `sh -c`, as the user running Cofre (the demo; Cofre installed on the clinic server).
 * Secrets reach a command in its environment (readable only by that user, never in an argv).
 * Each command gets its own process group, so a cancel stops the whole pipeline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { userInfo } from 'node:os';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { CofreError } from '../errors.js';
import { STDERR_LIMIT, TailBuffer, collectRun, checkRunResult, stderrSummary } from './exec.js';
import { commandLabel } from './shell.js';
import type { ExecOptions, ExecResult, LocalServerSpec, RemoteHost, RemoteProcess, RunOptions, RunResult } from './types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What a local server needs: a POSIX shell, GNU tar, GNU find and flock (the server lock). */
const TOOLS_PROBE = [
  'for t in tar find flock; do command -v "$t" >/dev/null 2>&1 || echo "missing $t"; done',
  'tar --version 2>/dev/null | head -n 1',
  'find --version 2>/dev/null | head -n 1',
].join('; ');

/** Opens a local server after checking that this machine has the tools backups and restores use. */
/** `shell` and `env` (the commands' environment, PATH included) default to `sh` and this process's environment. */
export async function openLocal(spec: LocalServerSpec, opts: { shell?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RemoteHost> {
  const host = new LocalRemoteHost(spec, opts.shell ?? 'sh', opts.env ?? process.env);
  let out: RunResult;
  try {
    out = await host.run(TOOLS_PROBE, { label: 'tool check' });
  } catch (err) {
    throw new CofreError('LOCAL_TOOLS_MISSING', `server ${spec.name} (kind: local) cannot run commands on this machine: ${(err as Error).message}`, {
      hint: 'a local server needs a POSIX shell (`sh`) on the PATH of the user running Cofre',
      cause: err,
    });
  }
  const missing = [...out.stdout.matchAll(/^missing (\S+)$/gm)].map((m) => m[1] ?? '');
  const lines = out.stdout.split('\n').filter((l) => l && !l.startsWith('missing '));
  if (!missing.includes('tar') && !lines.some((l) => /GNU tar/.test(l))) missing.push('GNU tar (found another tar)');
  if (!missing.includes('find') && !lines.some((l) => /GNU findutils/.test(l))) missing.push('GNU find (found another find)');
  if (missing.length > 0) {
    throw new CofreError('LOCAL_TOOLS_MISSING', `server ${spec.name} (kind: local) lacks ${missing.join(', ')} on this machine`, {
      hint: 'install them (Debian/Ubuntu: apt install tar findutils util-linux); Cofre uses GNU tar, find and flock on a local server',
    });
  }
  return host;
}

class LocalRemoteHost implements RemoteHost {
  readonly host = 'localhost';
  readonly port = 0;
  readonly user: string;
  readonly hostKeyFingerprint = '';
  readonly closed: Promise<void>;
  private open = true;
  private readonly running = new Set<RemoteProcess>();
  private resolveClosed!: () => void;
  private readonly label: string;

  constructor(private readonly spec: LocalServerSpec, private readonly shell: string, private readonly env: NodeJS.ProcessEnv) {
    this.user = currentUser();
    this.label = `${spec.name} (this machine)`;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  get name(): string {
    return this.spec.name;
  }
  get connected(): boolean {
    return this.open;
  }

  exec(command: string, opts: ExecOptions = {}): RemoteProcess {
    if (!this.open) {
      const label = opts.label ?? commandLabel(command);
      return failedProcess(new CofreError('HOST_UNREACHABLE', `cannot start ${label}: ${this.label} was closed`));
    }
    const proc = startLocal(this.shell, this.env, this.label, command, opts);
    this.running.add(proc);
    void proc.done.then(() => this.running.delete(proc), () => this.running.delete(proc));
    return proc;
  }

  run(command: string, opts: RunOptions = {}): Promise<RunResult> {
    return collectRun(this, this.label, command, opts);
  }

  async runChecked(command: string, opts: RunOptions = {}): Promise<RunResult> {
    return checkRunResult(await this.run(command, opts), this.label, this.user, command, opts);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    // like a dropped SSH connection: commands still running end (the lock holder releases)
    for (const p of this.running) p.cancel();
    this.resolveClosed();
  }
}

/** The user running Cofre (the one a local server's commands run as). */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'user');
  }
}

function failedProcess(err: CofreError): RemoteProcess {
  const stdout = new PassThrough();
  stdout.on('error', () => undefined);
  stdout.destroy(err);
  const done = Promise.reject(err);
  done.catch(() => undefined);
  return { stdout, done, stderrTail: () => '', cancel: () => undefined };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function startLocal(shell: string, baseEnv: NodeJS.ProcessEnv, where: string, command: string, opts: ExecOptions): RemoteProcess {
  const label = opts.label ?? commandLabel(command);
  const okCodes = opts.okCodes ?? [0];
  for (const [name, value] of Object.entries(opts.env ?? {})) {
    if (!ENV_NAME.test(name)) throw new CofreError('INVALID_ARGUMENT', `"${name}" is not a valid environment variable name`);
    if (value.includes('\0')) throw new CofreError('INVALID_ARGUMENT', `the value of ${name} contains a NUL, which cannot be passed to a command`);
  }
  const stdout = new PassThrough();
  stdout.on('error', () => undefined);
  const stderr = new TailBuffer(STDERR_LIMIT);
  let failure: CofreError | undefined;
  let finished = false;

  let resolveDone!: (r: ExecResult) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<ExecResult>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => undefined);

  const child = spawn(shell, ['-c', command], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...baseEnv, ...opts.env },
    detached: true,
  });

  const fail = (err: CofreError): void => {
    if (finished) return;
    finished = true;
    failure ??= err;
    rejectDone(failure);
    if (!stdout.destroyed) stdout.destroy(failure);
  };

  child.on('error', (err: NodeJS.ErrnoException) => {
    fail(new CofreError('REMOTE_COMMAND_FAILED', err.code === 'ENOENT'
      ? `cannot start ${label} on ${where}: there is no \`${shell}\` on the PATH`
      : `cannot start ${label} on ${where}: ${err.message}`, { cause: err }));
  });
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdout.pipe(stdout, { end: false });
  // the consumer gave up on stdout: stop the command rather than let it stall on a full pipe
  stdout.once('close', () => {
    if (!finished) {
      fail(new CofreError('CANCELLED', `${label} on ${where} was cancelled: its output was no longer read`));
      killGroup(child, 'SIGTERM');
    }
  });
  child.stdin.on('error', () => undefined); // EPIPE when the command exits without reading all of it
  const input = opts.stdin;
  if (input) {
    input.on('error', (e: Error) => {
      failure ??= new CofreError('REMOTE_COMMAND_FAILED', `the input of ${label} failed: ${e.message}`, { cause: e });
      killGroup(child, 'SIGTERM');
    });
    input.pipe(child.stdin);
  } else {
    child.stdin.end();
  }

  child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
    if (finished) return;
    if (failure) {
      fail(failure);
      return;
    }
    finished = true;
    const result: ExecResult = code === null ? { code: null, signal: signal ?? 'unknown', stderr: stderr.toString() } : { code, stderr: stderr.toString() };
    resolveDone(result);
    if (code !== null && okCodes.includes(code)) {
      stdout.end();
    } else {
      const how = code === null ? `was killed by signal ${signal ?? '?'}` : `exited with code ${code}`;
      stdout.destroy(new CofreError('REMOTE_COMMAND_FAILED', `${label} on ${where} ${how}: ${stderrSummary(stderr.toString())}`, {
        hint: 'read the error output above; the command ran on this machine',
      }));
    }
  });

  return {
    stdout: stdout as Readable,
    done,
    stderrTail: () => stderr.toString(),
    cancel(): void {
      if (finished) return;
      fail(new CofreError('CANCELLED', `${label} on ${where} was cancelled`));
      killGroup(child, 'SIGTERM');
    },
  };
}
