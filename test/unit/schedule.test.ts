import { describe, expect, it } from 'vitest';
import { thrown } from '../support/errors.js';
import {
  backoffDelays,
  describeSchedule,
  nextRun,
  parseHumanSchedule,
  previousDue,
  toCron,
  validateSchedule,
} from '../../src-main/scheduler/schedule.js';
import type { HumanSchedule } from '../../src-main/scheduler/schedule.js';
import { civilDateTime, formatCivilDate } from '../../src-main/scheduler/timezone.js';

const SP = 'America/Sao_Paulo';
const LISBON = 'Europe/Lisbon';

/** Runs of a schedule from `from` until `until`, by repeated nextRun (like a scheduler would). */
function runsBetween(cron: string, tz: string, from: Date, until: Date): Date[] {
  const runs: Date[] = [];
  for (let t = nextRun(cron, tz, from); t <= until; t = nextRun(cron, tz, t)) runs.push(t);
  return runs;
}

const local = (d: Date, tz: string): string => {
  const t = civilDateTime(d, tz);
  return `${formatCivilDate(t)} ${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;
};

describe('validateSchedule', () => {
  it('accepts common schedules', () => {
    expect(() => validateSchedule('0 2 * * *', SP)).not.toThrow();
    expect(() => validateSchedule('30 1 * * 1-5', LISBON)).not.toThrow();
    expect(() => validateSchedule('@daily', 'UTC')).not.toThrow();
  });

  it('names the config key and the broken field', () => {
    const err = thrown(() => validateSchedule('0 25 * * *', SP, 'plans.diario.schedule'));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe("plans.diario.schedule: '0 25 * * *' is not a valid cron expression: hour 25 out of range (0-23)");
    expect(err.hint).toContain('0 2 * * *');
    expect(thrown(() => validateSchedule('0 2 * 13 *', SP)).message).toContain('month 13 out of range (1-12');
    expect(thrown(() => validateSchedule('0 2 * *', SP)).message).toContain('expected 5 fields, found 4');
    expect(thrown(() => validateSchedule('0 0 2 * * *', SP)).message).toContain('expected 5 fields, found 6');
    expect(thrown(() => validateSchedule('0 2 31 2 *', SP)).message).toContain('never matches');
  });

  it('rejects an unknown time zone and suggests a real one', () => {
    const err = thrown(() => validateSchedule('0 2 * * *', 'America/Sao Paulo', 'plans.diario.schedule'));
    expect(err.message).toBe("plans.diario.timezone: 'America/Sao Paulo' is not a known time zone");
    expect(err.hint).toContain('America/Sao_Paulo');
  });
});

describe('nextRun', () => {
  it('runs at 02:00 São Paulo time (UTC−3 today), strictly after the given instant', () => {
    expect(nextRun('0 2 * * *', SP, new Date('2026-11-25T04:00:00Z')).toISOString()).toBe('2026-11-25T05:00:00.000Z');
    expect(nextRun('0 2 * * *', SP, new Date('2026-11-25T05:00:00Z')).toISOString()).toBe('2026-11-26T05:00:00.000Z');
  });

  it('São Paulo 2018 DST start (00:00 → 01:00 on 2018-11-04): a 00:30 schedule runs once, at 01:00', () => {
    const runs = runsBetween('30 0 * * *', SP, new Date('2018-11-02T12:00:00Z'), new Date('2018-11-07T12:00:00Z'));
    expect(runs.map((r) => local(r, SP))).toEqual([
      '2018-11-03 00:30',
      '2018-11-04 01:00', // 00:30 did not exist that day
      '2018-11-05 00:30',
      '2018-11-06 00:30',
      '2018-11-07 00:30',
    ]);
    expect(runs.map((r) => r.toISOString())).toEqual([
      '2018-11-03T03:30:00.000Z',
      '2018-11-04T03:00:00.000Z',
      '2018-11-05T02:30:00.000Z',
      '2018-11-06T02:30:00.000Z',
      '2018-11-07T02:30:00.000Z',
    ]);
  });

  it('São Paulo 2018 DST end (02-18 00:00 → 02-17 23:00): a 23:30 schedule runs once that night', () => {
    const runs = runsBetween('30 23 * * *', SP, new Date('2018-02-16T12:00:00Z'), new Date('2018-02-19T12:00:00Z'));
    expect(runs.map((r) => r.toISOString())).toEqual([
      '2018-02-17T01:30:00.000Z', // 02-16 23:30 −02
      '2018-02-18T01:30:00.000Z', // 02-17 23:30 −02, first of the two 23:30s
      '2018-02-19T02:30:00.000Z', // 02-18 23:30 −03
    ]);
  });

  it('Lisbon: a 01:30 daily schedule runs exactly once a day, including both 2026 DST days', () => {
    const spring = runsBetween('30 1 * * *', LISBON, new Date('2026-03-27T12:00:00Z'), new Date('2026-03-31T12:00:00Z'));
    expect(spring.map((r) => r.toISOString())).toEqual([
      '2026-03-28T01:30:00.000Z', // 01:30 WET
      '2026-03-29T01:00:00.000Z', // 01:30 did not exist (01:00 → 02:00); runs at 02:00 WEST
      '2026-03-30T00:30:00.000Z', // 01:30 WEST
      '2026-03-31T00:30:00.000Z',
    ]);
    const autumn = runsBetween('30 1 * * *', LISBON, new Date('2026-10-23T12:00:00Z'), new Date('2026-10-27T12:00:00Z'));
    expect(autumn.map((r) => r.toISOString())).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z', // 01:30 happened twice (02:00 → 01:00); runs at the first only
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
    const perDay = (runs: Date[]): string[] => runs.map((r) => local(r, LISBON).slice(0, 10));
    expect(new Set(perDay(spring)).size).toBe(spring.length);
    expect(new Set(perDay(autumn)).size).toBe(autumn.length);
  });
});

describe('previousDue (catch-up)', () => {
  const cron = '0 2 * * *';

  it('after 3 days off, exactly one run is due: the latest missed one', () => {
    const lastRunAt = new Date('2026-11-22T05:00:05Z'); // ran 2026-11-22 02:00 local
    const start = new Date('2026-11-25T13:00:00Z'); // host back on 3 days later, 10:00 local
    const due = previousDue(cron, SP, lastRunAt, start);
    expect(due?.toISOString()).toBe('2026-11-25T05:00:00.000Z');
    // After the catch-up run, nothing more is due until the next scheduled time.
    expect(previousDue(cron, SP, start, new Date('2026-11-25T13:05:00Z'))).toBeUndefined();
    expect(previousDue(cron, SP, start, new Date('2026-11-26T05:00:00Z'))?.toISOString()).toBe('2026-11-26T05:00:00.000Z');
  });

  it('nothing is due when the last run is after the latest scheduled time', () => {
    expect(previousDue(cron, SP, new Date('2026-11-25T05:00:01Z'), new Date('2026-11-25T13:00:00Z'))).toBeUndefined();
  });

  it('includes a run scheduled exactly at now, excludes one exactly at lastRunAt', () => {
    const at = new Date('2026-11-25T05:00:00Z');
    expect(previousDue(cron, SP, new Date('2026-11-24T06:00:00Z'), at)?.toISOString()).toBe(at.toISOString());
    expect(previousDue(cron, SP, at, new Date('2026-11-25T06:00:00Z'))).toBeUndefined();
  });

  it('a plan that never ran has nothing to catch up', () => {
    expect(previousDue(cron, SP, undefined, new Date('2026-11-25T13:00:00Z'))).toBeUndefined();
  });

  it('catch-up across the Lisbon spring-forward gap finds the shifted run', () => {
    const due = previousDue('30 1 * * *', LISBON, new Date('2026-03-28T01:31:00Z'), new Date('2026-03-29T09:00:00Z'));
    expect(due?.toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });
});

describe('backoffDelays', () => {
  it('grows by 3× from the base and is capped', () => {
    const min = 60_000;
    expect(backoffDelays(3, 5 * min)).toEqual([5 * min, 15 * min, 45 * min]);
    expect(backoffDelays(5, 5 * min)).toEqual([5 * min, 15 * min, 45 * min, 60 * min, 60 * min]);
    expect(backoffDelays(4, 1000, { factor: 2, capMs: 5000 })).toEqual([1000, 2000, 4000, 5000]);
    expect(backoffDelays(0, 1000)).toEqual([]);
    expect(thrown(() => backoffDelays(-1, 1000)).code).toBe('INVALID_ARGUMENT');
  });
});

describe('describeSchedule and toCron', () => {
  it('describes common forms in Portuguese and English', () => {
    expect(describeSchedule('0 2 * * *', 'pt-BR')).toBe('todo dia às 02:00');
    expect(describeSchedule('0 2 * * *', 'en')).toBe('every day at 02:00');
    expect(describeSchedule('30 1 * * 1', 'pt-BR')).toBe('toda segunda-feira às 01:30');
    expect(describeSchedule('30 1 * * 0', 'pt-BR')).toBe('todo domingo às 01:30');
    expect(describeSchedule('30 1 * * 7', 'en')).toBe('every Sunday at 01:30');
    expect(describeSchedule('0 3 * * 1-5', 'pt-BR')).toBe('de segunda a sexta às 03:00');
    expect(describeSchedule('0 3 * * 1,3,5', 'en')).toBe('Monday, Wednesday and Friday at 03:00');
    expect(describeSchedule('15 * * * *', 'pt-BR')).toBe('a cada hora, no minuto 15');
    expect(describeSchedule('0 */6 * * *', 'en')).toBe('every 6 hours at minute 00');
    expect(describeSchedule('0 4 1 * *', 'pt-BR')).toBe('todo dia 1 do mês às 04:00');
    expect(describeSchedule('@daily', 'en')).toBe('every day at 00:00');
    expect(describeSchedule('0 2 * 1 *', 'en')).toBe('0 2 * 1 *');
    expect(describeSchedule('*/5 2 * * *', 'pt-BR')).toBe('*/5 2 * * *');
  });

  it('builds cron from the console form, and reads it back', () => {
    expect(toCron({ kind: 'daily', time: '02:00' })).toBe('0 2 * * *');
    expect(toCron({ kind: 'weekly', weekdays: [5, 1], time: '23:15' })).toBe('15 23 * * 1,5');
    expect(toCron({ kind: 'monthly', day: 1, time: '04:00' })).toBe('0 4 1 * *');
    expect(toCron({ kind: 'hourly', minute: 10, everyHours: 4 })).toBe('10 */4 * * *');
    expect(thrown(() => toCron({ kind: 'daily', time: '24:00' })).hint).toContain('HH:MM');
    const forms: HumanSchedule[] = [
      { kind: 'daily', time: '02:00' },
      { kind: 'weekly', weekdays: [1, 5], time: '23:15' },
      { kind: 'monthly', day: 1, time: '04:00' },
      { kind: 'hourly', minute: 10, everyHours: 4 },
      { kind: 'hourly', minute: 0 },
    ];
    for (const s of forms) {
      const cron = toCron(s);
      expect(() => validateSchedule(cron, SP)).not.toThrow();
      expect(parseHumanSchedule(cron)).toEqual(s);
    }
  });
});
