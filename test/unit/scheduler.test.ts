/**
 * The scheduler with a fake clock and a fake backup function, and everything else real: the
 * config is a written cofre.yaml, state lives in a real SQLite catalog in a temp folder.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppContext } from '../../src-main/app/context.js';
import { Scheduler, type Trigger } from '../../src-main/daemon/scheduler.js';
import { PlanRuns } from '../../src-main/runs/plan-runs.js';
import type { BackupResult } from '../../src-main/backup/run.js';
import { civilDateTime } from '../../src-main/scheduler/timezone.js';
import { writeOnePlanConfig } from '../support/one-plan-config.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

interface Call {
  plan: string;
  trigger: Trigger;
  at: Date;
}

interface Rig {
  ctx: AppContext;
  clock: { now: Date };
  calls: Call[];
  prunes: string[];
  scheduler: Scheduler;
  /** what the next backups return; default success */
  outcome: { status: 'succeeded' | 'failed' };
  /** set to hold each backup until released */
  gate?: Promise<void> | undefined;
}

const dirs: string[] = [];
const contexts: AppContext[] = [];

afterEach(() => {
  for (const c of contexts.splice(0)) c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function rig(opts: { schedule: string; timezone: string; start: string; retries?: number; runNewPlansNow?: boolean }): Rig {
  const dir = mkdtempSync(join(tmpdir(), 'cofre-sched-'));
  dirs.push(dir);
  const configPath = writeOnePlanConfig(dir, [
    `schedule: "${opts.schedule}"`,
    `timezone: ${opts.timezone}`,
    ...(opts.retries === undefined ? [] : [`retries: ${opts.retries}`]),
  ]);
  const clock = { now: new Date(opts.start) };
  const ctx = new AppContext({ configFlag: configPath, env: { COFRE_HOME: join(dir, 'home') }, now: () => clock.now });
  contexts.push(ctx);
  const r: Rig = {
    ctx,
    clock,
    calls: [],
    prunes: [],
    outcome: { status: 'succeeded' },
    scheduler: undefined as unknown as Scheduler,
  };
  r.scheduler = new Scheduler({
    ctx,
    ...(opts.runNewPlansNow ? { runNewPlansNow: true } : {}),
    runs: new PlanRuns(ctx, {
      backup: async (_ctx, plan, { trigger }) => {
        r.calls.push({ plan, trigger: trigger as Trigger, at: clock.now });
        if (r.gate) await r.gate;
        const result: BackupResult = {
          runId: r.calls.length, plan, setId: `set-${r.calls.length}`, status: r.outcome.status, sources: [], durationMs: 1, bytes: 0, warnings: [],
          ...(r.outcome.status === 'failed' ? { error: { code: 'REMOTE_COMMAND_FAILED' as const, message: 'database "x" does not exist' } } : {}),
        };
        return result;
      },
      prune: async (_ctx, plan) => {
        r.prunes.push(plan);
        return { deleted: [] };
      },
    }),
  });
  return r;
}

async function tickAt(r: Rig, iso: string | Date): Promise<void> {
  r.clock.now = typeof iso === 'string' ? new Date(iso) : iso;
  await r.scheduler.tick();
}

/** Ticks every `stepMs` from the current clock until `until` (exclusive). */
async function tickEvery(r: Rig, stepMs: number, until: Date): Promise<void> {
  for (let t = r.clock.now.getTime() + stepMs; t < until.getTime(); t += stepMs) await tickAt(r, new Date(t));
}

describe('Scheduler', () => {
  it('a due run fires once, at its time in the plan time zone, then prunes', async () => {
    // 02:00 in São Paulo is 05:00 UTC
    const r = rig({ schedule: '0 2 * * *', timezone: 'America/Sao_Paulo', start: '2026-11-24T12:00:00Z' });
    await tickAt(r, '2026-11-24T12:00:00Z'); // first sight: records "now", runs nothing
    await tickAt(r, '2026-11-25T04:59:00Z');
    expect(r.calls).toEqual([]);
    await tickAt(r, '2026-11-25T05:00:10Z');
    expect(r.calls).toEqual([{ plan: 'diario', trigger: 'schedule', at: new Date('2026-11-25T05:00:10Z') }]);
    expect(r.prunes).toEqual(['diario']);
    await tickAt(r, '2026-11-25T05:00:25Z');
    await tickAt(r, '2026-11-25T06:00:00Z');
    await tickAt(r, '2026-11-26T04:59:59Z');
    expect(r.calls).toHaveLength(1);
    await tickAt(r, '2026-11-26T05:00:00Z');
    expect(r.calls.map((c) => c.trigger)).toEqual(['schedule', 'schedule']);
  });

  it('the schedule state survives a restart: a new scheduler on the same catalog does not repeat a run', async () => {
    const r = rig({ schedule: '0 2 * * *', timezone: 'America/Sao_Paulo', start: '2026-11-24T12:00:00Z' });
    await tickAt(r, '2026-11-24T12:00:00Z');
    await tickAt(r, '2026-11-25T05:00:00Z');
    expect(r.calls).toHaveLength(1);
    const again = new Scheduler({
      ctx: r.ctx,
      runs: new PlanRuns(r.ctx, {
        backup: async () => {
          throw new Error('must not run again');
        },
        prune: async () => ({ deleted: [] }),
      }),
    });
    r.clock.now = new Date('2026-11-25T05:01:00Z');
    await again.tick();
    expect(r.calls).toHaveLength(1);
  });

  it.each([
    ['spring forward (01:00 → 02:00 on 29 March)', '2026-03-27T12:00:00Z', '2026-03-31T12:00:00Z'],
    ['fall back (02:00 → 01:00 on 25 October)', '2026-10-23T12:00:00Z', '2026-10-27T12:00:00Z'],
  ])('Europe/Lisbon %s: a 01:30 schedule runs exactly once per day', async (_label, start, end) => {
    const r = rig({ schedule: '30 1 * * *', timezone: 'Europe/Lisbon', start });
    await tickAt(r, start);
    await tickEvery(r, 5 * MIN, new Date(end));
    const days = r.calls.map((c) => {
      const t = civilDateTime(c.at, 'Europe/Lisbon');
      return `${t.year}-${t.month}-${t.day}`;
    });
    expect(days).toHaveLength(4);
    expect(new Set(days).size).toBe(4);
    expect(r.calls.every((c) => c.trigger === 'schedule')).toBe(true);
  });

  it('America/Sao_Paulo (no DST since 2019) runs every day at 02:00 local', async () => {
    const r = rig({ schedule: '0 2 * * *', timezone: 'America/Sao_Paulo', start: '2026-10-30T12:00:00Z' });
    await tickAt(r, '2026-10-30T12:00:00Z');
    await tickEvery(r, 10 * MIN, new Date('2026-11-05T12:00:00Z'));
    expect(r.calls).toHaveLength(6);
    for (const c of r.calls) expect(civilDateTime(c.at, 'America/Sao_Paulo')).toMatchObject({ hour: 2 });
  });

  it('a host off for 3 days runs exactly one catch-up at the next start', async () => {
    const r = rig({ schedule: '0 2 * * *', timezone: 'America/Sao_Paulo', start: '2026-11-24T12:00:00Z' });
    await tickAt(r, '2026-11-24T12:00:00Z');
    await tickAt(r, '2026-11-25T05:00:00Z');
    expect(r.calls).toHaveLength(1);
    // off from the 25th 06:00 until the 28th 14:00: the 26th, 27th and 28th runs were missed
    await tickAt(r, '2026-11-28T14:00:00Z');
    await tickAt(r, '2026-11-28T14:00:15Z');
    await tickAt(r, '2026-11-28T20:00:00Z');
    expect(r.calls.map((c) => c.trigger)).toEqual(['schedule', 'catch-up']);
    await tickAt(r, '2026-11-29T05:00:00Z');
    expect(r.calls.map((c) => c.trigger)).toEqual(['schedule', 'catch-up', 'schedule']);
  });

  it('a failed run retries after 5, 15 and 45 minutes, then waits for the next scheduled run', async () => {
    const r = rig({ schedule: '0 2 * * *', timezone: 'America/Sao_Paulo', start: '2026-11-24T12:00:00Z' });
    r.outcome.status = 'failed';
    await tickAt(r, '2026-11-24T12:00:00Z');
    const due = new Date('2026-11-25T05:00:00Z');
    await tickAt(r, due);
    await tickEvery(r, 30_000, new Date(due.getTime() + 12 * 60 * MIN));
    const offsets = r.calls.map((c) => (c.at.getTime() - due.getTime()) / MIN);
    expect(offsets).toEqual([0, 5, 5 + 15, 5 + 15 + 45]);
    expect(r.calls.map((c) => c.trigger)).toEqual(['schedule', 'retry', 'retry', 'retry']);
    expect(r.prunes).toEqual([]); // nothing is pruned after a failure
    // the next day's scheduled run happens as usual, and a success ends the retries
    r.outcome.status = 'succeeded';
    await tickEvery(r, 30_000, new Date(due.getTime() + DAY + MIN));
    expect(r.calls.map((c) => c.trigger)).toEqual(['schedule', 'retry', 'retry', 'retry', 'schedule']);
    await tickEvery(r, 5 * MIN, new Date(due.getTime() + DAY + 3 * 60 * MIN));
    expect(r.calls).toHaveLength(5);
  });

  it('retries are bounded by the plan: retries: 1 means one retry only', async () => {
    const r = rig({ schedule: '0 2 * * *', timezone: 'America/Sao_Paulo', start: '2026-11-24T12:00:00Z', retries: 1 });
    r.outcome.status = 'failed';
    await tickAt(r, '2026-11-24T12:00:00Z');
    const due = new Date('2026-11-25T05:00:00Z');
    await tickAt(r, due);
    await tickEvery(r, MIN, new Date(due.getTime() + 6 * 60 * MIN));
    expect(r.calls.map((c) => (c.at.getTime() - due.getTime()) / MIN)).toEqual([0, 5]);
  });

  it('a success on retry stops further retries', async () => {
    const r = rig({ schedule: '0 2 * * *', timezone: 'America/Sao_Paulo', start: '2026-11-24T12:00:00Z' });
    r.outcome.status = 'failed';
    await tickAt(r, '2026-11-24T12:00:00Z');
    await tickAt(r, '2026-11-25T05:00:00Z');
    r.outcome.status = 'succeeded';
    await tickEvery(r, MIN, new Date('2026-11-25T08:00:00Z'));
    expect(r.calls.map((c) => c.trigger)).toEqual(['schedule', 'retry']);
    expect(r.prunes).toEqual(['diario']);
  });

  it('never starts a second run of a plan while one is in progress', async () => {
    const r = rig({ schedule: '*/10 * * * *', timezone: 'America/Sao_Paulo', start: '2026-11-25T05:00:00Z' });
    await tickAt(r, '2026-11-25T05:00:00Z');
    let release!: () => void;
    r.gate = new Promise<void>((resolve) => (release = resolve));
    r.clock.now = new Date('2026-11-25T05:10:00Z');
    const first = r.scheduler.tick(); // starts the 05:10 run and waits on it
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.scheduler.isRunning('diario')).toBe(true);
    // two more ticks while it runs, one of them past the next due time (05:20), and a "run now"
    await tickAt(r, '2026-11-25T05:15:00Z');
    await tickAt(r, '2026-11-25T05:21:00Z');
    expect(await r.scheduler.run('diario', 'schedule')).toBeUndefined();
    expect(r.calls).toHaveLength(1);
    release();
    r.gate = undefined;
    await first;
    expect(r.scheduler.isRunning('diario')).toBe(false);
    // the 05:20 run that was due meanwhile runs once afterwards
    await tickAt(r, '2026-11-25T05:22:00Z');
    await tickAt(r, '2026-11-25T05:23:00Z');
    expect(r.calls.map((c) => c.at.toISOString())).toEqual(['2026-11-25T05:10:00.000Z', '2026-11-25T05:22:00.000Z']);
  });

  it('runNewPlansNow treats a never-seen plan as due on the first tick (once)', async () => {
    const r = rig({ schedule: '0 2 * * *', timezone: 'America/Sao_Paulo', start: '2026-11-25T12:00:00Z', runNewPlansNow: true });
    await tickAt(r, '2026-11-25T12:00:00Z');
    await tickAt(r, '2026-11-25T12:00:15Z');
    expect(r.calls.map((c) => c.trigger)).toEqual(['catch-up']);
  });

  it('stop() aborts the run in progress and does not schedule a retry for it', async () => {
    const dirRig = rig({ schedule: '* * * * *', timezone: 'America/Sao_Paulo', start: '2026-11-25T12:00:00Z', runNewPlansNow: true });
    let seen: AbortSignal | undefined;
    const s = new Scheduler({
      ctx: dirRig.ctx,
      runNewPlansNow: true,
      runs: new PlanRuns(dirRig.ctx, {
        backup: (_ctx, plan, { signal }) =>
          new Promise<BackupResult>((resolve) => {
            seen = signal;
            signal?.addEventListener('abort', () =>
              resolve({ runId: 1, plan, setId: 'x', status: 'failed', sources: [], durationMs: 1, bytes: 0, warnings: [], error: { code: 'CANCELLED', message: 'cancelled' } }),
            );
          }),
        prune: async () => ({ deleted: [] }),
      }),
    });
    s.start(10);
    await expect.poll(() => s.isRunning('diario')).toBe(true);
    await s.stop();
    expect(seen?.aborted).toBe(true);
    expect(s.isRunning('diario')).toBe(false);
    expect(dirRig.ctx.catalog.getState('sched:diario:retry')).toBeUndefined();
  });
});
