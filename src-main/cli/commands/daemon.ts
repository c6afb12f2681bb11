/** `cofre daemon`: scheduler, watchdog and alerts until SIGTERM/SIGINT. */
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { startEngineHost } from '../../daemon/daemon.js';

export async function daemonCommand(ctx: AppContext, out: Output, opts: { tick?: string }): Promise<number> {
  const host = startEngineHost(ctx, { ...(opts.tick ? { tickMs: Number(opts.tick) } : {}), log: (l) => out.log(`${new Date().toISOString()} ${l}`) });
  out.log(`cofre daemon: scheduling ${Object.keys(ctx.config.plans).join(', ') || 'no plans'} (state in ${ctx.home})`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  out.log('cofre daemon: stopping');
  await host.stop();
  return 0;
}
