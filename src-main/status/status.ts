/**
 * `cofre status` and the console's dashboard: per plan, the newest complete set, its age, the
 * RPO state, the last run and the next scheduled run.
 */
import type { AppContext } from '../app/context.js';
import type { RpoState } from '../../shared/domain.js';
import type { ErrorInfo } from '../errors.js';
import { checkGeoSeparation, type GeoCheck } from '../app/geo.js';
import { localServerNotice, type LocalServerNotice } from '../app/local-server.js';
import { nextRun } from '../scheduler/schedule.js';
import { rpoState } from './rpo.js';
import { drillStatus, type DrillStatus } from '../restore/drill.js';
import type { EventRecord } from '../catalog/catalog.js';
import { planFindings, stateOf, type PlanFindings } from './findings.js';

export interface PlanStatus {
  plan: string;
  storage: string;
  rpoState: RpoState;
  reason: string;
  rpoHours: number;
  lastGoodSet: { setId: string; createdAt: string } | null;
  ageMs: number | null;
  lastRun: { id: number; status: string; startedAt: string; finishedAt: string | null; error: ErrorInfo | null } | null;
  schedule: string;
  timezone: string;
  nextRunAt: string | null;
  geo: GeoCheck;
  /** a source server is this machine (`kind: local`): storage credentials live on the clinic server */
  localServer: LocalServerNotice | null;
  /** alert deliveries that failed recently: a broken alert channel must be visible */
  alertFailures: Array<{ at: string; channel: string; error: string | null }>;
  /** doubtful sets, vanished sets and an unreachable storage, from the last listing */
  findings: PlanFindings;
}

export interface StatusReport {
  generatedAt: string;
  /** the quarterly restore drill: last result and next due date */
  drill: DrillStatus;
  plans: PlanStatus[];
}

export function computeStatus(ctx: AppContext): StatusReport {
  const now = ctx.now();
  const config = ctx.config;
  const catalog = ctx.catalog;
  const plans: PlanStatus[] = [];
  for (const [name, plan] of Object.entries(config.plans)) {
    const cached = catalog.cachedSets(plan.storage);
    const good = cached
      .filter((s) => stateOf(s) === 'complete' && s.plan === name)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    const findings = planFindings(ctx, name);
    const newestDoubtful = findings.doubtful.filter((d) => !good || Date.parse(d.createdAt) > Date.parse(good.createdAt)).pop();
    const lastRun = catalog.listRuns({ kind: 'backup', plan: name, limit: 5 }).find((r) => r.status !== 'running');
    const verdict = rpoState({
      now,
      rpoHours: plan.rpoHours,
      graceHours: plan.graceHours,
      lastGoodAt: good ? new Date(good.createdAt) : undefined,
      lastRunStatus: lastRun?.status === 'running' ? undefined : lastRun?.status,
      watchedSince: parseDate(catalog.getState(`sched:${name}:firstSeen`)),
      newestDoubtful,
    });
    let next: string | null;
    try {
      next = nextRun(plan.schedule, plan.timezone, now).toISOString();
    } catch {
      next = null;
    }
    plans.push({
      plan: name,
      storage: plan.storage,
      rpoState: verdict.state,
      reason: verdict.reason,
      rpoHours: plan.rpoHours,
      lastGoodSet: good ? { setId: good.setId, createdAt: good.createdAt } : null,
      ageMs: verdict.ageMs ?? null,
      lastRun: lastRun ? { id: lastRun.id, status: lastRun.status, startedAt: lastRun.startedAt, finishedAt: lastRun.finishedAt, error: lastRun.error } : null,
      schedule: plan.schedule,
      timezone: plan.timezone,
      nextRunAt: next,
      geo: checkGeoSeparation(config, name),
      localServer: localServerNotice(config, name),
      alertFailures: alertFailures(catalog.listEvents({ plan: name, limit: 50 })),
      findings,
    });
  }
  return { generatedAt: now.toISOString(), plans, drill: drillStatus(ctx) };
}

/**
 * Deliveries that failed on a channel since that channel last delivered (newest first, at most
 * 5): a channel that works again stops being reported, one that stays broken stays visible.
 */
export function alertFailures(newestFirst: EventRecord[]): PlanStatus['alertFailures'] {
  const recovered = new Set<string>();
  const out: PlanStatus['alertFailures'] = [];
  for (const e of newestFirst) {
    if (e.ok) recovered.add(e.channel);
    else if (!recovered.has(e.channel) && out.length < 5) out.push({ at: e.at, channel: e.channel, error: e.error });
  }
  return out;
}

function parseDate(iso: string | undefined): Date | undefined {
  return iso === undefined ? undefined : new Date(iso);
}
