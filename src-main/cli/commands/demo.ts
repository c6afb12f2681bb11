/**
 * `cofre demo`: the console on an embedded demo setup, for a newcomer on a fresh machine — a
 * demo home (default `<project>/.cofre-demo/`, or $COFRE_HOME) with a local folder storage and
 * ten days of sample history, served like `cofre ui`. Needs no database, SSH or network.
 */
import { join, resolve } from 'node:path';
import { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { ensureDemoHome } from '../../demo/seed.js';
import { projectRoot, serveConsole } from './ui.js';
import { CofreError } from '../../errors.js';

export interface DemoOptions {
  port?: string;
  open?: boolean;
  home?: string;
  reset?: boolean;
  /** create the demo home and exit (for scripts and Electron) */
  prepareOnly?: boolean;
}

export function demoHomeDir(env: NodeJS.ProcessEnv, flag?: string): string {
  if (flag) return resolve(flag);
  return env['COFRE_HOME'] ? resolve(env['COFRE_HOME']) : join(projectRoot(), '.cofre-demo');
}

export async function demoCommand(cliCtx: AppContext, out: Output, opts: DemoOptions): Promise<number> {
  const home = demoHomeDir(cliCtx.env, opts.home);
  const demo = await ensureDemoHome(home, { reset: Boolean(opts.reset) });
  out.log(demo.created ? `demo: created ${home} with ${demo.sets.length} sample sets` : `demo: using ${home} (pass --reset to start over)`);
  if (opts.prepareOnly) {
    out.result({ home, config: demo.configPath }, () => `COFRE_HOME=${home}\nCOFRE_CONFIG=${demo.configPath}`);
    return 0;
  }
  const port = opts.port === undefined ? 0 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CofreError('INVALID_ARGUMENT', `--port ${opts.port} is not a port number`, { hint: 'use a number from 1 to 65535' });
  const ctx = new AppContext({ configFlag: demo.configPath, env: { ...cliCtx.env, COFRE_HOME: home }, actor: 'demo@console' });
  try {
    // the demo server is a placeholder: no scheduler, so nothing runs against it by itself
    return await serveConsole(ctx, out, { port, open: opts.open !== false, label: 'Cofre demo', scheduler: false });
  } finally {
    ctx.close();
  }
}
