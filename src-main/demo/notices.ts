/**
 * What the demo could not do as asked, or did differently, said once in English for the CLI and
 * as a code + parameters the console renders in pt-BR (`demo.notice.<code>` in shared/i18n).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { DemoNotice, DemoNoticeCode } from '../../shared/rpc/contracts/demo.js';

export type { DemoNotice, DemoNoticeCode };

export function notice(code: DemoNoticeCode, level: DemoNotice['level'], message: string, params: Record<string, string> = {}): DemoNotice {
  return { code, level, message, params };
}

export interface RunOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program (no shell) and collects its output; a missing program resolves with code 127. */
export function runProgram(cmd: string, args: string[], opts: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<RunOutput> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: `${stderr}${err.code === 'ENOENT' ? `${cmd}: not found` : err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** true when nothing listens on 127.0.0.1:`port` (a server on 0.0.0.0 or 127.0.0.1 makes it false). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port nothing listens on, chosen by the system. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

