/**
 * Small helpers shared by the service starters: free ports, throwaway folders, running a
 * program and waiting for a port, and reading the tail of a log for error messages.
 */
import { spawn } from 'node:child_process';
import type { SpawnOptions } from 'node:child_process';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the bound port'));
        return;
      }
      const port = address.port;
      server.close(() => resolve(port));
    });
  });
}

/** A new empty folder under the OS temp folder, e.g. `/tmp/cofre-sshd-AbC123`. */
export async function tempDir(prefix: string): Promise<string> {
  return await mkdtemp(join(tmpdir(), `cofre-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion, collecting its output. Never goes through a shell. */
export async function run(
  file: string,
  args: readonly string[],
  options: SpawnOptions & { input?: string | Buffer } = {},
): Promise<RunResult> {
  const { input, ...spawnOptions } = options;
  return await new Promise<RunResult>((resolve, reject) => {
    const child = spawn(file, args, { ...spawnOptions, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/** Like `run` but throws (with the output) on a non-zero exit. */
export async function runChecked(
  file: string,
  args: readonly string[],
  options: SpawnOptions & { input?: string | Buffer } = {},
): Promise<RunResult> {
  const result = await run(file, args, options);
  if (result.code !== 0) {
    const output = `${result.stderr}\n${result.stdout}`.trim();
    throw new Error(
      `${file} ${args.join(' ')} exited with ${result.code ?? result.signal}: ${tail(output, 2000)}`,
    );
  }
  return result;
}

export function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max)}`;
}

/** The last `max` characters of a log file, or a note that it could not be read. */
export async function logTail(path: string, max = 4000): Promise<string> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const start = Math.max(0, size - max);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return `(log ${path} could not be read)`;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once something accepts TCP connections on host:port, or rejects after timeoutMs. */
export async function waitForPort(
  host: string,
  port: number,
  timeoutMs: number,
  isAlive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (!isAlive()) throw new Error(`the process exited before listening on ${host}:${port}`);
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Resolves once a file exists, or rejects after timeoutMs. */
export async function waitForFile(path: string, timeoutMs: number, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await stat(path);
      return;
    } catch {
      // not yet
    }
    if (!isAlive()) throw new Error(`the process exited before creating ${path}`);
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Reads a pid file and returns the number in it, or undefined. */
export async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isFinite(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends SIGTERM, waits up to graceMs for the process to go, then SIGKILL. */
export async function stopProcess(pid: number, graceMs = 5000): Promise<void> {
  if (!isProcessAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isProcessAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isProcessAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    const killDeadline = Date.now() + 2000;
    while (isProcessAlive(pid) && Date.now() < killDeadline) await sleep(50);
  }
}

/** Retries `start` when it fails (e.g. a port taken between freePort and bind). */
export async function withRetries<T>(attempts: number, start: (attempt: number) => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await start(attempt);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
