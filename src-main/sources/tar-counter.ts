/**
 * Counts entries and regular-file bytes of a tar stream as it passes (ustar, pax and GNU long
 * names), so the manifest records exactly what the archive holds and a restore can be checked
 * against it. Passes every byte through unchanged. With `collectRoots` it also keeps the
 * archive's top-level member paths (the entries no other entry contains: the paths tar was
 * given), in memory only — a production restore's safety copy needs them, the manifest never
 * holds file names.
 */
import { Transform, type TransformCallback } from 'node:stream';

const BLOCK = 512;

export interface TarCounts {
  entries: number;
  fileBytes: number;
}

/** More top-level paths than this is not an archive Cofre made: the roots are then not trusted. */
const MAX_ROOTS = 10_000;

export class TarCounter extends Transform {
  readonly counts: TarCounts = { entries: 0, fileBytes: 0 };
  /** top-level member paths, without leading `/` or `./` and trailing `/` (with `collectRoots`) */
  readonly roots: string[] = [];
  /** set when the archive had more than MAX_ROOTS top-level paths */
  rootsOverflow = false;
  private readonly collectRoots: boolean;
  /** GNU long name ('L') being collected for the next entry */
  private longName: Buffer[] | undefined;
  private longLeft = 0;
  private nextName: string | undefined;
  private paxPath: string | undefined;

  constructor(opts: { collectRoots?: boolean } = {}) {
    super();
    this.collectRoots = opts.collectRoots ?? false;
  }
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
        if (this.longName && this.longLeft > 0) {
          const take = Math.min(n, this.longLeft);
          this.longName.push(Buffer.from(chunk.subarray(i, i + take)));
          this.longLeft -= take;
        }
        this.skip -= n;
        i += n;
        if (this.skip === 0 && this.pax) this.finishPax();
        if (this.skip === 0 && this.longName) this.finishLongName();
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
    if (type === 'L' && this.collectRoots) {
      this.longName = [];
      this.longLeft = size;
      this.skip = padded;
      if (padded === 0) this.finishLongName();
      return;
    }
    if (type === 'g' || type === 'L' || type === 'K') {
      this.skip = padded;
      return;
    }
    this.counts.entries += 1;
    if (this.collectRoots) this.addRoot(this.paxPath ?? this.nextName ?? ustarName(h));
    this.paxPath = undefined;
    this.nextName = undefined;
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
    const p = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text);
    if (p?.[1] !== undefined) this.paxPath = p[1];
  }

  private finishLongName(): void {
    this.nextName = Buffer.concat(this.longName ?? []).toString('utf8').replace(/\0.*$/s, '');
    this.longName = undefined;
  }

  private addRoot(raw: string): void {
    const path = normalizeMember(raw);
    if (path === '') return;
    // tar lists a folder before its contents: the last root usually contains the next entry
    for (let k = this.roots.length - 1; k >= 0; k--) {
      const r = this.roots[k] ?? '';
      if (path === r || path.startsWith(`${r}/`)) return;
    }
    if (this.roots.length >= MAX_ROOTS) {
      this.rootsOverflow = true;
      return;
    }
    this.roots.push(path);
  }
}

/** `./a/b/` → `a/b`; `/a` → `a` (tar strips leading slashes on extraction too). */
export function normalizeMember(name: string): string {
  return name.replace(/^(?:\.?\/)+/, '').replace(/\/+$/, '');
}

function ustarName(h: Buffer): string {
  const name = cString(h.subarray(0, 100));
  // POSIX ustar ("ustar\0") has a prefix field; GNU ("ustar  ") keeps times there
  if (h.subarray(257, 263).toString('latin1') !== 'ustar\0') return name;
  const prefix = cString(h.subarray(345, 500));
  return prefix ? `${prefix}/${name}` : name;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end === -1 ? b.length : end).toString('utf8');
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
