/**
 * Retention (RF-BACK-002): which sets of a plan to keep and which to delete.
 *
 * Pure and deterministic: the caller lists the sets (from storage or the catalog), passes the
 * plan's policy and a clock reading, and gets back decisions with a reason each. Nothing here
 * touches storage.
 *
 * Rules, in the plan's time zone (fail closed: doubt is never absence, nothing is deleted on a guess):
 * - Only complete sets (a good, authentic manifest) are restore points and count for keepDays,
 *   keepWeekly, keepMonthly and keepMin.
 * - keepDays N keeps every complete set created on today's calendar date or on one of the N
 *   calendar days before it: the cut-off is local midnight starting the day N days before
 *   today. So a set is never deleted before it is at least N full days old, and a daily plan
 *   always has at least N daily restore points (N + 1 once today's backup ran).
 * - keepWeekly N keeps the newest complete set of each of the last N ISO weeks (the current
 *   week and the N − 1 before it); keepMonthly N the newest of each of the last N calendar
 *   months (this month included).
 * - The newest keepMin complete sets are kept whatever their age.
 * - Incomplete (no manifest at all) sets are deleted only when older than the incomplete grace
 *   (long enough for the longest first backup, default 48 h) and not leased by a running backup.
 * - Doubtful sets (a manifest that is corrupt, of an unknown format, or names missing objects) are
 *   never deleted and never counted as good; they are reported.
 * - Unsigned sets are never counted as good and are deleted only once past the keepDays window.
 * - A manifest that could not be read (I/O, network) stops every deletion: nothing about that
 *   storage is known well enough to delete.
 * - Safety stop: when the newest complete set is older than the RPO plus a grace period, or
 *   there is none, nothing at all is deleted, so a broken backup never eats the last good ones.
 * - A set under S3 Object Lock that would be deleted is reported as held instead.
 */
import { CofreError } from '../errors.js';
import type { SetState } from '../../shared/domain.js';
import {
  assertTimeZone,
  civilDate,
  dayNumber,
  formatCivilDate,
  fromDayNumber,
  isoWeek,
} from '../scheduler/timezone.js';

export interface RetentionPolicy {
  /** calendar days of daily restore points to keep (default 30) */
  keepDays: number;
  /** never keep fewer complete sets than this (default 7) */
  keepMin: number;
  /** newest complete set of each of the last N ISO weeks */
  keepWeekly?: number;
  /** newest complete set of each of the last N calendar months */
  keepMonthly?: number;
}

export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = { keepDays: 30, keepMin: 7 };

export interface SetSummary {
  setId: string;
  createdAt: Date;
  /** what the set is (shared/domain.ts SetState); only 'complete' is a restore point */
  state: SetState;
  /** the manifest exists but could not be read: stops every deletion */
  unreadable?: boolean;
  /** a running backup holds a fresh lease on this set */
  leased?: boolean;
  /** why the set is not complete, for the report */
  problem?: string;
  /** S3 Object Lock retain-until date, if any */
  lockedUntil?: Date;
}

export interface Decision {
  setId: string;
  action: 'keep' | 'delete';
  reason: string;
}

export interface RetentionOptions {
  /** the plan's time zone; days, weeks and months are counted on its calendar */
  timezone: string;
  /** recovery point objective in hours (24 for RNF-BACK-002) */
  rpoHours: number;
  /** extra hours past the RPO before the safety stop engages (default 6) */
  graceHours?: number;
  /** a set with no manifest younger than this may be a backup still running (default 48) */
  incompleteGraceHours?: number;
}

export interface RetentionPlan {
  keep: Decision[];
  delete: Decision[];
  /** would be deleted by the policy but are under object lock; left in place */
  held: Decision[];
  warnings: string[];
  /** set when nothing is deleted because the plan has no recent complete set, or a manifest could not be read */
  safetyStop?: string;
  /** doubtful sets (never deleted, never counted as good): reported and alerted */
  doubtful: Decision[];
}

const HOUR_MS = 3_600_000;
export const DEFAULT_GRACE_HOURS = 6;
/** incomplete sets younger than this may still be in progress (long enough for the longest first backup) */
export const DEFAULT_INCOMPLETE_GRACE_HOURS = 48;

function invalid(message: string, hint: string): CofreError {
  return new CofreError('INVALID_ARGUMENT', message, { hint });
}

function checkCount(name: string, value: number | undefined, min: number, required: boolean): void {
  if (value === undefined) {
    if (required) throw invalid(`retention.${name} is missing`, `Set retention.${name} to a whole number ≥ ${min}.`);
    return;
  }
  if (!Number.isInteger(value) || value < min) {
    throw invalid(
      `retention.${name} must be a whole number ≥ ${min}, got ${String(value)}`,
      name === 'keepDays'
        ? 'RF-BACK-002 asks for at least 30 days: use keepDays: 30 or more.'
        : `Set retention.${name} to a whole number ≥ ${min}.`,
    );
  }
}

/** Throws INVALID_ARGUMENT (with a hint) for a policy that cannot be applied safely. */
export function validateRetentionPolicy(policy: RetentionPolicy): void {
  checkCount('keepDays', policy.keepDays, 1, true);
  checkCount('keepMin', policy.keepMin, 1, true);
  checkCount('keepWeekly', policy.keepWeekly, 0, false);
  checkCount('keepMonthly', policy.keepMonthly, 0, false);
}

function validateOptions(opts: RetentionOptions): void {
  assertTimeZone(opts.timezone, 'retention timezone');
  if (!Number.isFinite(opts.rpoHours) || opts.rpoHours <= 0) {
    throw invalid(`rpoHours must be a positive number, got ${String(opts.rpoHours)}`, 'Use the plan RPO, e.g. 24.');
  }
  if (opts.graceHours !== undefined && (!Number.isFinite(opts.graceHours) || opts.graceHours < 0)) {
    throw invalid(`graceHours must be ≥ 0, got ${String(opts.graceHours)}`, 'Use e.g. 6 hours.');
  }
  if (opts.incompleteGraceHours !== undefined && (!Number.isFinite(opts.incompleteGraceHours) || opts.incompleteGraceHours <= 0)) {
    throw invalid(`incompleteGraceHours must be > 0, got ${String(opts.incompleteGraceHours)}`, 'Use at least the duration of the longest first backup, e.g. 48 hours.');
  }
}

function validateSets(sets: readonly SetSummary[]): void {
  const seen = new Set<string>();
  for (const set of sets) {
    if (seen.has(set.setId)) {
      throw invalid(`set ${set.setId} is listed twice`, 'List each set once (this is a bug in the caller).');
    }
    seen.add(set.setId);
    if (!(set.createdAt instanceof Date) || Number.isNaN(set.createdAt.getTime())) {
      throw invalid(`set ${set.setId} has no valid creation time`, 'Check the set manifest or the catalog entry.');
    }
  }
}

/** Oldest first; the set id breaks ties so the order is total. */
function byAge(a: { setId: string; createdAt: Date }, b: { setId: string; createdAt: Date }): number {
  const diff = a.createdAt.getTime() - b.createdAt.getTime();
  if (diff !== 0) return diff;
  return a.setId < b.setId ? -1 : a.setId > b.setId ? 1 : 0;
}

function hoursText(ms: number): string {
  const hours = ms / HOUR_MS;
  return hours >= 10 ? String(Math.floor(hours)) : hours.toFixed(1);
}

export function planRetention(
  sets: readonly SetSummary[],
  policy: RetentionPolicy,
  now: Date,
  opts: RetentionOptions,
): RetentionPlan {
  validateRetentionPolicy(policy);
  validateOptions(opts);
  validateSets(sets);
  const tz = opts.timezone;
  const nowMs = now.getTime();
  const warnings: string[] = [];

  const sorted = [...sets].sort(byAge);
  const complete = sorted.filter((s) => s.state === 'complete');
  const newestFirst = [...complete].reverse();

  // Why each complete set is kept (several reasons may apply; all are reported).
  const reasons = new Map<string, string[]>();
  const addReason = (setId: string, reason: string): void => {
    const list = reasons.get(setId);
    if (list === undefined) reasons.set(setId, [reason]);
    else list.push(reason);
  };

  const today = dayNumber(civilDate(now, tz));
  const firstKeptDay = today - policy.keepDays;
  for (const set of complete) {
    const day = dayNumber(civilDate(set.createdAt, tz));
    if (day >= firstKeptDay) addReason(set.setId, `within ${policy.keepDays} days`);
    if (set.createdAt.getTime() > nowMs) {
      warnings.push(`set ${set.setId} was created in the future (${set.createdAt.toISOString()}); check the clocks`);
    }
  }

  if (policy.keepWeekly !== undefined && policy.keepWeekly > 0) {
    const weeks = new Set<string>();
    for (let i = 0; i < policy.keepWeekly; i++) weeks.add(weekKey(fromDayNumber(today - 7 * i)));
    const taken = new Set<string>();
    for (const set of newestFirst) {
      const key = weekKey(civilDate(set.createdAt, tz));
      if (weeks.has(key) && !taken.has(key)) {
        taken.add(key);
        addReason(set.setId, `weekly ${key}`);
      }
    }
  }

  if (policy.keepMonthly !== undefined && policy.keepMonthly > 0) {
    const current = civilDate(now, tz);
    const months = new Set<string>();
    for (let i = 0; i < policy.keepMonthly; i++) {
      const index = current.year * 12 + (current.month - 1) - i;
      months.add(monthKey(Math.floor(index / 12), (index % 12) + 1));
    }
    const taken = new Set<string>();
    for (const set of newestFirst) {
      const date = civilDate(set.createdAt, tz);
      const key = monthKey(date.year, date.month);
      if (months.has(key) && !taken.has(key)) {
        taken.add(key);
        addReason(set.setId, `monthly ${key}`);
      }
    }
  }

  for (const set of newestFirst.slice(0, policy.keepMin)) addReason(set.setId, `keepMin ${policy.keepMin}`);
  if (complete.length < policy.keepMin) {
    warnings.push(`only ${complete.length} complete set(s) exist, fewer than keepMin ${policy.keepMin}`);
  }

  // Safety stop: a plan whose backups stopped succeeding keeps everything it has; a manifest that
  // could not be read means the storage is not known well enough to delete anything.
  const graceHours = opts.graceHours ?? DEFAULT_GRACE_HOURS;
  const newest = newestFirst[0];
  const unreadable = sorted.filter((s) => s.unreadable);
  let safetyStop: string | undefined;
  if (unreadable.length > 0) {
    safetyStop =
      `the manifest of ${unreadable.map((s) => `set ${s.setId}`).join(', ')} could not be read${unreadable[0]?.problem ? ` (${unreadable[0].problem})` : ''}; ` +
      'nothing is deleted on this storage until every manifest reads';
  } else if (newest === undefined) {
    safetyStop = sets.length === 0
      ? 'there are no sets yet; nothing is deleted'
      : 'there is no complete set; nothing is deleted until a backup succeeds';
  } else {
    const ageMs = nowMs - newest.createdAt.getTime();
    if (ageMs > (opts.rpoHours + graceHours) * HOUR_MS) {
      safetyStop =
        `the newest complete set (${newest.setId}) is ${hoursText(ageMs)} h old, older than the RPO of ` +
        `${opts.rpoHours} h (+${graceHours} h grace); nothing is deleted until a new backup succeeds`;
    }
  }

  const incompleteGraceHours = opts.incompleteGraceHours ?? DEFAULT_INCOMPLETE_GRACE_HOURS;
  const keep: Decision[] = [];
  const remove: Decision[] = [];
  const held: Decision[] = [];
  const doubtful: Decision[] = [];
  const days = `${policy.keepDays} day${policy.keepDays === 1 ? '' : 's'}`;
  for (const set of sorted) {
    let reason: string;
    let wantDelete: boolean;
    const ageMs = nowMs - set.createdAt.getTime();
    const insideWindow = dayNumber(civilDate(set.createdAt, tz)) >= firstKeptDay;
    if (set.state === 'complete') {
      const why = reasons.get(set.setId);
      wantDelete = why === undefined;
      reason = why === undefined ? `older than ${days}` : why.join(', ');
    } else if (set.state === 'doubtful') {
      const d: Decision = { setId: set.setId, action: 'keep', reason: `doubtful (${set.problem ?? 'the manifest is not trustworthy'}); never deleted by retention` };
      doubtful.push(d);
      keep.push(d);
      continue;
    } else if (set.state === 'unsigned') {
      wantDelete = !insideWindow;
      reason = wantDelete ? `unsigned, older than ${days}` : `unsigned, inside the ${days} window; not counted as a restore point`;
    } else if (set.leased) {
      wantDelete = false;
      reason = 'incomplete, its backup is still running (fresh lease)';
    } else {
      wantDelete = ageMs > incompleteGraceHours * HOUR_MS;
      reason = wantDelete ? `incomplete (no manifest), older than ${incompleteGraceHours} h` : `incomplete, may still be in progress (younger than ${incompleteGraceHours} h)`;
    }
    if (!wantDelete) {
      keep.push({ setId: set.setId, action: 'keep', reason });
    } else if (set.lockedUntil !== undefined && set.lockedUntil.getTime() > nowMs) {
      held.push({ setId: set.setId, action: 'keep', reason: `${reason}; object lock until ${set.lockedUntil.toISOString()}` });
    } else if (safetyStop !== undefined) {
      keep.push({ setId: set.setId, action: 'keep', reason: `${reason}; kept by the safety stop` });
    } else {
      remove.push({ setId: set.setId, action: 'delete', reason });
    }
  }
  if (doubtful.length > 0) warnings.push(`${doubtful.length} doubtful set(s) kept and not counted as restore points: ${doubtful.map((d) => d.setId).join(', ')}`);

  const result: RetentionPlan = { keep, delete: remove, held, warnings, doubtful };
  if (safetyStop !== undefined) result.safetyStop = safetyStop;
  return result;
}

function weekKey(date: { year: number; month: number; day: number }): string {
  const { year, week } = isoWeek(date);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

function monthKey(year: number, month: number): string {
  return formatCivilDate({ year, month, day: 1 }).slice(0, 7);
}
