/** `cofre daemon`: scheduler, watchdog and alerts until SIGTERM/SIGINT (exit 0 after a clean stop). */
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { startEngineHost } from '../../daemon/daemon.js';

export async function daemonCommand(ctx: AppContext, out: Output, opts: { tick?: string }): Promise<number> {
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
    const host = startEngineHost(ctx, { ...(tickMs && tickMs > 0 ? { tickMs } : {}), log: (l) => out.log(`${new Date().toISOString()} ${l}`) });
    out.log(`cofre daemon: scheduling ${Object.keys(ctx.config.plans).join(', ') || 'no plans'} (state in ${ctx.home}, pid ${process.pid})`);
    if (!requested) await new Promise<void>((resolve) => (wake = resolve));
    out.log('cofre daemon: stopping');
    await host.stop();
    out.log('cofre daemon: stopped');
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
