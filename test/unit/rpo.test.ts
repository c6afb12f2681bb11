import { describe, it, expect } from 'vitest';
import { rpoState } from '../../src-main/status/rpo.js';
import { alertFailures } from '../../src-main/status/status.js';
import type { EventRecord } from '../../src-main/catalog/catalog.js';

const now = new Date('2026-11-25T12:00:00Z');
const hoursAgo = (h: number): Date => new Date(now.getTime() - h * 3_600_000);

describe('rpoState', () => {
  it('ok within RPO + grace, late after it, late with no set, failing after a failed run whatever the age', () => {
    expect(rpoState({ now, rpoHours: 24, graceHours: 2, lastGoodAt: hoursAgo(25.9), lastRunStatus: 'succeeded' }).state).toBe('ok');
    expect(rpoState({ now, rpoHours: 24, graceHours: 2, lastGoodAt: hoursAgo(26.1), lastRunStatus: 'succeeded' })).toMatchObject({ state: 'late', reason: expect.stringMatching(/older than the RPO of 24 h/) as unknown });
    expect(rpoState({ now, rpoHours: 24, graceHours: 2 })).toMatchObject({ state: 'late', reason: 'no complete backup set exists yet' });
    expect(rpoState({ now, rpoHours: 24, graceHours: 2, lastGoodAt: hoursAgo(1), lastRunStatus: 'failed' }).state).toBe('failing');
    expect(rpoState({ now, rpoHours: 24, graceHours: 2, lastGoodAt: hoursAgo(1), lastRunStatus: 'cancelled' }).state).toBe('failing');
  });
  it('a doubtful newest set makes the plan failing even when the run succeeded and a good set is recent', () => {
    const v = rpoState({ now, rpoHours: 24, graceHours: 2, lastGoodAt: hoursAgo(20), lastRunStatus: 'succeeded', newestDoubtful: { setId: '20261125T050000Z-abcdef' } });
    expect(v).toMatchObject({ state: 'failing', reason: expect.stringContaining('the newest set 20261125T050000Z-abcdef is doubtful') as unknown });
  });
});

describe('alertFailures', () => {
  const ev = (id: number, channel: string, ok: boolean): EventRecord => ({ id, at: `2026-11-25T12:00:${String(id).padStart(2, '0')}Z`, kind: 'backup_failed', plan: 'diario', channel, ok, message: '', error: ok ? null : `${channel} down` });
  it('reports failures since each channel last delivered, newest first', () => {
    // newest first: email failed twice after a success; webhook failed once, then delivered
    const events = [ev(6, 'email', false), ev(5, 'webhook', true), ev(4, 'email', false), ev(3, 'webhook', false), ev(2, 'email', true), ev(1, 'email', false)];
    expect(alertFailures(events).map((f) => [f.channel, f.at.slice(-3)])).toEqual([['email', '06Z'], ['email', '04Z']]);
    expect(alertFailures([ev(2, 'email', true), ev(1, 'email', false)])).toEqual([]);
  });
});

describe('a new plan', () => {
  it('is not late before its first RPO has passed since the scheduler first saw it, then is', () => {
    const now = new Date('2026-11-25T12:00:00Z');
    expect(rpoState({ now, rpoHours: 24, graceHours: 2, watchedSince: new Date('2026-11-25T03:00:00Z') }).state).toBe('unknown');
    expect(rpoState({ now, rpoHours: 24, graceHours: 2, watchedSince: new Date('2026-11-23T03:00:00Z') }).state).toBe('late');
    expect(rpoState({ now, rpoHours: 24, graceHours: 2 }).state).toBe('late');
  });
});
