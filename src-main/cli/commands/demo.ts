/**
 * `cofre demo`: the console on a demo that works end to end on this machine alone — a demo home
 * (default `<project>/.cofre-demo/`, or $COFRE_HOME) with sample clinic files, a `local` server,
 * an embedded folder storage, a staging target in a temp folder and, where Debian's PostgreSQL
 * 15 / MariaDB are installed, a throwaway PostgreSQL cluster and MariaDB server. Backups,
 * restores and drills are real. The first backup starts in the background once the console
 * answers. What the demo could not do (no PostgreSQL or MariaDB, port taken, root without a
 * postgres/mysql user, unwritable folder…) is printed here and shown in the console (live:
 * `demo.changed`); it then runs without that database, files-only where it must.
 */
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { DEMO_PLAN, demoHasSets, prepareDemo, startDemoDatabases, type DemoSetup } from '../../demo/home.js';
import type { RealEngineServices } from '../../rpc/engine-services.js';
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
  // COFRE_DEMO_MARIADB_BIN: a folder holding mariadbd and mariadb-install-db (or none: a demo without MariaDB)
  const mariadbBin = env['COFRE_DEMO_MARIADB_BIN'];
  const prep = { reset: Boolean(opts.reset), noDatabase: Boolean(opts.prepareOnly), log, ...(pgBin ? { pgBin } : {}), ...(mariadbBin ? { mariadbBin } : {}) };
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
  setup.notices.unshift(...extra);
  out.log(setup.created ? `demo: created ${home}` : `demo: using ${home} (pass --reset to start over)`);
  const printed = new Set(setup.notices);
  for (const n of printed) printNotice(out, n);
  if (opts.prepareOnly) {
    out.result({ home, config: setup.configPath }, () => `COFRE_HOME=${home}\nCOFRE_CONFIG=${setup.configPath}`);
    return 0;
  }
  const ctx = new AppContext({ configFlag: setup.configPath, env: { ...cliCtx.env, COFRE_HOME: home }, actor: 'demo@console' });
  let database: Promise<unknown> | undefined;
  let databaseReady = !setup.pg && !setup.my;
  const info = (): DemoInfo => {
    const extraNotices: DemoNotice[] = [];
    if (!databaseReady) extraNotices.push(notice('dbStarting', 'info', 'the demo databases are being prepared; the first backup starts once they answer', {}));
    else if (!demoHasSets(home)) extraNotices.push(notice('firstBackup', 'info', 'the first backup of the demo is running in the background', {}));
    const databases = [...(setup.pg ? ['postgres'] : []), ...(setup.my ? ['mysql'] : [])];
    return { demo: true, home, databases, notices: [...setup.notices, ...extraNotices] };
  };
  const firstBackup = (services: RealEngineServices, log: (line: string) => void): void => {
    if (demoHasSets(home)) return;
    // once the first set is made, the "first backup running" notice goes: say so to the console
    const off = services.events.subscribe((e) => {
      if (e.event !== 'run.finished') return;
      off();
      services.demoChanged();
    });
    services.backup.start(DEMO_PLAN, { actor: 'demo' }).then(
      ({ runId }) => log(`demo: first backup started (run ${runId})`),
      (err: unknown) => {
        off();
        log(`demo: the first backup did not start: ${toErrorInfo(err).message}`);
      },
    );
  };
  try {
    // no scheduler: the demo makes sets when asked ("Executar agora") and once at first start
    return await serveConsole(ctx, out, {
      port,
      open: opts.open !== false,
      label: 'Cofre demo',
      scheduler: false,
      engine: { demo: info },
      onReady: (services, log) => {
        if (!setup.pg && !setup.my) {
          out.log('demo: backs up the sample files only, from this machine (server "aqui", kind: local)');
          firstBackup(services, log);
          return;
        }
        // initdb / mariadb-install-db take seconds on a busy machine: the console is up first, the databases follow
        database = startDemoDatabases(setup, log).then(({ postgres, mariadb }) => {
          for (const n of setup.notices.filter((x) => !printed.has(x))) printNotice(out, n);
          const what = [
            ...(postgres ? [`the PostgreSQL database "clinica" (127.0.0.1:${postgres.port})`] : []),
            ...(mariadb ? [`the MariaDB database "agenda" (127.0.0.1:${mariadb.port})`] : []),
          ];
          out.log(what.length
            ? `demo: backs up the sample files and ${what.join(' and ')} from this machine (server "aqui", kind: local)`
            : 'demo: backs up the sample files only, from this machine (server "aqui", kind: local)');
          ctx.reloadConfig();
          databaseReady = true;
          services.demoChanged();
          firstBackup(services, log);
        });
      },
    });
  } finally {
    await database?.catch(() => undefined);
    ctx.close();
    await Promise.all([setup.postgres?.stop(), setup.mariadb?.stop()]);
  }
}
