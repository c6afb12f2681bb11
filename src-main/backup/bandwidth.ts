/**
 * A plan's bandwidth limit (`bandwidth: 20MiB/s`, or `{ limit: 20MiB/s, window: "07:00-19:00" }`):
 * token buckets that slow the SSH read and the upload of a backup run.
 *
 * Choice: one bucket per direction per run, each at the limit. Every SSH read of the run (dumps,
 * the files tar) draws from the read bucket; every upload (dump objects, packs, indexes) from the
 * upload bucket. So neither the clinic's link (the SSH read) nor the uplink to storage (the
 * upload) carries more than the limit, whatever the number of streams; one bucket for both would
 * halve the throughput, since each byte is read once and uploaded once.
 *
 * With a window, the limit holds only between its start and end in the plan's time zone (the
 * clinic's): outside it the run is unlimited. A run crossing the window's edge changes pace.
 */
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import type { Storage } from '../storage/types.js';
import type { PlanConfig } from '../config/schema.js';
import type { ProgressListener } from '../util/progress.js';
import { formatRate } from '../../shared/format.js';

/** The accepted forms, for messages. */
export const RATE_FORMS = '"20MiB/s", "5 MB/s", "500KiB/s", "50Mbit/s" (or "50Mbps"), or { limit: 20MiB/s, window: "07:00-19:00" }';

const PREFIX: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
const MIN_BYTES_PER_SECOND = 1024;

/** Bytes per second of a rate such as `20MiB/s`, `5 MB/s`, `50Mbit/s`, `50Mbps`; undefined when it cannot parse. */
export function parseRate(text: string): number | undefined {
  const m = /^\s*(\d+(?:[.,]\d+)?)\s*(k|K|M|G|Ki|Mi|Gi)?(B\/s|bit\/s|bps)\s*$/.exec(text);
  if (!m?.[1] || !m[3]) return undefined;
  const n = Number(m[1].replace(',', '.')) * (PREFIX[m[2] ?? ''] ?? 1);
  const bytes = m[3] === 'B/s' ? n : n / 8;
  return Number.isFinite(bytes) && bytes >= MIN_BYTES_PER_SECOND ? Math.round(bytes) : undefined;
}

export interface DailyWindow {
  /** minutes after local midnight */
  start: number;
  end: number;
  text: string;
}

/** `"07:00-19:00"` (a window may cross midnight: `"22:00-06:00"`); undefined when it cannot parse. */
export function parseWindow(text: string): DailyWindow | undefined {
  const m = /^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$/.exec(text);
  if (!m) return undefined;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  return start === end ? undefined : { start, end, text: text.trim() };
}

export function inWindow(w: DailyWindow, minuteOfDay: number): boolean {
  return w.start < w.end ? minuteOfDay >= w.start && minuteOfDay < w.end : minuteOfDay >= w.start || minuteOfDay < w.end;
}

/** Minutes after midnight of `ms` in `timeZone`. */
export function localMinute(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

export type BandwidthConfig = NonNullable<PlanConfig['bandwidth']>;

export interface BandwidthSpec {
  bytesPerSecond: number;
  window?: DailyWindow;
  timeZone: string;
}

/** The plan's limit, or undefined without one. The schema has already checked that it parses. */
export function bandwidthSpec(plan: Pick<PlanConfig, 'bandwidth' | 'timezone'>): BandwidthSpec | undefined {
  const b = plan.bandwidth;
  if (b === undefined) return undefined;
  const rate = parseRate(typeof b === 'string' ? b : b.limit);
  if (rate === undefined) return undefined;
  const window = typeof b === 'string' || b.window === undefined ? undefined : parseWindow(b.window);
  return { bytesPerSecond: rate, ...(window ? { window } : {}), timeZone: plan.timezone };
}

/**
 * A token bucket in "debt" form: `take` always succeeds and says how long the caller must wait
 * before the bytes may pass (the bucket may go negative; the debt is paid back at the rate).
 * Several streams sharing one bucket together stay under the rate.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly bytesPerSecond: number,
    private readonly now: () => number,
    /** bytes that may pass at once after an idle moment */
    readonly burstBytes = Math.max(64 * 1024, Math.round(bytesPerSecond / 10)),
  ) {
    this.tokens = burstBytes;
    this.last = now();
  }

  /** Takes `n` bytes; returns the milliseconds to wait before they pass (0: at once). */
  take(n: number): number {
    const t = this.now();
    this.tokens = Math.min(this.burstBytes, this.tokens + ((t - this.last) * this.bytesPerSecond) / 1000);
    this.last = t;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.bytesPerSecond);
  }

  /** Forgets any debt and refills (used when the window opens again). */
  reset(): void {
    this.tokens = this.burstBytes;
    this.last = this.now();
  }
}

export type Direction = 'read' | 'upload';

/** How often the window is looked up in the time zone (it changes at a minute's edge). */
const WINDOW_RECHECK_MS = 5_000;

/** One run's limit: a bucket per direction and the daytime window. */
export class BandwidthLimiter {
  private readonly buckets: Record<Direction, TokenBucket>;
  private windowCheckedAt = Number.NEGATIVE_INFINITY;
  private wasActive = true;
  private activeNow = true;

  constructor(readonly spec: BandwidthSpec, private readonly now: () => number = Date.now) {
    this.buckets = { read: new TokenBucket(spec.bytesPerSecond, now), upload: new TokenBucket(spec.bytesPerSecond, now) };
  }

  /** Whether the limit holds now (always, without a window). */
  active(): boolean {
    const w = this.spec.window;
    if (!w) return true;
    const t = this.now();
    if (t - this.windowCheckedAt >= WINDOW_RECHECK_MS) {
      this.windowCheckedAt = t;
      this.activeNow = inWindow(w, localMinute(t, this.spec.timeZone));
    }
    return this.activeNow;
  }

  /** Milliseconds to wait before `n` bytes pass in `direction` (0 outside the window). */
  delay(direction: Direction, n: number): number {
    const on = this.active();
    if (on && !this.wasActive) {
      this.buckets.read.reset();
      this.buckets.upload.reset();
    }
    this.wasActive = on;
    return on ? this.buckets[direction].take(n) : 0;
  }

  /** A pass-through stream that holds each chunk as long as the limit asks. */
  throttle(direction: Direction): Transform {
    return new Throttle(this, direction);
  }

  /** `source` read through the limit; an error of `source` reaches the returned stream. */
  limit(source: Readable, direction: Direction): Readable {
    return pipeline(source, this.throttle(direction), () => undefined);
  }

  /** "20 MB/s" (1 MB = 1024 KB, as everywhere in Cofre). */
  rateText(): string {
    return formatRate(this.spec.bytesPerSecond, 'en');
  }

  /** "20 MB/s" / "20 MB/s, 07:00-19:00 America/Sao_Paulo". */
  describe(): string {
    const w = this.spec.window;
    return `${this.rateText()}${w ? `, ${w.text} ${this.spec.timeZone}` : ''}`;
  }
}

class Throttle extends Transform {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly limiter: BandwidthLimiter, private readonly direction: Direction) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const wait = this.limiter.delay(this.direction, chunk.length);
    if (wait <= 0) {
      cb(null, chunk);
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      cb(null, chunk);
    }, wait);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    cb(err);
  }
}

/** `storage` whose uploads (`put`) pass through the limit; every other call is the storage's own. */
export function limitUploads(storage: Storage, limiter: BandwidthLimiter): Storage {
  return new Proxy(storage, {
    get(target, prop) {
      if (prop === 'put') {
        const put: Storage['put'] = (key, body, opts) => target.put(key, limiter.limit(body, 'upload'), opts);
        return put;
      }
      // the storage itself as `this` (getters and methods may use private fields)
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Progress reports that say the limit while it holds (`limitBytesPerSecond`). */
export function progressWithLimit(listener: ProgressListener | undefined, limiter: BandwidthLimiter | undefined): ProgressListener | undefined {
  if (!listener || !limiter) return listener;
  return (p) => listener(limiter.active() ? { ...p, limitBytesPerSecond: limiter.spec.bytesPerSecond } : p);
}
