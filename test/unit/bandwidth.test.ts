/**
 * The bandwidth limit's arithmetic with an injected clock (no real time, no timed assertions):
 * rate parsing, the daily window in the plan's time zone, and the token bucket's waits.
 */
import { describe, it, expect } from 'vitest';
import { BandwidthLimiter, TokenBucket, bandwidthSpec, inWindow, localMinute, parseRate, parseWindow } from '../../src-main/backup/bandwidth.js';

const MiB = 1024 * 1024;

describe('parseRate', () => {
  it('reads bytes and bits, decimal and binary prefixes', () => {
    expect(parseRate('20MiB/s')).toBe(20 * MiB);
    expect(parseRate('5 MB/s')).toBe(5_000_000);
    expect(parseRate('500KiB/s')).toBe(500 * 1024);
    expect(parseRate('50Mbit/s')).toBe(6_250_000);
    expect(parseRate('50Mbps')).toBe(6_250_000);
    expect(parseRate('1,5 MiB/s')).toBe(1.5 * MiB);
    expect(parseRate('2GiB/s')).toBe(2 * 1024 * MiB);
  });
  it('refuses what it cannot read, and rates too small to be meant', () => {
    for (const bad of ['20', '20MiB', 'fast', '20 mib/s', '-5MB/s', '0MB/s', '100B/s', '20 MiB/min', '']) expect(parseRate(bad), bad).toBeUndefined();
  });
});

describe('daily window', () => {
  it('parses HH:MM-HH:MM and knows which minutes are inside, across midnight too', () => {
    const day = parseWindow('07:00-19:00');
    expect(day).toMatchObject({ start: 420, end: 1140 });
    expect(day && inWindow(day, 7 * 60)).toBe(true);
    expect(day && inWindow(day, 19 * 60)).toBe(false);
    expect(day && inWindow(day, 3 * 60)).toBe(false);
    const night = parseWindow('22:00-06:00');
    expect(night && inWindow(night, 23 * 60)).toBe(true);
    expect(night && inWindow(night, 5 * 60 + 59)).toBe(true);
    expect(night && inWindow(night, 12 * 60)).toBe(false);
    for (const bad of ['7-19', '07:00', '25:00-01:00', '07:00-07:00', 'dia']) expect(parseWindow(bad), bad).toBeUndefined();
  });
  it('reads the minute of day in the plan time zone', () => {
    // 2026-12-02T12:30Z is 09:30 in São Paulo (UTC-3)
    expect(localMinute(Date.parse('2026-12-02T12:30:00Z'), 'America/Sao_Paulo')).toBe(9 * 60 + 30);
  });
});

describe('TokenBucket (injected clock)', () => {
  it('lets a burst through, then spaces bytes at the rate', () => {
    let t = 0;
    const b = new TokenBucket(1 * MiB, () => t, 64 * 1024);
    expect(b.take(64 * 1024)).toBe(0); // the burst
    expect(b.take(MiB)).toBe(1000); // a second's worth of debt
    t += 1000;
    expect(b.take(512 * 1024)).toBe(500);
  });
  it('over a long transfer, waits add up to bytes ÷ rate', () => {
    let t = 0;
    const rate = 20 * MiB;
    const b = new TokenBucket(rate, () => t);
    const chunk = 64 * 1024;
    const total = 200 * MiB;
    for (let sent = 0; sent < total; sent += chunk) t += b.take(chunk); // a caller that waits exactly as told
    const expected = ((total - b.burstBytes) / rate) * 1000;
    expect(Math.abs(t - expected)).toBeLessThanOrEqual(total / chunk); // ≤ 1 ms of rounding per chunk
  });
  it('two streams on one bucket share the rate', () => {
    const t = 0;
    const b = new TokenBucket(MiB, () => t, 0);
    expect(b.take(MiB)).toBe(1000);
    expect(b.take(MiB)).toBe(2000); // the second waits behind the first
  });
});

describe('BandwidthLimiter', () => {
  it('limits inside the window and not outside it; directions are separate', () => {
    let t = Date.parse('2026-12-02T12:00:00Z'); // 09:00 in São Paulo
    const spec = bandwidthSpec({ bandwidth: { limit: '1MiB/s', window: '07:00-19:00' }, timezone: 'America/Sao_Paulo' });
    expect(spec).toMatchObject({ bytesPerSecond: MiB, window: { text: '07:00-19:00' } });
    const l = new BandwidthLimiter(spec!, () => t);
    expect(l.active()).toBe(true);
    expect(l.delay('read', 2 * MiB)).toBeGreaterThan(0);
    expect(l.delay('upload', 64 * 1024)).toBe(0); // its own bucket
    t = Date.parse('2026-12-02T23:00:00Z'); // 20:00 there
    expect(l.active()).toBe(false);
    expect(l.delay('read', 100 * MiB)).toBe(0);
    t = Date.parse('2026-12-03T11:00:00Z'); // 08:00 the next day: limited again, the old debt forgotten
    expect(l.delay('read', 64 * 1024)).toBe(0);
    expect(l.delay('read', MiB)).toBeGreaterThan(0);
  });
  it('without a window it always holds; a plain string is a limit', () => {
    const spec = bandwidthSpec({ bandwidth: '50Mbit/s', timezone: 'America/Sao_Paulo' });
    expect(spec).toEqual({ bytesPerSecond: 6_250_000, timeZone: 'America/Sao_Paulo' });
    expect(new BandwidthLimiter(spec!, () => 0).active()).toBe(true);
    expect(bandwidthSpec({ timezone: 'UTC' })).toBeUndefined();
  });
});
