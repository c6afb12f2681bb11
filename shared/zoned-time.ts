/**
 * Wall-clock time in a named IANA time zone, pure Intl (no dependency on the host's or the
 * browser's own zone): the calendar date and time of an instant in a zone, the zone's offset, the
 * instant of a wall-clock time (DST gaps and repeats resolved), and the console's
 * `<input type="datetime-local">` values ("2026-03-01T14:30") read in the clinic's zone and back.
 * The scheduler, retention and alerts use it through src-main/scheduler/timezone.ts.
 */

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** A calendar date (no time zone); month is 1-12. */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

export interface CivilDateTime extends CivilDate {
  hour: number;
  minute: number;
  second: number;
}

const partFormatters = new Map<string, Intl.DateTimeFormat>();

function partFormatter(timezone: string): Intl.DateTimeFormat {
  let formatter = partFormatters.get(timezone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partFormatters.set(timezone, formatter);
  }
  return formatter;
}

/** The wall-clock date and time of `instant` in `timezone`. */
export function civilDateTime(instant: Date, timezone: string): CivilDateTime {
  const parts = partFormatter(timezone).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes): number => {
    const part = parts.find((p) => p.type === type);
    return part === undefined ? 0 : Number.parseInt(part.value, 10);
  };
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour') % 24,
    minute: get('minute'),
    second: get('second'),
  };
}

/** Offset of `timezone` from UTC at `instantMs`, in milliseconds (e.g. −3 h for São Paulo). */
export function zoneOffsetMs(instantMs: number, timezone: string): number {
  const t = civilDateTime(new Date(instantMs), timezone);
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  return wall - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The instant a wall-clock time happens in `timezone`. A time skipped by a DST jump resolves
 * to the same wall time in the old offset (i.e. after the jump); a time that happens twice
 * resolves to its first occurrence.
 */
export function instantFromCivil(t: CivilDate & Partial<CivilDateTime>, timezone: string): Date {
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour ?? 0, t.minute ?? 0, t.second ?? 0);
  const before = zoneOffsetMs(wall - 86_400_000, timezone);
  const after = zoneOffsetMs(wall + 86_400_000, timezone);
  // Try the larger offset first: for a repeated time it gives the first occurrence.
  const candidates = before >= after ? [before, after] : [after, before];
  for (const offset of candidates) {
    const instant = wall - offset;
    if (zoneOffsetMs(instant, timezone) === offset) return new Date(instant);
  }
  return new Date(wall - before);
}

/** The ISO instant of a wall-clock value in `timeZone`; undefined when the value is not one. */
export function instantOfWallClock(value: string, timeZone: string): string | undefined {
  const m = WALL.exec(value.trim());
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second] = m.map((x) => Number.parseInt(x ?? '0', 10)) as [number, number, number, number, number, number, number];
  if (Number.isNaN(Date.UTC(year, month - 1, day, hour, minute, second))) return undefined;
  return instantFromCivil({ year, month, day, hour, minute, second }, timeZone).toISOString();
}

/** The wall-clock value ("YYYY-MM-DDTHH:mm") of an instant in `timeZone`. */
export function wallClockOf(iso: string, timeZone: string): string {
  const t = civilDateTime(new Date(Date.parse(iso)), timeZone);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}`;
}

/** Every IANA zone the runtime knows (for a time-zone list), with `current` kept if it is an alias. */
export function timeZoneChoices(current?: string): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return current && !zones.includes(current) ? [current, ...zones] : [...zones];
}
