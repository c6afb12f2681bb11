/**
 * The run orchestrator with fake backup/prune steps and everything else real (a written
 * cofre.yaml, a SQLite catalog in a temp folder): one run per plan, retention only after a
 * good backup, a prune error never failing the backup, and every run reported to subscribers.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppContext } from '../../src-main/app/context.js';
import { PlanRuns, type PlanRunEvent, type PlanRunSteps } from '../../src-main/runs/plan-runs.js';
import type { BackupResult } from '../../src-main/backup/run.js';
import { writeOnePlanConfig } from '../support/one-plan-config.js';

const dirs: string[] = [];
const contexts: AppContext[] = [];

afterEach(() => {
  for (const c of contexts.splice(0)) c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function context(): AppContext {
  const dir = mkdtempSync(join(tmpdir(), 'cofre-runs-'));
  dirs.push(dir);
  const configPath = writeOnePlanConfig(dir, ['schedule: "0 2 * * *"']);
  const ctx = new AppContext({ configFlag: configPath, env: { COFRE_HOME: join(dir, 'home') } });
  contexts.push(ctx);
  return ctx;
}

/** Steps that record a real catalog run (as runBackup does) and finish when released. */
function steps(ctx: AppContext, outcome: { status: 'succeeded' | 'failed'; pruneError?: boolean }) {
  const prunes: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const s: PlanRunSteps = {
    async backup(_ctx, plan, opts) {
      const runId = ctx.catalog.startRun({ kind: 'backup', plan, trigger: opts.trigger ?? 'manual' });
      opts.onStart?.(runId);
      opts.onProgress?.({ phase: 'upload', bytes: 10, bytesPerSecond: 5 });
      await gate;
      ctx.catalog.finishRun(runId, { status: outcome.status });
      const result: BackupResult = { runId, plan, setId: 's1', status: outcome.status, sources: [], durationMs: 1, bytes: 10, warnings: [] };
      return result;
    },
    async prune(_ctx, plan) {
      prunes.push(plan);
      if (outcome.pruneError) throw new Error('storage said 503');
      return { deleted: ['old'] };
    },
  };
  return { steps: s, prunes, release };
}

describe('PlanRuns', () => {
  it('runs backup then retention, refuses a second run of the same plan meanwhile, and reports the run', async () => {
    const ctx = context();
    const st = steps(ctx, { status: 'succeeded' });
    const runs = new PlanRuns(ctx, st.steps);
    const events: PlanRunEvent[] = [];
    runs.subscribe((e) => events.push(e));
    const first = runs.start('diario', { trigger: 'console' });
    expect(first.runId).toBeGreaterThan(0);
    expect(runs.isRunning('diario')).toBe(true);
    expect(() => runs.start('diario', { trigger: 'manual' })).toThrow(/already running/);
    st.release();
    const out = await first.done;
    expect(out.result.status).toBe('succeeded');
    expect(out.prune).toEqual({ deleted: ['old'] });
    expect(st.prunes).toEqual(['diario']);
    expect(runs.isRunning('diario')).toBe(false);
    await expect.poll(() => events.map((e) => e.type)).toEqual(['started', 'progress', 'finished']);
    const finished = events[2];
    expect(finished?.type === 'finished' && finished.run?.status).toBe('succeeded');
  });

  it('applies no retention after a failed backup, and a prune error leaves the good backup good', async () => {
    const ctx = context();
    const failed = steps(ctx, { status: 'failed' });
    failed.release();
    const a = await new PlanRuns(ctx, failed.steps).run('diario', { trigger: 'manual' });
    expect(a.result.status).toBe('failed');
    expect(a.prune).toBeUndefined();
    expect(failed.prunes).toEqual([]);

    const flaky = steps(ctx, { status: 'succeeded', pruneError: true });
    flaky.release();
    const logs: string[] = [];
    const b = await new PlanRuns(ctx, flaky.steps).run('diario', { trigger: 'manual', onLog: (l) => logs.push(l) });
    expect(b.result.status).toBe('succeeded');
    expect(b.prune?.error).toMatch(/503/);
    expect(logs.join('\n')).toMatch(/retention not applied: storage said 503/);
  });

  it('a run another process has in progress is refused where asked, and announced when it ends', async () => {
    const ctx = context();
    const elsewhere = ctx.catalog.startRun({ kind: 'backup', plan: 'diario', trigger: 'schedule' });
    const st = steps(ctx, { status: 'succeeded' });
    const runs = new PlanRuns(ctx, st.steps);
    const events: PlanRunEvent[] = [];
    runs.subscribe((e) => events.push(e));
    expect(runs.runningElsewhere('diario')?.id).toBe(elsewhere);
    expect(() => runs.start('diario', { trigger: 'console', refuseElsewhere: true })).toThrow(/already running/);
    runs.pollElsewhere();
    expect(events).toEqual([]);
    ctx.catalog.finishRun(elsewhere, { status: 'failed', error: { code: 'REMOTE_COMMAND_FAILED', message: 'pg_dump: error' } });
    runs.pollElsewhere();
    expect(events).toHaveLength(1);
    const e = events[0];
    expect(e?.type === 'finished' && e.runId === elsewhere && e.run?.status).toBe('failed');
  });
});
