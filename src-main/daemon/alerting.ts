/**
 * Wires the alert dispatcher to the config (e-mail, webhook) and to the host (desktop
 * notifications, console events), with its state and every delivery kept in the catalog, and
 * turns plan status into alerts: failing, late, and recovered — each once per change.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { AppContext } from '../app/context.js';
import { resolveSecret } from '../config/secrets.js';
import { expandHome } from '../config/paths.js';
import { createAlerter, type Alerter, type AlertChannel } from '../alerts/dispatcher.js';
import { emailChannel, webhookChannel } from '../alerts/channels.js';
import type { EmailConfig } from '../alerts/email.js';
import { buildAlert, type AlertKind } from '../alerts/message.js';
import { computeStatus, type PlanStatus } from '../status/status.js';

/** The configured SMTP destination with its password resolved, or undefined when none is configured. */
export function emailConfigFrom(ctx: AppContext): EmailConfig | undefined {
  const e = ctx.config.alerts.email;
  if (!e) return undefined;
  const password = resolveSecret({ env: e.passwordEnv, file: e.passwordFile, what: 'alerts.email.passwordEnv' }, ctx.env);
  return {
    host: e.host, port: e.port, secure: e.secure, startTls: e.requireTLS, from: e.from, to: e.to,
    ...(e.user ? { user: e.user } : {}), ...(password ? { password } : {}),
    ...(e.caFile ? { ca: readFileSync(expandHome(e.caFile), 'utf8') } : {}),
  };
}

export function alerterFromConfig(ctx: AppContext, hostChannels: AlertChannel[] = []): Alerter {
  const cfg = ctx.config.alerts;
  const channels: AlertChannel[] = [...hostChannels];
  const email = emailConfigFrom(ctx);
  if (email) channels.push(emailChannel(email));
  if (cfg.webhook) channels.push(webhookChannel({ url: cfg.webhook.url }));
  return createAlerter({
    channels,
    now: ctx.now,
    state: { get: (k) => ctx.catalog.getState(`alert:${k}`), set: (k, v) => ctx.catalog.setState(`alert:${k}`, v) },
    record: (e) =>
      ctx.catalog.recordEvent({
        kind: e.kind, plan: e.key.split(':')[1], channel: e.channel, ok: e.ok,
        message: `${e.transition} ${e.key}`, error: e.error?.message,
      }),
  });
}

function alertFor(ctx: AppContext, kind: AlertKind, p: PlanStatus) {
  return buildAlert({
    kind, plan: p.plan, at: ctx.now(), timezone: ctx.config.console.timezone, locale: ctx.config.console.language,
    origin: hostname(), rpoHours: p.rpoHours,
    ...(p.lastRun?.error ? { error: p.lastRun.error } : {}),
    ...(p.lastGoodSet ? { lastGoodAt: new Date(p.lastGoodSet.createdAt), setId: p.lastGoodSet.setId } : {}),
  });
}

/** The watchdog's check: raises or resolves one alert key per plan state. */
export async function alertOnPlanStates(ctx: AppContext, alerter: Alerter): Promise<PlanStatus[]> {
  const plans = computeStatus(ctx).plans;
  for (const p of plans) {
    const failKey = `plan:${p.plan}:failing`;
    const lateKey = `plan:${p.plan}:late`;
    if (p.rpoState === 'failing') await alerter.raise(failKey, alertFor(ctx, 'backup_failed', p));
    else if (alerter.isFailing(failKey)) await alerter.resolve(failKey, alertFor(ctx, 'recovered', p));
    if (p.rpoState === 'late') await alerter.raise(lateKey, alertFor(ctx, 'backup_late', p));
    else if (alerter.isFailing(lateKey) && p.rpoState === 'ok') await alerter.resolve(lateKey, alertFor(ctx, 'recovered', p));
    await alertOnFindings(ctx, alerter, p);
  }
  return plans;
}

/** Doubtful sets and sets gone from storage: one alert per set, raised once (the alert state remembers it). */
async function alertOnFindings(ctx: AppContext, alerter: Alerter, p: PlanStatus): Promise<void> {
  const base = { plan: p.plan, at: ctx.now(), timezone: ctx.config.console.timezone, locale: ctx.config.console.language, origin: hostname() };
  for (const d of p.findings.doubtful) {
    const key = `plan:${p.plan}:doubtful:${d.setId}`;
    await alerter.raise(key, buildAlert({
      ...base, kind: 'set_doubtful', setId: d.setId,
      error: { code: 'INTEGRITY', message: `set ${d.setId} on storage ${p.storage} is doubtful: its manifest cannot be read, is corrupt or names missing objects`, hint: 'run `cofre sets` to see why; fix the storage or delete the set on purpose with `cofre forget <setId> --yes`' },
    }));
  }
  for (const m of p.findings.missing) {
    const key = `plan:${p.plan}:missing:${m.setId}`;
    await alerter.raise(key, buildAlert({
      ...base, kind: 'set_missing', setId: m.setId,
      error: { code: 'INTEGRITY', message: `set ${m.setId}, made by a successful backup on ${m.createdAt}, is no longer in storage ${p.storage} and was not deleted by Cofre`, hint: 'someone with access to the storage may have deleted it: review the storage access and logs, then run a new backup' },
    }));
  }
}
