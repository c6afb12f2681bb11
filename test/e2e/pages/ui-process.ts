/**
 * `cofre ui --no-open` as a child process (the real engine): started from the built app, its
 * console URL read from stdout, stopped with SIGTERM and awaited. Shared by the e2e files that
 * drive the console against the harness services.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export interface UiProcess {
  /** the console URL with its one-time token */
  url: string;
  /** stderr so far, for failure messages */
  log(): string;
  stop(): Promise<void>;
}

export function assertBuilt(): void {
  if (!existsSync(resolve('dist/renderer/index.html')) || !existsSync(resolve('dist/src-main/cli/main.js'))) {
    throw new Error('the app is not built: run `npm run build` first');
  }
}

export function startUi(env: NodeJS.ProcessEnv): Promise<UiProcess> {
  assertBuilt();
  const ui: ChildProcess = spawn(process.execPath, [resolve('bin/cofre.js'), 'ui', '--no-open'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const stop = async (): Promise<void> => {
    if (ui.exitCode !== null || ui.signalCode !== null) return;
    const exited = new Promise((r) => ui.once('exit', r));
    ui.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolveUi, reject) => {
    let out = '';
    ui.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /Console: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m?.[1]) resolveUi({ url: m[1], log: () => log, stop });
    });
    ui.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
    ui.on('exit', (code) => reject(new Error(`cofre ui exited (${code}) before printing its URL:\n${log}`)));
  });
}
