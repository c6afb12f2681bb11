/**
 * `cofre demo`: the console on a demo that works end to end on this machine alone — a demo home
 * (default `<project>/.cofre-demo/`, or $COFRE_HOME) with sample clinic files, a `local` server,
 * an embedded folder storage, a staging target in a temp folder and, where Debian's PostgreSQL
 * 15 is installed, a throwaway database cluster. Backups, restores and drills are real. The
 * first backup starts in the background once the console answers. What the demo could not do
 * (no PostgreSQL, port taken, root without a postgres user, unwritable folder…) is printed here
 * and shown in the console; it then runs files-only where it can.
 */
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { DEMO_PLAN, demoHasSets, prepareDemo, type DemoSetup } from '../../demo/home.js';
import { notice, type DemoNotice } from '../../demo/notices.js';
import { projectRoot, serveConsole } from './ui.js';
import { CofreError, toErrorInfo } from '../../errors.js';
import type { DemoInfo } from '../../../shared/rpc/contracts/demo.js';

export interface DemoOptions {
  port?: string;
  open?: boolean;
  home?: string;
  reset?: boolean;
  /** create the demo home and config (files only) and exit (for scripts and Electron) */
  prepareOnly?: boolean;
}

export function demoHomeDir(env: NodeJS.ProcessEnv, flag?: string): string {
  if (flag) return resolve(flag);
  return env['COFRE_HOME'] ? resolve(env['COFRE_HOME']) : join(projectRoot(), '.cofre-demo');
}

function fallbackHome(): string {
  let user = 'user';
  try {
    user = userInfo().username;
  } catch {
    // keep "user"
  }
  return join(tmpdir(), `cofre-demo-${user}`);
}

function printNotice(out: Output, n: DemoNotice): void {
  out.log(`demo: ${n.level === 'warning' ? 'WARNING: ' : ''}${n.message}`);
}

/** The demo home, falling back to a temp folder when the asked one cannot be written (said as a notice). */
async function setUp(out: Output, home: string, opts: DemoOptions, env: NodeJS.ProcessEnv): Promise<{ setup: DemoSetup; extra: DemoNotice[] }> {
  const log = (l: string): void => out.log(l);
  // COFRE_DEMO_PG_BIN: another PostgreSQL server build (or a missing one, to try the files-only demo)
  const pgBin = env['COFRE_DEMO_PG_BIN'];
  const prep = { reset: Boolean(opts.reset), noDatabase: Boolean(opts.prepareOnly), log, ...(pgBin ? { pgBin } : {}) };
  try {
    return { setup: await prepareDemo(home, prep), extra: [] };
  } catch (err) {
    if (!(err instanceof CofreError) || err.code !== 'DEMO_UNAVAILABLE') throw err;
    const fallback = fallbackHome();
    if (fallback === home) throw err;
    out.log(`error: ${err.message}${err.hint ? `\n  → ${err.hint}` : ''}`);
    const n = notice('homeNotWritable', 'warning', `${err.message}; the demo runs in ${fallback} instead`, { home, fallback });
    return { setup: await prepareDemo(fallback, prep), extra: [n] };
  }
}

export async function demoCommand(cliCtx: AppContext, out: Output, opts: DemoOptions): Promise<number> {
  const port = opts.port === undefined ? 0 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CofreError('INVALID_ARGUMENT', `--port ${opts.port} is not a port number`, { hint: 'use a number from 1 to 65535' });
  const { setup, extra } = await setUp(out, demoHomeDir(cliCtx.env, opts.home), opts, cliCtx.env);
  const home = setup.home;
  const notices = [...extra, ...setup.notices];
  try {
    out.log(setup.created ? `demo: created ${home}` : `demo: using ${home} (pass --reset to start over)`);
    for (const n of notices) printNotice(out, n);
    if (opts.prepareOnly) {
      out.result({ home, config: setup.configPath }, () => `COFRE_HOME=${home}\nCOFRE_CONFIG=${setup.configPath}`);
      return 0;
    }
    out.log(`demo: backs up ${setup.postgres ? `the sample files and the PostgreSQL database "clinica" (127.0.0.1:${setup.postgres.port})` : 'the sample files only'} from this machine (server "aqui", kind: local)`);
    const ctx = new AppContext({ configFlag: setup.configPath, env: { ...cliCtx.env, COFRE_HOME: home }, actor: 'demo@console' });
    const info = (): DemoInfo => ({
      demo: true,
      home,
      databases: setup.postgres ? ['postgres'] : [],
      notices: demoHasSets(home) ? notices : [...notices, notice('firstBackup', 'info', 'the first backup of the demo is running in the background', {})],
    });
    try {
      // no scheduler: the demo makes sets when asked ("Executar agora") and once at first start
      return await serveConsole(ctx, out, {
        port,
        open: opts.open !== false,
        label: 'Cofre demo',
        scheduler: false,
        engine: { demo: info },
        onReady: (services, log) => {
          if (demoHasSets(home)) return;
          services.backup.start(DEMO_PLAN, { actor: 'demo' }).then(
            ({ runId }) => log(`demo: first backup started (run ${runId})`),
            (err: unknown) => log(`demo: the first backup did not start: ${toErrorInfo(err).message}`),
          );
        },
      });
    } finally {
      ctx.close();
    }
  } finally {
    await setup.postgres?.stop();
  }
}
