/**
 * Wall-clock times in a named time zone for the console's date-and-time pickers: an
 * `<input type="datetime-local">` value ("2026-03-01T14:30") read in the clinic's zone, and
 * back. Pure Intl, no dependency on the browser's own zone.
 */

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

function parts(instantMs: number, timeZone: string): [number, number, number, number, number, number] {
  const f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  const p = f.formatToParts(new Date(instantMs));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number.parseInt(p.find((x) => x.type === type)?.value ?? '0', 10);
  return [get('year'), get('month'), get('day'), get('hour') % 24, get('minute'), get('second')];
}

function offsetMs(instantMs: number, timeZone: string): number {
  const [y, mo, d, h, mi, s] = parts(instantMs, timeZone);
  return Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(instantMs / 1000) * 1000;
}

/** The ISO instant of a wall-clock value in `timeZone`; undefined when the value is not one. */
export function instantOfWallClock(value: string, timeZone: string): string | undefined {
  const m = WALL.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map((x) => Number.parseInt(x ?? '0', 10)) as [number, number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(wall)) return undefined;
  const before = offsetMs(wall - 86_400_000, timeZone);
  const after = offsetMs(wall + 86_400_000, timeZone);
  // the larger offset first: a time that happens twice resolves to its first occurrence
  for (const offset of before >= after ? [before, after] : [after, before]) {
    const instant = wall - offset;
    if (offsetMs(instant, timeZone) === offset) return new Date(instant).toISOString();
  }
  return new Date(wall - before).toISOString();
}

/** The wall-clock value ("YYYY-MM-DDTHH:mm") of an instant in `timeZone`. */
export function wallClockOf(iso: string, timeZone: string): string {
  const [y, mo, d, h, mi] = parts(Date.parse(iso), timeZone);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}`;
}

/** Every IANA zone the runtime knows (for a time-zone list), with `current` kept if it is an alias. */
export function timeZoneChoices(current?: string): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return current && !zones.includes(current) ? [current, ...zones] : [...zones];
}
