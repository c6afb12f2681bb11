import { describe, expect, it } from 'vitest';
import { CofreError } from '../../src-main/errors.js';
import { planRetention } from '../../src-main/retention/policy.js';
import type { RetentionPlan, SetSummary } from '../../src-main/retention/policy.js';
import { civilDate, dayNumber, formatCivilDate, fromDayNumber, instantFromCivil } from '../../src-main/scheduler/timezone.js';

const SP = 'America/Sao_Paulo';
const LISBON = 'Europe/Lisbon';
const opts = { timezone: SP, rpoHours: 24 };

function setIdFor(at: Date): string {
  const iso = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${iso}-${(at.getTime() / 1000).toString(16).slice(-6).padStart(6, '0')}`;
}

/** One complete set per local day from `first` to `last` (YYYY-MM-DD), at hh:mm local time. */
function dailySets(first: string, last: string, time: string, timezone: string): SetSummary[] {
  const [fy, fm, fd] = first.split('-').map(Number) as [number, number, number];
  const [ly, lm, ld] = last.split('-').map(Number) as [number, number, number];
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  const sets: SetSummary[] = [];
  for (let day = dayNumber({ year: fy, month: fm, day: fd }); day <= dayNumber({ year: ly, month: lm, day: ld }); day++) {
    const createdAt = instantFromCivil({ ...fromDayNumber(day), hour, minute }, timezone);
    sets.push({ setId: setIdFor(createdAt), createdAt, state: 'complete' as const });
  }
  return sets;
}

/** Local dates (YYYY-MM-DD) of the decisions, in output order. */
function days(decisions: RetentionPlan['keep'], sets: SetSummary[], timezone: string): string[] {
  const byId = new Map(sets.map((s) => [s.setId, s]));
  return decisions.map((d) => formatCivilDate(civilDate(byId.get(d.setId)!.createdAt, timezone)));
}

/** Every local date from first to last, inclusive. */
function range(first: string, last: string): string[] {
  const toDay = (s: string): number => {
    const [y, m, d] = s.split('-').map(Number) as [number, number, number];
    return dayNumber({ year: y, month: m, day: d });
  };
  const out: string[] = [];
  for (let d = toDay(first); d <= toDay(last); d++) out.push(formatCivilDate(fromDayNumber(d)));
  return out;
}

// 60 days of daily backups at 02:00 in São Paulo (UTC−3, no DST since 2019); "now" is
// 2026-11-25 10:00 local, after today's backup.
const sixtyDays = dailySets('2026-09-27', '2026-11-25', '02:00', SP);
const now = new Date('2026-11-25T13:00:00Z');

describe('planRetention', () => {
  it('daily only: keeps today plus the 30 calendar days before it, deletes the older 29', () => {
    expect(sixtyDays).toHaveLength(60);
    const plan = planRetention(sixtyDays, { keepDays: 30, keepMin: 7 }, now, opts);
    expect(plan.safetyStop).toBeUndefined();
    expect(days(plan.keep, sixtyDays, SP)).toEqual(range('2026-10-26', '2026-11-25'));
    expect(days(plan.delete, sixtyDays, SP)).toEqual(range('2026-09-27', '2026-10-25'));
    expect(plan.held).toEqual([]);
    expect(plan.warnings).toEqual([]);
    expect(plan.keep.every((d) => d.action === 'keep' && d.reason.startsWith('within 30 days'))).toBe(true);
    expect(plan.delete.every((d) => d.action === 'delete' && d.reason === 'older than 30 days')).toBe(true);
    // Every kept set but today's is at least one full day old: ≥ 30 daily restore points before today.
    expect(plan.keep.length - 1).toBeGreaterThanOrEqual(30);
  });

  it('GFS: keepWeekly 8 and keepMonthly 6 add the newest set of older weeks and months', () => {
    const plan = planRetention(sixtyDays, { keepDays: 30, keepMin: 7, keepWeekly: 8, keepMonthly: 6 }, now, opts);
    // 2026-11-25 is a Wednesday of ISO week 2026-W48; the 8 weeks are W41 (from Mon 2026-10-05) to W48.
    // Weekly adds the Sundays 10-11, 10-18 and 10-25; monthly adds 09-30 (newest of September).
    expect(days(plan.keep, sixtyDays, SP)).toEqual([
      '2026-09-30',
      '2026-10-11',
      '2026-10-18',
      '2026-10-25',
      ...range('2026-10-26', '2026-11-25'),
    ]);
    const reasonOf = (day: string): string | undefined =>
      plan.keep[days(plan.keep, sixtyDays, SP).indexOf(day)]?.reason;
    expect(reasonOf('2026-09-30')).toBe('monthly 2026-09');
    expect(reasonOf('2026-10-11')).toBe('weekly 2026-W41');
    expect(reasonOf('2026-10-25')).toBe('weekly 2026-W43');
    expect(reasonOf('2026-10-31')).toBe('within 30 days, monthly 2026-10');
    expect(reasonOf('2026-11-25')).toBe('within 30 days, weekly 2026-W48, monthly 2026-11, keepMin 7');
    expect(plan.delete).toHaveLength(60 - 35);
    expect(days(plan.delete, sixtyDays, SP)).not.toContain('2026-09-30');
    expect(days(plan.delete, sixtyDays, SP)[0]).toBe('2026-09-27');
  });

  it('keepMin keeps the newest N complete sets when keepDays would keep fewer', () => {
    const plan = planRetention(sixtyDays, { keepDays: 3, keepMin: 10 }, now, opts);
    expect(days(plan.keep, sixtyDays, SP)).toEqual(range('2026-11-16', '2026-11-25'));
    expect(plan.keep[0]?.reason).toBe('keepMin 10');
    expect(plan.keep[9]?.reason).toBe('within 3 days, keepMin 10');
    expect(plan.delete).toHaveLength(50);
  });

  it('keepMin counts complete sets only and survives a long gap in backups', () => {
    const sets: SetSummary[] = [
      ...dailySets('2026-06-01', '2026-06-05', '02:00', SP),
      { setId: '20261125T040000Z-aaaaaa', createdAt: new Date('2026-11-25T04:00:00Z'), state: 'incomplete' as const },
      ...dailySets('2026-11-25', '2026-11-25', '02:00', SP),
    ];
    const plan = planRetention(sets, { keepDays: 30, keepMin: 3 }, now, opts);
    expect(days(plan.keep, sets, SP)).toEqual(['2026-06-04', '2026-06-05', '2026-11-25', '2026-11-25']);
    expect(plan.keep.find((d) => d.setId === '20261125T040000Z-aaaaaa')?.reason).toBe('incomplete, may still be in progress (younger than 48 h)');
    expect(days(plan.delete, sets, SP)).toEqual(['2026-06-01', '2026-06-02', '2026-06-03']);
  });

  it('safety stop: a stale newest set means nothing is deleted', () => {
    const later = new Date('2026-11-27T13:00:00Z'); // newest set (11-25 05:00Z) is 56 h old
    const plan = planRetention(sixtyDays, { keepDays: 30, keepMin: 7 }, later, opts);
    expect(plan.delete).toEqual([]);
    expect(plan.keep).toHaveLength(60);
    expect(plan.safetyStop).toContain('is 56 h old, older than the RPO');
    expect(plan.safetyStop).toContain('nothing is deleted until a new backup succeeds');
    expect(plan.keep[0]?.reason).toBe('older than 30 days; kept by the safety stop');
  });

  it('safety stop engages only past RPO + grace (24 h + 6 h)', () => {
    const newest = sixtyDays[59]!.createdAt.getTime();
    const at = (hours: number): Date => new Date(newest + hours * 3_600_000);
    expect(planRetention(sixtyDays, { keepDays: 30, keepMin: 7 }, at(29.9), opts).safetyStop).toBeUndefined();
    expect(planRetention(sixtyDays, { keepDays: 30, keepMin: 7 }, at(30), opts).safetyStop).toBeUndefined();
    expect(planRetention(sixtyDays, { keepDays: 30, keepMin: 7 }, at(30.01), opts).safetyStop).toBeDefined();
    expect(planRetention(sixtyDays, { keepDays: 30, keepMin: 7 }, at(30.01), { ...opts, graceHours: 12 }).safetyStop).toBeUndefined();
  });

  it('safety stop when there is no complete set at all', () => {
    const sets: SetSummary[] = [
      { setId: '20261101T050000Z-000001', createdAt: new Date('2026-11-01T05:00:00Z'), state: 'incomplete' as const },
      { setId: '20261125T050000Z-000002', createdAt: new Date('2026-11-25T05:00:00Z'), state: 'incomplete' as const },
    ];
    const plan = planRetention(sets, { keepDays: 30, keepMin: 7 }, now, opts);
    expect(plan.delete).toEqual([]);
    expect(plan.safetyStop).toBe('there is no complete set; nothing is deleted until a backup succeeds');
    expect(plan.keep.map((d) => d.reason)).toEqual([
      'incomplete (no manifest), older than 48 h; kept by the safety stop',
      'incomplete, may still be in progress (younger than 48 h)',
    ]);
  });

  it('deletes sets with no manifest only past the incomplete grace (48 h: a first backup may run that long)', () => {
    const old = { setId: '20261123T120000Z-0000aa', createdAt: new Date('2026-11-23T12:00:00Z'), state: 'incomplete' as const };
    const young = { setId: '20261124T120000Z-0000bb', createdAt: new Date('2026-11-24T12:00:00Z'), state: 'incomplete' as const };
    const sets = [...sixtyDays, young, old];
    const plan = planRetention(sets, { keepDays: 30, keepMin: 7 }, now, opts);
    expect(plan.delete.find((d) => d.setId === old.setId)?.reason).toBe('incomplete (no manifest), older than 48 h');
    expect(plan.keep.find((d) => d.setId === young.setId)?.reason).toBe('incomplete, may still be in progress (younger than 48 h)');
    expect(plan.delete).toHaveLength(30);
    // Sorted oldest first, whatever the input order.
    const ids = plan.delete.map((d) => d.setId);
    expect(ids).toEqual([...ids].sort());
    // a shorter grace from the plan's config applies
    expect(planRetention(sets, { keepDays: 30, keepMin: 7 }, now, { ...opts, incompleteGraceHours: 24 }).delete.map((d) => d.setId)).toContain(young.setId);
  });

  it('never deletes an incomplete set whose backup holds a fresh lease, however old', () => {
    const running = { setId: '20261101T120000Z-0000cc', createdAt: new Date('2026-11-01T12:00:00Z'), state: 'incomplete' as const, leased: true };
    const plan = planRetention([...sixtyDays, running], { keepDays: 30, keepMin: 7 }, now, opts);
    expect(plan.keep.find((d) => d.setId === running.setId)?.reason).toBe('incomplete, its backup is still running (fresh lease)');
    expect(plan.delete.map((d) => d.setId)).not.toContain(running.setId);
  });

  it('doubtful sets: never deleted, never counted for keepMin, reported', () => {
    // five good old sets and a doubtful newest one: keepMin 3 keeps three GOOD sets, not two
    const good = dailySets('2026-09-01', '2026-09-05', '02:00', SP);
    const doubtful = { setId: '20261125T050000Z-0000dd', createdAt: new Date('2026-11-25T05:00:00Z'), state: 'doubtful' as const, problem: 'the manifest is not valid JSON (corrupted)' };
    const oldDoubtful = { setId: '20260101T050000Z-0000de', createdAt: new Date('2026-01-01T05:00:00Z'), state: 'doubtful' as const };
    const plan = planRetention([...good, doubtful, oldDoubtful], { keepDays: 30, keepMin: 3 }, now, opts);
    // the newest GOOD set is from 09-05: the safety stop keeps everything
    expect(plan.safetyStop).toContain('the newest complete set');
    expect(plan.delete).toEqual([]);
    expect(plan.doubtful.map((d) => d.setId)).toEqual([oldDoubtful.setId, doubtful.setId]);
    expect(plan.doubtful[1]?.reason).toContain('never deleted by retention');
    expect(plan.warnings.join('\n')).toContain('2 doubtful set(s)');
    // with a fresh good set, old good sets go but the old doubtful one stays
    const fresh = dailySets('2026-11-25', '2026-11-25', '02:00', SP);
    const plan2 = planRetention([...good, ...fresh, doubtful, oldDoubtful], { keepDays: 30, keepMin: 3 }, now, opts);
    expect(plan2.delete.map((d) => d.setId).sort()).toEqual(good.slice(0, 3).map((s) => s.setId).sort());
    expect(plan2.keep.map((d) => d.setId)).toContain(oldDoubtful.setId);
  });

  it('unsigned sets: not counted as good, deleted only once past the keepDays window', () => {
    const inside = { setId: '20261120T050000Z-0000ee', createdAt: new Date('2026-11-20T05:00:00Z'), state: 'unsigned' as const };
    const outside = { setId: '20261001T050000Z-0000ef', createdAt: new Date('2026-10-01T05:00:00Z'), state: 'unsigned' as const };
    const plan = planRetention([...sixtyDays, inside, outside], { keepDays: 30, keepMin: 7 }, now, opts);
    expect(plan.keep.find((d) => d.setId === inside.setId)?.reason).toContain('unsigned, inside the 30 days window');
    expect(plan.delete.find((d) => d.setId === outside.setId)?.reason).toBe('unsigned, older than 30 days');
    // forged unsigned sets never make up keepMin: with only unsigned newer sets the good ones are the restore points
    const forged = Array.from({ length: 10 }, (_, i) => ({ setId: `2026112${i % 5}T0${i % 9}0000Z-0000f${i}`, createdAt: new Date(`2026-11-2${i % 5}T0${i % 9}:00:00Z`), state: 'unsigned' as const }));
    const two = dailySets('2026-11-24', '2026-11-25', '02:00', SP);
    const plan3 = planRetention([...two, ...forged], { keepDays: 1, keepMin: 2 }, now, opts);
    expect(plan3.keep.filter((d) => d.reason.includes('keepMin')).map((d) => d.setId).sort()).toEqual(two.map((s) => s.setId).sort());
  });

  it('a manifest that could not be read stops every deletion on the storage', () => {
    const unreadable = { setId: '20261124T050000Z-0000ff', createdAt: new Date('2026-11-24T05:00:00Z'), state: 'doubtful' as const, unreadable: true, problem: 'the manifest could not be read: EIO' };
    const plan = planRetention([...sixtyDays, unreadable], { keepDays: 30, keepMin: 7 }, now, opts);
    expect(plan.delete).toEqual([]);
    expect(plan.safetyStop).toContain(`the manifest of set ${unreadable.setId} could not be read (the manifest could not be read: EIO)`);
    expect(plan.safetyStop).toContain('nothing is deleted on this storage');
  });

  it('holds sets under object lock instead of deleting them', () => {
    const sets = sixtyDays.map((s, i) =>
      i === 0 ? { ...s, lockedUntil: new Date('2026-12-01T00:00:00Z') } : i === 1 ? { ...s, lockedUntil: new Date('2026-11-01T00:00:00Z') } : s,
    );
    const plan = planRetention(sets, { keepDays: 30, keepMin: 7 }, now, opts);
    expect(plan.held).toEqual([
      { setId: sixtyDays[0]!.setId, action: 'keep', reason: 'older than 30 days; object lock until 2026-12-01T00:00:00.000Z' },
    ]);
    expect(plan.delete.map((d) => d.setId)).toContain(sixtyDays[1]!.setId); // lock expired
    expect(plan.delete).toHaveLength(28);
    expect(plan.keep).toHaveLength(31);
  });

  it('returns empty lists and a safety note for an empty plan', () => {
    const plan = planRetention([], { keepDays: 30, keepMin: 7 }, now, opts);
    expect(plan).toMatchObject({ keep: [], delete: [], held: [] });
    expect(plan.safetyStop).toBe('there are no sets yet; nothing is deleted');
  });

  it('boundary: a set from local midnight 30 days ago is kept, one a millisecond earlier is deleted', () => {
    const midnight = new Date('2026-11-25T03:00:00Z'); // 2026-11-25 00:00 in São Paulo
    const atCutoff = { setId: '20261026T030000Z-000001', createdAt: new Date('2026-10-26T03:00:00.000Z'), state: 'complete' as const };
    const before = { setId: '20261026T025959Z-000002', createdAt: new Date('2026-10-26T02:59:59.999Z'), state: 'complete' as const };
    const fresh = { setId: '20261125T020000Z-000003', createdAt: new Date('2026-11-25T02:00:00Z'), state: 'complete' as const };
    const plan = planRetention([fresh, before, atCutoff], { keepDays: 30, keepMin: 1 }, midnight, opts);
    expect(plan.keep.map((d) => d.setId)).toEqual([atCutoff.setId, fresh.setId]);
    expect(plan.delete.map((d) => d.setId)).toEqual([before.setId]);
    // The deleted set was more than 30 full days (720 h) old.
    expect(midnight.getTime() - before.createdAt.getTime()).toBeGreaterThan(30 * 24 * 3_600_000);
  });

  it('counts days on the São Paulo calendar across the 2018 DST start (UTC−2 from 2018-11-04)', () => {
    // Backups at 23:30 local: with DST that is 01:30 UTC on the *next* UTC day.
    const sets = dailySets('2018-10-01', '2018-12-04', '23:30', SP);
    const nov4 = sets.find((s) => s.createdAt.toISOString() === '2018-11-05T01:30:00.000Z');
    expect(nov4).toBeDefined(); // the 2018-11-04 backup, local time 23:30 −02:00
    const at = new Date('2018-12-05T14:00:00Z'); // 12:00 local
    const plan = planRetention(sets, { keepDays: 30, keepMin: 7 }, at, opts);
    expect(days(plan.keep, sets, SP)).toEqual(range('2018-11-05', '2018-12-04'));
    expect(days(plan.delete, sets, SP)).toEqual(range('2018-10-01', '2018-11-04'));
  });

  it('counts days on the São Paulo calendar across the 2018 DST end (2018-02-18 00:00 → 02-17 23:00)', () => {
    const sets = dailySets('2018-01-15', '2018-03-18', '23:30', SP);
    expect(sets).toHaveLength(63); // the repeated hour does not create a second day
    const at = new Date('2018-03-19T15:00:00Z'); // Monday 12:00 local, ISO week 2018-W12
    const plan = planRetention(sets, { keepDays: 30, keepMin: 7, keepWeekly: 8 }, at, opts);
    // The cut-off day is 2018-02-17, the day the clocks went back; weeks W05 and W06 add their Sundays.
    expect(days(plan.keep, sets, SP)).toEqual(['2018-02-04', '2018-02-11', ...range('2018-02-17', '2018-03-18')]);
    expect(days(plan.delete, sets, SP)).toEqual(
      range('2018-01-15', '2018-02-16').filter((d) => d !== '2018-02-04' && d !== '2018-02-11'),
    );
  });

  it('counts days on the Lisbon calendar across the 2026 DST end', () => {
    // 00:30 local is 23:30 UTC of the previous day while Lisbon is on summer time (UTC+1).
    const sets = dailySets('2026-10-01', '2026-11-20', '00:30', LISBON);
    const at = new Date('2026-11-20T12:00:00Z');
    const plan = planRetention(sets, { keepDays: 30, keepMin: 7 }, at, { timezone: LISBON, rpoHours: 24 });
    expect(sets.find((s) => s.createdAt.toISOString() === '2026-10-20T23:30:00.000Z')).toBeDefined();
    expect(days(plan.keep, sets, LISBON)).toEqual(range('2026-10-21', '2026-11-20'));
    expect(days(plan.delete, sets, LISBON)).toEqual(range('2026-10-01', '2026-10-20'));
  });

  it('rejects unsafe or malformed policies with INVALID_ARGUMENT and a hint', () => {
    const bad = [
      { keepDays: 0, keepMin: 7 },
      { keepDays: 30, keepMin: 0 },
      { keepDays: 1.5, keepMin: 7 },
      { keepDays: 30, keepMin: 7, keepWeekly: -1 },
    ];
    for (const policy of bad) {
      let caught: unknown;
      try {
        planRetention(sixtyDays, policy, now, opts);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(CofreError);
      expect((caught as CofreError).code).toBe('INVALID_ARGUMENT');
      expect((caught as CofreError).hint).toBeTruthy();
    }
    expect(() => planRetention(sixtyDays, { keepDays: 30, keepMin: 7 }, now, { timezone: 'Mars/Olympus', rpoHours: 24 })).toThrow(
      /not a known time zone/,
    );
    expect(() => planRetention([sixtyDays[0]!, sixtyDays[0]!], { keepDays: 30, keepMin: 7 }, now, opts)).toThrow(/listed twice/);
  });

  it('is deterministic whatever the input order', () => {
    const shuffled = [...sixtyDays].sort((a, b) => (a.setId.slice(-3) < b.setId.slice(-3) ? -1 : 1));
    const policy = { keepDays: 30, keepMin: 7, keepWeekly: 8, keepMonthly: 6 };
    expect(planRetention(shuffled, policy, now, opts)).toEqual(planRetention(sixtyDays, policy, now, opts));
  });
});
