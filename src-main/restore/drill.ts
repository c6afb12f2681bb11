/**
 * The quarterly drill (RF-BACK-003): the latest complete set restored into the staging
 * target, validated, reported and recorded as a catalog run of kind 'drill'. `drillStatus`
 * says how the last one went and when the next is due (for `status`, the alerts and the
 * daemon's scheduler).
 */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { AppContext } from '../app/context.js';
import type { Config } from '../config/schema.js';
import type { RunRecord } from '../catalog/catalog.js';
import { runRestore } from './restore.js';
import type { RestoreOptions, RestoreResult } from './types.js';

export type DrillResult = RestoreResult;

export interface DrillBrief {
  restoreId: string;
  runId: number;
  at: string;
  ok: boolean;
  target: string;
  setId: string | null;
  rtoMs?: number;
  rpoMs?: number;
  reportPath?: string;
  error?: string;
}

export interface DrillStatus {
  target: string | undefined;
  everyMonths: number;
  last?: DrillBrief;
  lastSuccessful?: DrillBrief;
  /** last successful drill + everyMonths; undefined when no drill ever succeeded (then it is due now) */
  nextDue?: string;
  /** no successful drill yet, or the next due date has passed */
  overdue: boolean;
  /** the latest drill failed */
  failing: boolean;
}

/** `drill.target`, else the only staging target. */
export function drillTarget(config: Config, name?: string): string {
  if (name) return name;
  if (config.drill.target) return config.drill.target;
  const staging = Object.entries(config.restoreTargets).filter(([, t]) => t.kind === 'staging').map(([n]) => n);
  if (staging.length === 1 && staging[0]) return staging[0];
  throw new CofreError('INVALID_ARGUMENT', staging.length ? `several staging targets exist (${staging.join(', ')}); choose one` : 'the config has no staging restore target for the drill', {
    ...said('drill.chooseTarget'),
    hint: staging.length ? 'set drill.target in the config, or pass --target' : 'add a restore target with kind: staging under restoreTargets',
  });
}

export async function runDrill(ctx: AppContext, opts: { target?: string | undefined; trigger?: string } & Pick<RestoreOptions, 'onLog' | 'onProgress' | 'onStart' | 'signal' | 'storage'> = {}): Promise<DrillResult> {
  const target = drillTarget(ctx.config, opts.target);
  const t = ctx.config.restoreTargets[target];
  if (t?.kind === 'production') {
    throw new CofreError('PRECONDITION', `the drill never restores into a production target (${target})`, { ...said('drill.notStaging', { target }), hint: 'point drill.target at a staging (homologação) target' });
  }
  return runRestore(ctx, {
    target, kind: 'drill', existing: 'rename', trigger: opts.trigger ?? 'manual', ...(opts.storage ? { storage: opts.storage } : {}),
    ...(opts.onLog ? { onLog: opts.onLog } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.onStart ? { onStart: opts.onStart } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

export function briefOf(run: RunRecord): DrillBrief {
  const d = (run.details ?? {}) as { restoreId?: string; rtoMs?: number; rpoMs?: number | null; reportPath?: string };
  return {
    restoreId: d.restoreId ?? `drill-${run.id}`, runId: run.id, at: run.startedAt, ok: run.status === 'succeeded', target: run.target ?? '', setId: run.setId,
    ...(typeof d.rtoMs === 'number' ? { rtoMs: d.rtoMs } : {}), ...(typeof d.rpoMs === 'number' ? { rpoMs: d.rpoMs } : {}),
    ...(d.reportPath ? { reportPath: d.reportPath } : {}), ...(run.error ? { error: run.error.message } : {}),
  };
}

export function addMonths(iso: string, months: number): string {
  const d = new Date(iso);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.toISOString();
}

export function drillStatus(ctx: AppContext): DrillStatus {
  const everyMonths = ctx.config.drill.everyMonths;
  let target: string | undefined;
  try {
    target = drillTarget(ctx.config);
  } catch {
    target = undefined;
  }
  const runs = ctx.catalog.listRuns({ kind: 'drill', limit: 50 }).filter((r) => r.status !== 'running');
  const last = runs[0] ? briefOf(runs[0]) : undefined;
  const good = runs.find((r) => r.status === 'succeeded');
  const lastSuccessful = good ? briefOf(good) : undefined;
  const nextDue = good ? addMonths(good.startedAt, everyMonths) : undefined;
  return {
    target, everyMonths,
    ...(last ? { last } : {}), ...(lastSuccessful ? { lastSuccessful } : {}), ...(nextDue ? { nextDue } : {}),
    overdue: nextDue === undefined || Date.parse(nextDue) <= ctx.now().getTime(),
    failing: last !== undefined && !last.ok,
  };
}
