/**
 * Measures a byte stream for progress reports: bytes so far, a smoothed rate and an ETA when
 * the expected total is known (e.g. the same source's size in the previous set).
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Progress } from '../../shared/domain.js';

/** ETA in seconds from bytes done, total and rate; undefined when it cannot be known. */
export function etaSeconds(done: number, total: number | undefined, bytesPerSecond: number): number | undefined {
  if (total === undefined || bytesPerSecond <= 0 || done > total) return undefined;
  return Math.round((total - done) / bytesPerSecond);
}

export type ProgressListener = (p: Progress) => void;

export class ByteMeter extends Transform {
  bytes = 0;
  private readonly startedAt = Date.now();
  private lastEmit = 0;
  private windowStart = Date.now();
  private windowBytes = 0;
  private rate = 0;

  constructor(
    private readonly phase: string,
    private readonly listener: ProgressListener | undefined,
    private readonly opts: { source?: string; totalBytes?: number | undefined; base?: number; intervalMs?: number } = {},
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.windowBytes += chunk.length;
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      const instant = (this.windowBytes * 1000) / (now - this.windowStart);
      this.rate = this.rate === 0 ? instant : this.rate * 0.7 + instant * 0.3;
      this.windowStart = now;
      this.windowBytes = 0;
    }
    if (this.listener && now - this.lastEmit >= (this.opts.intervalMs ?? 500)) {
      this.lastEmit = now;
      this.listener(this.snapshot());
    }
    cb(null, chunk);
  }

  averageRate(): number {
    const s = (Date.now() - this.startedAt) / 1000;
    return s > 0 ? this.bytes / s : 0;
  }

  snapshot(): Progress {
    const done = (this.opts.base ?? 0) + this.bytes;
    const rate = this.rate || this.averageRate();
    const eta = etaSeconds(done, this.opts.totalBytes, rate);
    return {
      phase: this.phase,
      ...(this.opts.source ? { source: this.opts.source } : {}),
      bytes: done,
      ...(this.opts.totalBytes !== undefined ? { totalBytes: this.opts.totalBytes } : {}),
      bytesPerSecond: Math.round(rate),
      ...(eta !== undefined ? { etaSeconds: eta } : {}),
    };
  }
}
