/**
 * Time-zone helpers shared by the schedule, retention and alert modules: validating an IANA
 * name, reading the calendar date of an instant in a zone, and formatting an instant for people.
 * Pure functions on top of Intl; no dependency on the host's own time zone.
 */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import { civilDateTime, type CivilDate } from '../../shared/zoned-time.js';

// the civil-time core lives in shared/ (the console's date pickers use it too)
export { civilDateTime, instantFromCivil, zoneOffsetMs, type CivilDate, type CivilDateTime } from '../../shared/zoned-time.js';

const validZones = new Map<string, boolean>();
let canonicalZones: Set<string> | undefined;

export function isTimeZone(timezone: string): boolean {
  const cached = validZones.get(timezone);
  if (cached !== undefined) return cached;
  // The canonical IANA names answer in ~1 ms; building a formatter (the only test that also
  // knows aliases such as UTC or Brazil/East) loads ICU's zone data, ~13 ms of every CLI start.
  canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  let ok = timezone.trim() !== '';
  if (ok && !canonicalZones.has(timezone)) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      ok = false;
    }
  }
  validZones.set(timezone, ok);
  return ok;
}

/** Throws INVALID_ARGUMENT naming `where` (e.g. `plans.diario.timezone`) when the zone is unknown. */
export function assertTimeZone(timezone: string, where = 'timezone'): void {
  if (!isTimeZone(timezone)) {
    throw new CofreError('INVALID_ARGUMENT', `${where}: '${timezone}' is not a known time zone`, {
      ...said('config.timezone', { timezone }),
      hint: 'Use an IANA time zone name such as America/Sao_Paulo, America/Manaus or Europe/Lisbon.',
    });
  }
}

/** The calendar date of `instant` in `timezone`. */
export function civilDate(instant: Date, timezone: string): CivilDate {
  const { year, month, day } = civilDateTime(instant, timezone);
  return { year, month, day };
}

/** Days since 1970-01-01 for a calendar date (proleptic Gregorian), for date arithmetic. */
export function dayNumber(date: CivilDate): number {
  return Math.round(Date.UTC(date.year, date.month - 1, date.day) / 86_400_000);
}

export function fromDayNumber(days: number): CivilDate {
  const d = new Date(days * 86_400_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** ISO 8601 week of a calendar date: the week-numbering year and week (Monday first). */
export function isoWeek(date: CivilDate): { year: number; week: number } {
  const days = dayNumber(date);
  // 1970-01-01 was a Thursday; ISO weekday 1 = Monday … 7 = Sunday.
  const weekday = ((((days + 3) % 7) + 7) % 7) + 1;
  const thursday = fromDayNumber(days + 4 - weekday);
  const firstDay = dayNumber({ year: thursday.year, month: 1, day: 1 });
  const week = Math.floor((dayNumber(thursday) - firstDay) / 7) + 1;
  return { year: thursday.year, week };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function formatCivilDate(date: CivilDate): string {
  return `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}`;
}

/**
 * An instant for people, in the clinic's zone: `25/11/2026 02:00 (America/Sao_Paulo)` in
 * pt-BR, `2026-11-25 02:00 (America/Sao_Paulo)` in English.
 */
export function formatInstant(instant: Date, timezone: string, locale: 'pt-BR' | 'en' = 'pt-BR'): string {
  const t = civilDateTime(instant, timezone);
  const time = `${pad(t.hour)}:${pad(t.minute)}`;
  const date =
    locale === 'pt-BR' ? `${pad(t.day)}/${pad(t.month)}/${pad(t.year, 4)}` : formatCivilDate(t);
  return `${date} ${time} (${timezone})`;
}
