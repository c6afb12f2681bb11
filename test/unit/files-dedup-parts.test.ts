/**
 * The pure parts of issue 15's dedup state: when a full re-read is due, and the sealed per-pack
 * content-id lists (openable only with the content key that sealed them, bound to their pack).
 */
import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { fullReadDecision, fullReadPeriodMs } from '../../src-main/files2/full-read.js';
import { openPackIds, sealPackIds, type PackIds } from '../../src-main/files2/pack-ids.js';

const DAY = 86_400_000;

describe('fullReadEvery', () => {
  it('parses periods; never/0 turn it off; anything else is refused with what to write', () => {
    expect(fullReadPeriodMs(undefined)).toBe(30 * DAY);
    expect(fullReadPeriodMs('2w')).toBe(14 * DAY);
    expect(fullReadPeriodMs('12h')).toBe(12 * 3_600_000);
    expect(fullReadPeriodMs('never')).toBe(0);
    expect(fullReadPeriodMs(0)).toBe(0);
    expect(() => fullReadPeriodMs('monthly')).toThrow(/fullReadEvery "monthly" is not a period/);
    expect(() => fullReadPeriodMs('30')).toThrow(/not a period/);
  });

  it('is due on a first listing, when never recorded, and once the period passed; not before, not when off', () => {
    const now = new Date('2026-12-02T04:00:00Z');
    const base = { periodMs: 30 * DAY, now, every: '30d' };
    expect(fullReadDecision({ ...base, hasListing: false, last: undefined })).toMatchObject({ due: true, reason: 'first' });
    expect(fullReadDecision({ ...base, hasListing: true, last: undefined })).toMatchObject({ due: true, reason: 'never-recorded' });
    expect(fullReadDecision({ ...base, hasListing: true, last: new Date(now.getTime() - 30 * DAY) })).toMatchObject({ due: true, reason: 'period' });
    expect(fullReadDecision({ ...base, hasListing: true, last: new Date(now.getTime() - 29 * DAY) }).due).toBe(false);
    expect(fullReadDecision({ ...base, periodMs: 0, every: 'never', hasListing: true, last: undefined }).due).toBe(false);
    // off still reads everything when there is no listing to compare with
    expect(fullReadDecision({ ...base, periodMs: 0, every: 'never', hasListing: false, last: undefined }).due).toBe(true);
  });
});

describe('sealed pack id lists', () => {
  const key = randomBytes(32);
  const ids: PackIds = {
    pack: `${'a'.repeat(32)}.tar.zst.age`, bytes: 1234, sha256: 'b'.repeat(64),
    contents: [{ cid: 'c'.repeat(64), size: 10 }, { cid: 'd'.repeat(64), size: 0 }],
  };

  it('opens with the same key and pack; reveals no id or size in the sealed bytes', () => {
    const sealed = sealPackIds(key, ids);
    expect(openPackIds(key, ids.pack, sealed)).toEqual(ids);
    expect(sealed.toString('latin1')).not.toContain('c'.repeat(16));
    expect(sealed.toString('latin1')).not.toContain('cofre-pack-ids');
  });

  it('another key, another pack name or one altered byte: not opened (content is uploaded again, never trusted)', () => {
    const sealed = sealPackIds(key, ids);
    expect(openPackIds(randomBytes(32), ids.pack, sealed)).toBeUndefined();
    expect(openPackIds(key, `${'e'.repeat(32)}.tar.zst.age`, sealed)).toBeUndefined();
    const altered = Buffer.from(sealed);
    altered[20] = (altered[20] ?? 0) ^ 1;
    expect(openPackIds(key, ids.pack, altered)).toBeUndefined();
    expect(openPackIds(key, ids.pack, Buffer.from('nonsense'))).toBeUndefined();
  });
});
