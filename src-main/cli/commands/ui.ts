/**
 * `cofre ui [--port P] [--no-open]`: the console in the browser. Serves the built renderer and
 * the RPC over a 127.0.0.1 WebSocket with a per-launch token, backed by the real engine. It
 * also runs the scheduler (the engine host) unless another process already holds
 * $COFRE_HOME's scheduler lock — then it serves the console only.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CofreError, toErrorInfo } from '../../errors.js';
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { consoleLink, startConsoleServer } from '../../rpc/ws-server.js';
import { createEngineServices, type EngineServicesOptions, type RealEngineServices } from '../../rpc/engine-services.js';
import { startEngineHost, type EngineHost } from '../../daemon/daemon.js';
import { runningSchedulerPid } from '../../daemon/home-lock.js';
import { readConsoleFile } from '../../daemon/console-file.js';

export interface UiOptions {
  port?: string;
  /** commander's --no-open */
  open?: boolean;
}

/** The project folder (holds package.json "name": "cofre"), from src-main/ or dist/src-main/. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'cofre') return dir;
      } catch {
        // keep looking
      }
    }
    dir = dirname(dir);
  }
  throw new CofreError('INTERNAL', 'cannot find the Cofre project folder (package.json)');
}

export function parsePort(value: string | undefined): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CofreError('INVALID_ARGUMENT', `--port ${value} is not a port number`, { hint: 'use a number from 1 to 65535, or leave it out for a free port' });
  }
  return port;
}

/**
 * A page that sends the browser on to `url`: `$COFRE_HOME/console-link.html`, mode 0600 (the home
 * is 0700). The browser opener gets this file's path, never the link itself, whose token would
 * otherwise sit on a command line every user of the machine can read (`ps`).
 */
export function writeLinkPage(home: string, url: string): string {
  const file = join(home, 'console-link.html');
  const href = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  rmSync(file, { force: true });
  writeFileSync(file, `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${href}"><title>Cofre</title><a href="${href}">Cofre</a>\n`, { mode: 0o600 });
  return file;
}

/** Opens the link in the default browser through writeLinkPage; failures are ignored (the URL is printed anyway). */
export function openBrowser(home: string, url: string): void {
  const page = writeLinkPage(home, url);
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [page]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', page]] : ['xdg-open', [page]];
  try {
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser opener: the printed URL is enough
  }
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => (): void => resolve(signal);
    process.once('SIGINT', stop('SIGINT'));
    process.once('SIGTERM', stop('SIGTERM'));
  });
}

export interface ServeOptions {
  port: number;
  open: boolean;
  /** what the first line says, e.g. "Console" or "Cofre demo" */
  label?: string;
  /** run the scheduler here when no other process does (default true) */
  scheduler?: boolean;
  /** extra engine options (the demo's info) */
  engine?: Pick<EngineServicesOptions, 'demo'>;
  /** called once the console answers (the demo starts its first backup here) */
  onReady?: (services: RealEngineServices, log: (line: string) => void) => void;
}

/** The built renderer; a clear error when `npm run build` has not run. */
export function consoleStaticDir(): string {
  const staticDir = join(projectRoot(), 'dist', 'renderer');
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new CofreError('PRECONDITION', `the console is not built (${staticDir} is missing)`, { hint: 'run `npm run build` in the project folder, then try again' });
  }
  return staticDir;
}

/** Serves the console for this context until SIGINT/SIGTERM; used by `cofre ui` and `cofre demo`. */
export async function serveConsole(ctx: AppContext, out: Output, opts: ServeOptions): Promise<number> {
  const staticDir = consoleStaticDir();
  void ctx.config; // a bad config stops here, with its file:line message
  const log = (l: string): void => out.log(`${new Date().toISOString()} ${l}`);
  let host: EngineHost | undefined;
  const other = runningSchedulerPid(ctx.home);
  const published = other === undefined || opts.scheduler === false ? undefined : readConsoleFile(ctx.home, other);
  if (published) {
    // a daemon serves this home's console already: open that one rather than a second engine
    const url = consoleLink(published.url, published.linkKey);
    out.result({ url, port: Number(new URL(published.url).port), scheduler: `pid ${other}`, shared: true }, () => `${opts.label ?? 'Console'} (cofre daemon, pid ${other}): ${url}`);
    if (opts.open) openBrowser(ctx.home, consoleLink(published.url, published.linkKey));
    return 0;
  }
  if (opts.scheduler === false) {
    log('scheduler not started (demo)');
  } else if (other === undefined) {
    try {
      host = startEngineHost(ctx, { log });
    } catch (err) {
      log(`scheduler not started here: ${toErrorInfo(err).message}`);
    }
  } else {
    log(`a Cofre scheduler already runs for ${ctx.home} (pid ${other}): serving the console only`);
  }
  const services = createEngineServices(ctx, { host, log, ...opts.engine });
  const server = await startConsoleServer({ services, port: opts.port, staticDir, reportsDir: join(ctx.home, 'reports'), actor: `console:${ctx.env['USER'] ?? ctx.env['USERNAME'] ?? 'user'}` });
  out.result({ url: server.url, port: server.port, scheduler: host ? 'here' : other !== undefined ? `pid ${other}` : 'none' }, () => `${opts.label ?? 'Console'}: ${server.url}`);
  log(`${host ? 'scheduling' : 'not scheduling'} ${Object.keys(ctx.config.plans).join(', ') || 'no plans'}; state in ${ctx.home}; Ctrl+C stops`);
  opts.onReady?.(services, log);
  // the printed link is for the technician; the browser gets a link of its own (each opens once)
  if (opts.open) openBrowser(ctx.home, server.newLink());
  const signal = await waitForSignal();
  log(`${signal}: stopping the console`);
  await server.close();
  services.close();
  await host?.stop();
  return 0;
}

export async function uiCommand(ctx: AppContext, out: Output, opts: UiOptions): Promise<number> {
  return serveConsole(ctx, out, { port: parsePort(opts.port), open: opts.open !== false });
}
