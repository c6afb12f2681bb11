/**
 * The real EngineServices: the console's RPC handlers served by the engine itself (config +
 * catalog + backup + restore + status + alerts) for one AppContext. Hosts (`cofre ui`,
 * `cofre demo`, Electron) build one and hand it to startConsoleServer / the IPC adapter.
 */
import { hostname } from 'node:os';
import { toErrorInfo } from '../errors.js';
import type { AppContext } from '../app/context.js';
import { alerterFromConfig } from '../daemon/alerting.js';
import { buildAlert } from '../alerts/message.js';
import type { EngineServices, EngineEvent } from './services.js';
import type { AlertTest } from '../../shared/rpc/contracts/settings.js';
import { createRuntime, type EngineServicesOptions } from './engine/runtime.js';
import { configServices } from './engine/config-services.js';
import { announceRuns, runServices } from './engine/run-services.js';
import { restoreServices } from './engine/restore-services.js';
import { filesServices } from './engine/files-services.js';
import { keptServices } from './engine/kept-services.js';

export type { EngineServicesOptions } from './engine/runtime.js';

export interface RealEngineServices extends EngineServices {
  /** Stops the background poll; the AppContext stays open (its owner closes it). */
  close(): void;
  /** Pushes `demo.changed` with the demo's info now (`cofre demo`: a database became ready or failed). */
  demoChanged(): void;
}

export function createEngineServices(ctx: AppContext, opts: EngineServicesOptions = {}): RealEngineServices {
  const listeners = new Set<(e: EngineEvent) => void>();
  const emit = (e: EngineEvent): void => {
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // one broken listener must not stop the others
      }
    }
  };
  const rt = createRuntime(ctx, opts, emit);
  const runs = runServices(rt);
  const unannounce = announceRuns(rt);
  const pollMs = opts.pollMs ?? 2000;
  const poll = pollMs > 0 ? setInterval(() => {
    try {
      rt.runs.pollElsewhere();
    } catch (err) {
      rt.log(`console: ${toErrorInfo(err).message}`);
    }
  }, pollMs) : undefined;
  poll?.unref();
  // the dashboard reads the sets cache: fill it once at start (storage is the source of truth)
  void runs.refreshAllSets().catch((err: unknown) => rt.log(`console: listing sets: ${toErrorInfo(err).message}`));

  return {
    demo: {
      async info() {
        return opts.demo?.() ?? { demo: false, databases: [], notices: [] };
      },
    },
    status: runs.status,
    runs: runs.runs,
    backup: runs.backup,
    sets: runs.sets,
    ...configServices(rt),
    ...restoreServices(rt),
    ...filesServices(rt),
    ...keptServices(rt),
    alerts: {
      async test(call): Promise<AlertTest> {
        const config = rt.config();
        const alerter = alerterFromConfig(ctx, opts.hostChannels);
        const msg = buildAlert({ kind: 'test', plan: 'teste', at: ctx.now(), timezone: config.console.timezone, locale: config.console.language, origin: hostname() });
        const r = await alerter.send('test', msg);
        const destinationOf = (channel: 'email' | 'webhook' | 'desktop'): string =>
          channel === 'email' ? (config.alerts.email?.to.join(', ') ?? '') : channel === 'webhook' ? webhookHost(config.alerts.webhook?.url) : 'desktop';
        const results: AlertTest['results'] = r.outcomes
          .filter((o): o is typeof o & { channel: 'email' | 'webhook' | 'desktop' } => o.channel === 'email' || o.channel === 'webhook' || o.channel === 'desktop')
          .map((o) => ({
            channel: o.channel,
            ok: o.ok,
            message: o.ok
              ? o.channel === 'email' ? `sent to ${destinationOf('email')}` : o.channel === 'webhook' ? `delivered to ${destinationOf('webhook')}` : 'notification shown'
              : `${o.error?.message ?? 'not delivered'}${o.error?.hint ? ` — ${o.error.hint}` : ''}`,
            ...(o.ok ? { destination: destinationOf(o.channel) } : {}),
          }));
        // say why a channel sent nothing, so "nothing happened" always has a reason
        const used = new Set(results.map((x) => x.channel));
        if (!used.has('email') && !config.alerts.email) results.push({ channel: 'email', ok: false, skipped: 'notConfigured', message: 'no alerts.email in the config' });
        if (!used.has('webhook') && !config.alerts.webhook) results.push({ channel: 'webhook', ok: false, skipped: 'notConfigured', message: 'no alerts.webhook in the config' });
        if (!used.has('desktop')) {
          results.push(config.alerts.desktop
            ? { channel: 'desktop', ok: false, skipped: 'desktopOnly', message: 'desktop notifications are shown by the desktop app only' }
            : { channel: 'desktop', ok: false, skipped: 'notConfigured', message: 'alerts.desktop is off' });
        }
        rt.audit(call, 'alerts.test', 'alerts', { results: results.map((x) => `${x.channel}:${x.ok ? 'ok' : x.skipped ? 'skipped' : 'failed'}`) });
        return { results };
      },
    },
    audit: {
      async list({ limit, actor, action, since }) {
        return ctx.catalog.listAudit({ limit, actor, action, since }).map((e) => ({
          at: e.at, actor: e.actor, action: e.action, target: e.target,
          details: e.details === null || e.details === undefined ? '' : typeof e.details === 'string' ? e.details : JSON.stringify(e.details),
        }));
      },
    },
    events: {
      subscribe(listener) {
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
        };
      },
    },
    demoChanged() {
      const info = opts.demo?.();
      if (info) emit({ event: 'demo.changed', payload: info });
    },
    close() {
      if (poll) clearInterval(poll);
      unannounce();
      listeners.clear();
    },
  };
}

/** The webhook's host only: its path or query may carry a token. */
function webhookHost(url: string | undefined): string {
  if (!url) return '';
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}
