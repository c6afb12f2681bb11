/** The RPO state of a plan, from its last runs and its newest complete set. Pure. */
import type { RpoState } from '../../shared/domain.js';

export interface RpoInput {
  now: Date;
  rpoHours: number;
  graceHours: number;
  /** creation time of the newest complete set, if any */
  lastGoodAt?: Date | undefined;
  /** status of the most recent finished backup run, if any */
  lastRunStatus?: 'succeeded' | 'failed' | 'cancelled' | undefined;
  /** when the scheduler first saw the plan: a new plan is not late before its first RPO has passed */
  watchedSince?: Date | undefined;
  /** the plan's newest set (newer than the newest complete one) is doubtful: the last backup cannot be trusted */
  newestDoubtful?: { setId: string } | undefined;
}

export interface RpoVerdict {
  state: RpoState;
  ageMs?: number;
  reason: string;
}

export function rpoState(i: RpoInput): RpoVerdict {
  const ageMs = i.lastGoodAt ? i.now.getTime() - i.lastGoodAt.getTime() : undefined;
  const limitMs = (i.rpoHours + i.graceHours) * 3_600_000;
  if (i.lastRunStatus === 'failed' || i.lastRunStatus === 'cancelled') {
    return { state: 'failing', ...(ageMs === undefined ? {} : { ageMs }), reason: 'the last backup run failed' };
  }
  if (i.newestDoubtful) {
    return { state: 'failing', ...(ageMs === undefined ? {} : { ageMs }), reason: `the newest set ${i.newestDoubtful.setId} is doubtful (its manifest cannot be trusted); it is not a restore point` };
  }
  if (ageMs === undefined) {
    if (i.watchedSince && i.now.getTime() - i.watchedSince.getTime() <= limitMs) {
      return { state: 'unknown', reason: 'new plan: no backup yet; its first scheduled run is pending' };
    }
    return { state: 'late', reason: 'no complete backup set exists yet' };
  }
  if (ageMs > limitMs) {
    return { state: 'late', ageMs, reason: `the newest complete set is older than the RPO of ${i.rpoHours} h (+${i.graceHours} h grace)` };
  }
  return { state: 'ok', ageMs, reason: `the newest complete set is within the RPO of ${i.rpoHours} h` };
}
