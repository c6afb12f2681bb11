/**
 * Human units for sizes, rates, durations and times, used by the CLI and the console alike.
 * Times are shown in the clinic's time zone.
 */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number, locale = 'en'): string {
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 ? 0 : v < 10 ? 2 : v < 100 ? 1 : 0;
  return `${v.toLocaleString(locale, { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${UNITS[i]}`;
}

export function formatRate(bytesPerSecond: number, locale = 'en'): string {
  return `${formatBytes(bytesPerSecond, locale)}/s`;
}

/** 3725000 → "1 h 2 min"; 42000 → "42 s"; 1500 → "1.5 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${Math.round(s * 10) / 10} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m - h * 60} min`;
  const d = Math.floor(h / 24);
  return `${d} d ${h - d * 24} h`;
}

/** "25/11/2026 02:00" in pt-BR, "11/25/2026, 02:00" in en, in the given time zone. */
export function formatDateTime(iso: string | Date, timeZone: string, locale = 'pt-BR'): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return new Intl.DateTimeFormat(locale, {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(d);
}

/** ETA in seconds from bytes done, total and rate; undefined when it cannot be known. */
export function etaSeconds(done: number, total: number | undefined, bytesPerSecond: number): number | undefined {
  if (total === undefined || bytesPerSecond <= 0 || done > total) return undefined;
  return Math.round((total - done) / bytesPerSecond);
}
