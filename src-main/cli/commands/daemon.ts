/**
 * `cofre daemon`: scheduler, watchdog and alerts until SIGTERM/SIGINT (exit 0 after a clean stop).
 * With `--ui` it also serves the console (RPC + renderer on 127.0.0.1) and publishes its URL in
 * $COFRE_HOME/console.json, where `cofre ui` finds it; the token is never logged.
 */
import { join } from 'node:path';
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { startEngineHost } from '../../daemon/daemon.js';
import { removeConsoleFile, writeConsoleFile } from '../../daemon/console-file.js';
import { createEngineServices } from '../../rpc/engine-services.js';
import { startConsoleServer } from '../../rpc/ws-server.js';
import { consoleStaticDir, parsePort } from './ui.js';

export async function daemonCommand(ctx: AppContext, out: Output, opts: { tick?: string; ui?: boolean; port?: string }): Promise<number> {
  // Listen for the stop signal before anything starts, so a SIGTERM at any moment stops cleanly;
  // a second signal while stopping is ignored (the run in progress is being cancelled).
  let requested = false;
  let wake: (() => void) | undefined;
  const onSignal = (): void => {
    requested = true;
    wake?.();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const tickMs = opts.tick === undefined ? undefined : Number(opts.tick);
    const log = (l: string): void => out.log(`${new Date().toISOString()} ${l}`);
    const staticDir = opts.ui ? consoleStaticDir() : undefined;
    const host = startEngineHost(ctx, { ...(tickMs && tickMs > 0 ? { tickMs } : {}), log });
    out.log(`cofre daemon: scheduling ${Object.keys(ctx.config.plans).join(', ') || 'no plans'} (state in ${ctx.home}, pid ${process.pid})`);
    let served: { services: ReturnType<typeof createEngineServices>; server: Awaited<ReturnType<typeof startConsoleServer>> } | undefined;
    if (staticDir) {
      const services = createEngineServices(ctx, { host, log });
      const server = await startConsoleServer({ services, port: parsePort(opts.port), staticDir, reportsDir: join(ctx.home, 'reports'), actor: 'console:daemon' });
      writeConsoleFile(ctx.home, server.origin, server.linkKey);
      served = { services, server };
      out.log(`cofre daemon: console on 127.0.0.1:${server.port} (run \`cofre ui\` to open it)`);
    }
    if (!requested) await new Promise<void>((resolve) => (wake = resolve));
    out.log('cofre daemon: stopping');
    if (served) {
      removeConsoleFile(ctx.home);
      await served.server.close();
      served.services.close();
    }
    await host.stop();
    out.log('cofre daemon: stopped');
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
