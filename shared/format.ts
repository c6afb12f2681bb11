/** Human units for the console and the CLI: sizes, durations, rates, dates in a time zone. */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

function number(value: number, locale: string, digits: number): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(value);
}

/** 1 KB = 1024 B (what file managers show); 1 decimal from MB up. */
export function formatBytes(bytes: number, locale = 'pt-BR'): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${number(value, locale, unit >= 2 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number, locale = 'pt-BR'): string {
  return `${formatBytes(bytesPerSecond, locale)}/s`;
}

/** "41 s", "12 min 5 s", "2 h 13 min", "3 d 4 h": two units at most. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** A clock-like elapsed time: "01:07:32". */
export function formatClock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

export function formatDateTime(iso: string, timeZone: string, locale = 'pt-BR'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { timeZone, dateStyle: 'short', timeStyle: 'short' }).format(d);
}

export function formatDate(iso: string, timeZone: string, locale = 'pt-BR'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { timeZone, day: '2-digit', month: 'short', year: 'numeric' }).format(d);
}

export function formatTime(iso: string, timeZone: string, locale = 'pt-BR'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit' }).format(d);
}

/** "SHA256:abc…xyz" shortened for tables; full value stays in a title attribute. */
export function shortHash(hash: string, keep = 10): string {
  return hash.length <= keep * 2 + 1 ? hash : `${hash.slice(0, keep)}…${hash.slice(-keep)}`;
}
