/** Starts the real `cofre demo` for e2e tests, the way `npm start` does without Electron. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COFRE_BIN } from './cli.js';

/** Starts `cofre demo --no-open` and resolves with the console URL it prints. */
export function startDemo(dir: string, opts: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [COFRE_BIN, 'demo', '--no-open', '--home', dir, ...(opts.args ?? [])], {
      env: { ...process.env, COFRE_CONFIG: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString('utf8');
      const m = /Cofre demo: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m?.[1]) resolvePromise({ child, url: m[1], output: () => out });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`cofre demo exited (${code}) before serving:\n${out}`)));
  });
}

/** Sends SIGINT (Ctrl+C) and resolves with the exit code. */
export function stopDemo(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  return exited;
}

/** What a demo home leaves outside itself (the staging folder, PostgreSQL/MariaDB folders in /tmp): for afterAll. */
export function demoLeftovers(home: string, output: string): string[] {
  const out: string[] = [];
  try {
    const config = readFileSync(join(home, 'cofre-demo.yaml'), 'utf8');
    const restoreRoot = /filesRoot: "([^"]+)"/.exec(config)?.[1];
    if (restoreRoot) out.push(restoreRoot);
  } catch {
    // no config
  }
  for (const re of [/PostgreSQL (?:created and )?started on 127\.0\.0\.1:\d+ \(([^)]+)\)/, /MariaDB (?:created and )?started on 127\.0\.0\.1:\d+ \(([^)]+)\)/]) {
    const cluster = re.exec(output)?.[1];
    if (cluster && !cluster.startsWith(home)) out.push(cluster);
  }
  return out;
}

/** The demo MariaDB's folder, as `cofre demo` printed it (undefined before it started). */
export function demoMariadbDir(output: string): string | undefined {
  return /MariaDB (?:created and )?started on 127\.0\.0\.1:\d+ \(([^)]+)\)/.exec(output)?.[1];
}

/** Runs SQL on the demo MariaDB as its account (loopback, no password); stdout rows, tab-separated. */
export function demoMariadbSql(port: number, sql: string, db?: string): string {
  const r = spawnSync('mysql', ['--no-defaults', '-N', '-B', '--default-character-set=utf8mb4', '-h', '127.0.0.1', '-P', String(port), '-u', 'cofre', ...(db ? ['-D', db] : []), '-e', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mysql failed: ${r.stderr}`);
  return r.stdout;
}
