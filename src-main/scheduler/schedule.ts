/**
 * Schedule maths for plans: validating a cron expression and time zone, the next run, the run
 * missed while the host was off (catch-up), retry back-off, and a sentence for people.
 *
 * Cron expressions have five fields (minute hour day-of-month month day-of-week) and are read
 * in the plan's time zone, with croner's DST rules: a fixed time that falls in a spring-forward
 * gap runs at the first valid minute after the gap, and a time repeated at fall-back runs once.
 */
import { Cron } from 'croner';
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import { assertTimeZone } from './timezone.js';

const CRON_HINT =
  'Use five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * *" for every day at 02:00 ' +
  'or "30 1 * * 1-5" for 01:30 Monday to Friday.';

const FIELDS: Record<string, { label: string; index: number; range: string }> = {
  minute: { label: 'minute', index: 0, range: '0-59' },
  hour: { label: 'hour', index: 1, range: '0-23' },
  day: { label: 'day of month', index: 2, range: '1-31' },
  month: { label: 'month', index: 3, range: '1-12 or JAN-DEC' },
  dayOfWeek: { label: 'day of week', index: 4, range: '0-7 or SUN-SAT' },
};

function explainCronError(cron: string, err: unknown): string {
  const raw = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern:\s*/, '');
  const range = /^Invalid value for (\w+)/.exec(raw);
  if (range !== null) {
    const field = FIELDS[range[1] ?? ''];
    if (field !== undefined) {
      const text = cron.trim().split(/\s+/)[field.index] ?? '?';
      return `${field.label} ${text} out of range (${field.range})`;
    }
  }
  if (/requires exactly 5 parts|exactly five, six, or seven/.test(raw)) {
    return `expected 5 fields, found ${cron.trim() === '' ? 0 : cron.trim().split(/\s+/).length}`;
  }
  return raw;
}

function build(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, paused: true, mode: '5-part' });
}

/**
 * Throws INVALID_ARGUMENT when the cron expression or the time zone is not usable.
 * `where` names the config key in the message, e.g. `plans.diario.schedule`.
 */
export function validateSchedule(cron: string, timezone: string, where = 'schedule'): void {
  const tzWhere = where.endsWith('.schedule') ? `${where.slice(0, -'.schedule'.length)}.timezone` : 'timezone';
  assertTimeZone(timezone, tzWhere);
  let job: Cron;
  try {
    job = build(cron, timezone);
  } catch (err) {
    throw new CofreError('INVALID_ARGUMENT', `${where}: '${cron}' is not a valid cron expression: ${explainCronError(cron, err)}`, {
      ...said('config.cron', { cron }),
      hint: CRON_HINT,
    });
  }
  if (job.nextRun(new Date()) === null) {
    throw new CofreError('INVALID_ARGUMENT', `${where}: '${cron}' never matches a date (e.g. 31 February)`, {
      ...said('config.cron', { cron }),
      hint: CRON_HINT,
    });
  }
}

/** The first scheduled instant strictly after `after`. */
export function nextRun(cron: string, timezone: string, after: Date): Date {
  validateSchedule(cron, timezone);
  const next = build(cron, timezone).nextRun(after);
  if (next === null) {
    throw new CofreError('INVALID_ARGUMENT', `schedule '${cron}' has no run after ${after.toISOString()}`, { ...said('config.cron', { cron }), hint: CRON_HINT });
  }
  return next;
}

/**
 * The most recent scheduled instant in (lastRunAt, now], or undefined if none is due. Used for
 * catch-up at start-up: however many runs were missed while the host was off, this returns at
 * most one (the latest), so the plan runs once. A plan that never ran (lastRunAt undefined) has
 * nothing to catch up; it waits for its next scheduled time. A host that wants an immediate
 * first run can pass the plan's creation time as lastRunAt.
 */
export function previousDue(cron: string, timezone: string, lastRunAt: Date | undefined, now: Date): Date | undefined {
  validateSchedule(cron, timezone);
  if (lastRunAt === undefined) return undefined;
  // croner's previousRuns excludes the reference itself; 1 ms later includes a run exactly at `now`.
  const [latest] = build(cron, timezone).previousRuns(1, new Date(now.getTime() + 1));
  if (latest === undefined || latest.getTime() <= lastRunAt.getTime() || latest.getTime() > now.getTime()) {
    return undefined;
  }
  return latest;
}

/**
 * Delays before each retry of a failed run: base, base×factor, base×factor², … capped.
 * backoffDelays(3, 5 min) → [5 min, 15 min, 45 min].
 */
export function backoffDelays(maxRetries: number, baseMs: number, opts: { factor?: number; capMs?: number } = {}): number[] {
  const factor = opts.factor ?? 3;
  const capMs = opts.capMs ?? 60 * 60_000;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new CofreError('INVALID_ARGUMENT', `maxRetries must be a whole number ≥ 0, got ${String(maxRetries)}`, {
      hint: 'Use e.g. 3 retries.',
    });
  }
  if (!(baseMs > 0) || !(factor >= 1) || !(capMs > 0)) {
    throw new CofreError('INVALID_ARGUMENT', 'retry delays must be positive and the factor ≥ 1', {
      hint: 'Use e.g. a base of 5 minutes and a factor of 3.',
    });
  }
  const delays: number[] = [];
  let delay = baseMs;
  for (let i = 0; i < maxRetries; i++) {
    delays.push(Math.min(delay, capMs));
    delay *= factor;
  }
  return delays;
}

/** Schedules the console offers without cron; `weekdays` uses 0 = Sunday … 6 = Saturday. */
export type HumanSchedule =
  | { kind: 'daily'; time: string }
  | { kind: 'weekly'; weekdays: number[]; time: string }
  | { kind: 'monthly'; day: number; time: string }
  | { kind: 'hourly'; minute: number; everyHours?: number };

function parseTime(time: string): { hour: number; minute: number } {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (match === null) {
    throw new CofreError('INVALID_ARGUMENT', `'${time}' is not a time of day`, { hint: 'Write the time as HH:MM, e.g. 02:00.' });
  }
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CofreError('INVALID_ARGUMENT', `${name} must be between ${min} and ${max}, got ${String(value)}`, {
      hint: `Choose a ${name} from ${min} to ${max}.`,
    });
  }
}

/** The cron expression for a schedule picked in the console: {kind:'daily', time:'02:00'} → "0 2 * * *". */
export function toCron(schedule: HumanSchedule): string {
  switch (schedule.kind) {
    case 'daily': {
      const { hour, minute } = parseTime(schedule.time);
      return `${minute} ${hour} * * *`;
    }
    case 'weekly': {
      const { hour, minute } = parseTime(schedule.time);
      if (schedule.weekdays.length === 0) {
        throw new CofreError('INVALID_ARGUMENT', 'a weekly schedule needs at least one weekday', {
          hint: 'Pick one or more days of the week.',
        });
      }
      for (const d of schedule.weekdays) checkInt('weekday', d, 0, 6);
      const days = [...new Set(schedule.weekdays)].sort((a, b) => a - b);
      return `${minute} ${hour} * * ${days.join(',')}`;
    }
    case 'monthly': {
      const { hour, minute } = parseTime(schedule.time);
      checkInt('day of month', schedule.day, 1, 28);
      return `${minute} ${hour} ${schedule.day} * *`;
    }
    case 'hourly': {
      checkInt('minute', schedule.minute, 0, 59);
      const every = schedule.everyHours ?? 1;
      checkInt('hour interval', every, 1, 12);
      return `${schedule.minute} ${every === 1 ? '*' : `*/${every}`} * * *`;
    }
  }
}

const NICKNAMES: Record<string, string> = {
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
};

const num = (text: string, min: number, max: number): number | undefined => {
  if (!/^\d{1,2}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
};

/** The inverse of toCron for the forms it produces (plus 1-5 ranges and nicknames), else undefined. */
export function parseHumanSchedule(cron: string): HumanSchedule | undefined {
  const fields = (NICKNAMES[cron.trim().toLowerCase()] ?? cron).trim().split(/\s+/);
  if (fields.length !== 5) return undefined;
  const [m, h, dom, mon, dow] = fields as [string, string, string, string, string];
  const minute = num(m, 0, 59);
  if (minute === undefined || mon !== '*') return undefined;
  if (dom === '*' && dow === '*') {
    if (h === '*') return { kind: 'hourly', minute };
    const step = /^\*\/(\d{1,2})$/.exec(h);
    if (step !== null) {
      const every = Number(step[1]);
      return every >= 1 && every <= 12 ? { kind: 'hourly', minute, everyHours: every } : undefined;
    }
  }
  const hour = num(h, 0, 23);
  if (hour === undefined) return undefined;
  const time = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
  if (dom === '*' && dow === '*') return { kind: 'daily', time };
  if (dow === '*') {
    const day = num(dom, 1, 31);
    return day === undefined ? undefined : { kind: 'monthly', day, time };
  }
  if (dom !== '*') return undefined;
  const weekdays = new Set<number>();
  for (const part of dow.split(',')) {
    const range = /^(\d)-(\d)$/.exec(part);
    if (range !== null) {
      const from = Number(range[1]);
      const to = Number(range[2]);
      if (from > to || to > 7) return undefined;
      for (let d = from; d <= to; d++) weekdays.add(d % 7);
    } else {
      const d = num(part, 0, 7);
      if (d === undefined) return undefined;
      weekdays.add(d % 7);
    }
  }
  const sorted = [...weekdays].sort((a, b) => a - b);
  return sorted.length === 7 ? { kind: 'daily', time } : { kind: 'weekly', weekdays: sorted, time };
}

const WEEKDAYS = {
  'pt-BR': ['domingo', 'segunda-feira', 'terça-feira', 'quarta-feira', 'quinta-feira', 'sexta-feira', 'sábado'],
  en: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
} as const;

function joinList(items: string[], locale: 'pt-BR' | 'en'): string {
  if (items.length <= 1) return items.join('');
  const last = items[items.length - 1] ?? '';
  return `${items.slice(0, -1).join(', ')} ${locale === 'pt-BR' ? 'e' : 'and'} ${last}`;
}

/**
 * A sentence for the console and reports: "todo dia às 02:00" / "every day at 02:00",
 * "toda segunda-feira às 02:00", "de segunda a sexta às 01:30", "a cada hora, no minuto 15";
 * any other expression comes back as the cron text itself.
 */
export function describeSchedule(cron: string, locale: 'pt-BR' | 'en' = 'pt-BR'): string {
  const s = parseHumanSchedule(cron);
  if (s === undefined) return cron;
  const pt = locale === 'pt-BR';
  const mm = (n: number): string => String(n).padStart(2, '0');
  switch (s.kind) {
    case 'daily':
      return pt ? `todo dia às ${s.time}` : `every day at ${s.time}`;
    case 'monthly':
      return pt ? `todo dia ${s.day} do mês às ${s.time}` : `on day ${s.day} of every month at ${s.time}`;
    case 'hourly': {
      const every = s.everyHours ?? 1;
      if (pt) return every === 1 ? `a cada hora, no minuto ${mm(s.minute)}` : `a cada ${every} horas, no minuto ${mm(s.minute)}`;
      return every === 1 ? `every hour at minute ${mm(s.minute)}` : `every ${every} hours at minute ${mm(s.minute)}`;
    }
    case 'weekly': {
      const names = WEEKDAYS[locale];
      const days = s.weekdays;
      if (days.join(',') === '1,2,3,4,5') return pt ? `de segunda a sexta às ${s.time}` : `Monday to Friday at ${s.time}`;
      if (days.length === 1) {
        const d = days[0] ?? 0;
        if (!pt) return `every ${names[d]} at ${s.time}`;
        return `${d === 0 || d === 6 ? 'todo' : 'toda'} ${names[d]} às ${s.time}`;
      }
      const list = joinList(days.map((d) => names[d] ?? ''), locale);
      return pt ? `${list} às ${s.time}` : `${list} at ${s.time}`;
    }
  }
}
