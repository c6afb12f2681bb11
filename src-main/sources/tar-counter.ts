/**
 * Counts entries and regular-file bytes of a tar stream as it passes (ustar, pax and GNU long
 * names), so the manifest records exactly what the archive holds and a restore can be checked
 * against it. Passes every byte through unchanged.
 */
import { Transform, type TransformCallback } from 'node:stream';

const BLOCK = 512;

export interface TarCounts {
  entries: number;
  fileBytes: number;
}

export class TarCounter extends Transform {
  readonly counts: TarCounts = { entries: 0, fileBytes: 0 };
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** bytes of entry data (padded) still to skip */
  private skip = 0;
  /** pax extended header being collected, if any */
  private pax: Buffer[] | undefined;
  private paxLeft = 0;
  private paxSize: number | undefined;
  private ended = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.scan(chunk);
    cb(null, chunk);
  }

  private scan(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && !this.ended) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        if (this.pax && this.paxLeft > 0) {
          const take = Math.min(n, this.paxLeft);
          this.pax.push(chunk.subarray(i, i + take));
          this.paxLeft -= take;
        }
        this.skip -= n;
        i += n;
        if (this.skip === 0 && this.pax) this.finishPax();
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, chunk.length - i);
      chunk.copy(this.header, this.headerFill, i, i + n);
      this.headerFill += n;
      i += n;
      if (this.headerFill === BLOCK) {
        this.headerFill = 0;
        this.onHeader(this.header);
      }
    }
  }

  private onHeader(h: Buffer): void {
    if (h.every((b) => b === 0)) return; // end-of-archive blocks
    const type = String.fromCharCode(h[156] ?? 48);
    const size = this.paxSize ?? parseSize(h.subarray(124, 136));
    this.paxSize = undefined;
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      this.pax = [];
      this.paxLeft = size;
      this.skip = padded;
      if (padded === 0) this.finishPax();
      return;
    }
    if (type === 'g' || type === 'L' || type === 'K') {
      this.skip = padded;
      return;
    }
    this.counts.entries += 1;
    // regular files ('0', NUL, contiguous '7') carry data; hard links ('1') and others do not
    if (type === '0' || type === '\0' || type === '7') {
      this.counts.fileBytes += size;
      this.skip = padded;
    } else {
      this.skip = type === '1' || type === '2' || type === '3' || type === '4' || type === '5' || type === '6' ? 0 : padded;
    }
  }

  private finishPax(): void {
    const text = Buffer.concat(this.pax ?? []).toString('utf8');
    this.pax = undefined;
    const m = /(?:^|\n)\d+ size=(\d+)\n/.exec(text);
    if (m?.[1]) this.paxSize = Number(m[1]);
  }
}

function parseSize(field: Buffer): number {
  // base-256 for sizes over 8 GiB in GNU format
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let v = 0;
    for (let i = 1; i < field.length; i++) v = v * 256 + (field[i] ?? 0);
    return v;
  }
  const s = field.toString('ascii').replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}
