/**
 * Runs the `cofre` CLI as a child process, the way a technician or a script would: the built
 * one by default, or the TypeScript sources (`fromSource`, so a stale dist/ cannot hide a fix).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const COFRE_BIN = fileURLToPath(new URL('../../bin/cofre.js', import.meta.url));
const CLI_SOURCE = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: unknown;
}

export function cofre(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number; fromSource?: boolean } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const entry = opts.fromSource ? ['--import', 'tsx', CLI_SOURCE] : [COFRE_BIN];
    const child = spawn(process.execPath, [...entry, ...args], { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
    child.stdin.end(opts.input ?? '');
  });
}
