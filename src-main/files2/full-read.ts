/**
 * The periodic full re-read of a format-2 files source (`fullReadEvery`, default 30 days): when
 * due, every regular file is read over SSH and hashed again even if its size, mtime, inode and
 * ctime match the last listing. That catches changes the metadata does not show (a clock set
 * back, a tool or filesystem that keeps ctime, bit rot on the server's disk). Content already
 * stored is not uploaded again: only what really changed is.
 */
import { CofreError } from '../errors.js';
import { said, type MessageRef } from '../../shared/i18n/catalog.js';
import type { FilesState } from './state.js';

export const DEFAULT_FULL_READ_EVERY = '30d';

const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

export const FULL_READ_EVERY_PATTERN = /^(never|0|[1-9][0-9]{0,4}[hdw])$/;

/** `30d`, `2w`, `12h` → milliseconds; `0` and `never` → 0 (never). */
export function fullReadPeriodMs(value: string | number | undefined): number {
  const v = String(value ?? DEFAULT_FULL_READ_EVERY).trim();
  if (!FULL_READ_EVERY_PATTERN.test(v)) {
    throw new CofreError('CONFIG_INVALID', `fullReadEvery "${v}" is not a period`, { hint: 'write a period such as "30d", "2w" or "12h", or "never" (0) to turn the full re-read off' });
  }
  if (v === 'never' || v === '0') return 0;
  return Number(v.slice(0, -1)) * (UNIT_MS[v.slice(-1)] ?? 0);
}

export type FullReadReason = 'first' | 'never-recorded' | 'period';

export interface FullReadDecision {
  due: boolean;
  reason?: FullReadReason;
  /** the last recorded full read, if any */
  last?: Date;
  /** words for the run log */
  why: string;
}

/**
 * Whether this run reads every file again. Without a listing in the state (first backup to this
 * storage, or the state was lost) every file is read anyway: that run is a full read.
 */
export function fullReadDecision(opts: { hasListing: boolean; last: Date | undefined; periodMs: number; now: Date; every: string }): FullReadDecision {
  const { hasListing, last, periodMs, now, every } = opts;
  if (!hasListing) return { due: true, reason: 'first', ...(last ? { last } : {}), why: 'no earlier listing of this source on this storage: every file is read' };
  if (periodMs === 0) return { due: false, ...(last ? { last } : {}), why: 'full re-read turned off (fullReadEvery: never)' };
  if (!last) return { due: true, reason: 'never-recorded', why: `no full read recorded yet (fullReadEvery: ${every})` };
  if (now.getTime() - last.getTime() >= periodMs) return { due: true, reason: 'period', last, why: `last full read ${last.toISOString()}, older than fullReadEvery: ${every}` };
  return { due: false, last, why: `last full read ${last.toISOString()} (fullReadEvery: ${every})` };
}

/** The catalog message of a due full re-read (names, dates and periods only). */
export function fullReadMessage(d: FullReadDecision, source: string, every: string): MessageRef {
  if (d.reason === 'first') return said('log.files2.fullReadFirst', { source });
  if (d.reason === 'period' && d.last) return said('log.files2.fullReadDue', { source, last: d.last.toISOString(), every });
  return said('log.files2.fullReadNever', { source, every });
}

/**
 * Decides for one source of one run whether every file is read again, and says so in the run
 * log when it is. The state records the full read when the set's manifest is written.
 */
export function planFullRead(
  state: FilesState, storageId: string, source: string, fullReadEvery: string | undefined, hasListing: boolean, now: Date,
  log: (level: 'info', line: string, ref?: MessageRef) => void,
): FullReadDecision {
  const every = fullReadEvery ?? DEFAULT_FULL_READ_EVERY;
  const d = fullReadDecision({ hasListing, last: state.lastFullRead(storageId, source), periodMs: fullReadPeriodMs(every), now, every });
  if (d.due) log('info', `${source}: full re-read: every file is read and hashed again (${d.why})`, fullReadMessage(d, source, every));
  return d;
}
