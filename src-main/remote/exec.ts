/**
 * One remote command on an ssh2 connection: stdout streamed with backpressure, stderr kept
 * bounded, and an exit that is only ever reported as success when the server said so.
 */
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import { commandLabel, envLine, withEnvPreamble } from './shell.js';
import type { ExecOptions, ExecResult, RemoteHost, RemoteProcess, RunOptions, RunResult } from './types.js';

export const STDERR_LIMIT = 64 * 1024;

/** Keeps the last `limit` bytes of a stream. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      const first = this.chunks[0] as Buffer;
      if (this.size - first.length >= this.limit) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        break;
      }
    }
  }

  toString(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

export interface ExecContext {
  client: Client;
  /** `clinica (203.0.113.10:22)` */
  label: string;
  /** why the connection ended, once it has */
  connectionError(): CofreError | undefined;
}

/** Last lines of stderr for a message (never the environment, which is not on stderr). */
export function stderrSummary(stderr: string, max = 2000): string {
  const text = stderr.trim();
  if (!text) return '(no error output)';
  return text.length <= max ? text : `…${text.slice(text.length - max)}`;
}

export function startExec(ctx: ExecContext, command: string, opts: ExecOptions = {}): RemoteProcess {
  const label = opts.label ?? commandLabel(command);
  const okCodes = opts.okCodes ?? [0];
  // Validate the env before anything is sent (throws synchronously on a bad name/value).
  const preamble = opts.env && Object.keys(opts.env).length > 0 ? envLine(opts.env) : undefined;
  const remoteCommand = preamble === undefined ? command : withEnvPreamble(command);

  const stdout = new PassThrough();
  // A consumer that ignores stdout must not crash the process when it errors; pipeline()
  // and async iteration still see the error through their own listeners.
  stdout.on('error', () => undefined);
  const stderr = new TailBuffer(STDERR_LIMIT);

  let channel: ClientChannel | undefined;
  let cancelled = false;
  let exit: { code: number | null; signal?: string } | undefined;
  let closed = false;
  let stdoutDrained = false;
  let failure: CofreError | undefined;

  let resolveDone!: (r: ExecResult) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<ExecResult>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // Callers that only watch stdout still get the error there; avoid an unhandled rejection.
  done.catch(() => undefined);

  const lostError = (): CofreError => {
    if (cancelled) return new CofreError('CANCELLED', `${label} on ${ctx.label} was cancelled`);
    const cause = ctx.connectionError();
    return new CofreError(
      'HOST_UNREACHABLE',
      `the SSH connection to ${ctx.label} ended while ${label} was running; its output is incomplete`,
      { ...said('ssh.lost', { server: ctx.label }), hint: 'check the network and the server, then run again', ...(cause ? { cause } : {}) },
    );
  };

  const finishStdout = (): void => {
    if (!closed || !stdoutDrained || stdout.destroyed || stdout.writableEnded) return;
    if (failure) {
      stdout.destroy(failure);
    } else if (exit && exit.code !== null && okCodes.includes(exit.code)) {
      stdout.end();
    } else {
      const how = exit?.code === null ? `was killed by signal ${exit.signal ?? '?'}` : `exited with code ${exit?.code}`;
      stdout.destroy(
        new CofreError('REMOTE_COMMAND_FAILED', `${label} on ${ctx.label} ${how}: ${stderrSummary(stderr.toString())}`, {
          ...said('ssh.commandFailed', { command: label, server: ctx.label }),
          hint: 'read the error output above; the command ran on the server',
        }),
      );
    }
  };

  const onChannelClosed = (): void => {
    if (closed) return;
    closed = true;
    if (exit === undefined) {
      // keep the first cause (e.g. the caller's stdin failed) rather than blaming the connection
      failure ??= lostError();
      rejectDone(failure);
    } else {
      resolveDone({ ...exit, stderr: stderr.toString() });
    }
    finishStdout();
  };

  const fail = (err: CofreError): void => {
    failure ??= err;
    closed = true;
    stdoutDrained = true;
    rejectDone(failure);
    finishStdout();
  };

  const onChannel = (err: Error | undefined, ch: ClientChannel): void => {
    if (err) {
      fail(
        ctx.connectionError() ??
          new CofreError('REMOTE_COMMAND_FAILED', `could not start ${label} on ${ctx.label}: ${err.message}`, {
            ...said('ssh.commandFailed', { command: label, server: ctx.label }),
            hint: 'the server refused a new session (MaxSessions?) or the connection is closing',
            cause: err,
          }),
      );
      return;
    }
    channel = ch;
    if (cancelled) {
      closeChannel(ch);
      return;
    }
    ch.on('exit', (code: number | null, signal?: string) => {
      exit = code === null ? { code: null, signal: signal ?? 'unknown' } : { code };
    });
    ch.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    ch.on('error', (e: Error) => {
      failure ??= ctx.connectionError() ?? new CofreError('REMOTE_COMMAND_FAILED', `${label} on ${ctx.label}: ${e.message}`, { cause: e });
    });
    ch.on('end', () => {
      stdoutDrained = true;
      finishStdout();
    });
    ch.on('close', onChannelClosed);
    ch.pipe(stdout, { end: false });
    // The consumer gave up on stdout (destroyed it): stop the command rather than let it stall.
    stdout.once('close', () => {
      if (!closed) {
        ch.unpipe(stdout);
        ch.resume();
        cancelled = true;
        fail(new CofreError('CANCELLED', `${label} on ${ctx.label} was cancelled: its output was no longer read`));
        closeChannel(ch);
      }
    });

    // stdin: the env line first, then the caller's stream, or EOF right away.
    if (preamble !== undefined) ch.write(preamble);
    const input = opts.stdin;
    if (input) {
      input.on('error', (e: Error) => {
        failure ??= new CofreError('REMOTE_COMMAND_FAILED', `the input of ${label} failed: ${e.message}`, { ...said('ssh.commandFailed', { command: label, server: ctx.label }), cause: e });
        ch.close();
      });
      input.pipe(ch);
    } else {
      ch.end();
    }
  };
  try {
    ctx.client.exec(remoteCommand, onChannel);
  } catch (err) {
    // ssh2 throws synchronously when the connection is already closed.
    fail(
      ctx.connectionError() ??
        new CofreError('HOST_UNREACHABLE', `cannot start ${label}: the SSH connection to ${ctx.label} is closed`, {
    ...said('ssh.lost', { server: ctx.label }), cause: err }),
    );
  }

  return {
    stdout: stdout as Readable,
    done,
    stderrTail: () => stderr.toString(),
    cancel(): void {
      if (closed) return;
      cancelled = true;
      // sshd keeps a channel until its command exits, so do not wait for the close: report the
      // cancellation now. The command gets SIGPIPE at its next write (dumps write constantly).
      fail(new CofreError('CANCELLED', `${label} on ${ctx.label} was cancelled`));
      if (channel) closeChannel(channel);
    },
  };
}

function closeChannel(ch: ClientChannel): void {
  ch.unpipe();
  ch.resume();
  try {
    ch.signal('TERM');
  } catch {
    // not possible after EOF in ssh2; the close below is what counts
  }
  try {
    ch.close();
  } catch {
    // already closing
  }
}

const DEFAULT_MAX_STDOUT = 16 * 1024 * 1024;

/** `RemoteHost.run` for any host: starts the command, keeps its stdout (bounded), resolves on any exit code. */
export async function collectRun(host: Pick<RemoteHost, 'exec'>, where: string, command: string, opts: RunOptions = {}): Promise<RunResult> {
  const { maxStdoutBytes = DEFAULT_MAX_STDOUT, ...execOpts } = opts;
  const label = opts.label ?? commandLabel(command);
  const proc = host.exec(command, { ...execOpts, okCodes: Array.from({ length: 256 }, (_, i) => i) });
  const chunks: Buffer[] = [];
  let size = 0;
  let tooBig = false;
  proc.stdout.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxStdoutBytes) {
      if (!tooBig) {
        tooBig = true;
        proc.cancel();
      }
      return;
    }
    chunks.push(chunk);
  });
  let result;
  try {
    result = await proc.done;
  } catch (err) {
    if (tooBig) {
      throw new CofreError('REMOTE_COMMAND_FAILED', `${label} on ${where} printed more than ${maxStdoutBytes} bytes`, {
        ...said('ssh.commandFailed', { command: label, server: where }),
        hint: 'stream large outputs with exec() instead of run()',
      });
    }
    throw err;
  }
  // stdout ends after the exit status; wait for the last bytes.
  await new Promise<void>((resolve) => {
    if (proc.stdout.readableEnded || proc.stdout.destroyed) resolve();
    else {
      proc.stdout.once('end', resolve);
      proc.stdout.once('close', resolve);
    }
  });
  return {
    stdout: Buffer.concat(chunks).toString('utf8'),
    stderr: result.stderr,
    code: result.code,
    ...(result.signal === undefined ? {} : { signal: result.signal }),
  };
}

/** `RemoteHost.runChecked`: a non-zero exit becomes REMOTE_COMMAND_FAILED naming the command and its stderr tail. */
export function checkRunResult(result: RunResult, where: string, user: string, command: string, opts: RunOptions = {}): RunResult {
  if (result.code === 0) return result;
  const label = opts.label ?? commandLabel(command);
  const how = result.code === null ? `was killed by signal ${result.signal ?? '?'}` : `exited with code ${result.code}`;
  throw new CofreError('REMOTE_COMMAND_FAILED', `${label} on ${where} ${how}: ${stderrSummary(result.stderr)}`, {
    ...said('ssh.commandFailed', { command: label, server: where }),
    hint: result.code === 127 ? `${label} is not installed on the server, or not on the PATH of ${user}` : 'read the error output; the command ran on the server',
  });
}
