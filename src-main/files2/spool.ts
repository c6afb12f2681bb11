/**
 * Bounded memory for trees of any size: a private temp folder (0700, on the backup host) for
 * what a format-2 backup or restore must keep while it runs, and an external sort that keeps at
 * most one run of items in memory (sorted runs on disk, merged while read back).
 * What lands here is plaintext (paths of the source), like the dedup state; it is removed when
 * the job ends.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export class Spool {
  private constructor(readonly dir: string) {}

  static async open(label: string): Promise<Spool> {
    return new Spool(await mkdtemp(join(tmpdir(), `cofre-${label}-`)));
  }

  file(name: string): string {
    return join(this.dir, name);
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Items per sorted run: bounds the memory of the sort (a listing entry is ≈ 0.5 KB in memory). */
export const SORT_RUN_ITEMS = 32768;

/** Reads a file of newline-terminated lines. */
export async function* readLines(file: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(file, { highWaterMark: 256 * 1024 }), crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } finally {
    rl.close();
  }
}

/**
 * Sorts items (JSON-serialisable) by a string key with at most `runItems` of them in memory:
 * each full run is sorted and written to the spool; `read()` merges the runs, and can be called
 * again (each call reads the runs anew). Order: JS string order of the key, as Array.sort.
 */
export class ExternalSort<T> {
  private buffer: T[] = [];
  private readonly runs: string[] = [];
  count = 0;

  constructor(
    private readonly spool: Spool,
    private readonly name: string,
    private readonly key: (item: T) => string,
    private readonly runItems = SORT_RUN_ITEMS,
  ) {}

  /** Adds one item; resolves once a full run (if this one completed it) is on disk. */
  async add(item: T): Promise<void> {
    this.buffer.push(item);
    this.count++;
    if (this.buffer.length >= this.runItems) await this.spill();
  }

  /** Writes the last run; call once, after the last add. */
  async finish(): Promise<void> {
    if (this.buffer.length > 0) await this.spill();
  }

  private async spill(): Promise<void> {
    const items = this.buffer;
    this.buffer = [];
    const key = this.key;
    items.sort((a, b) => { const ka = key(a); const kb = key(b); return ka < kb ? -1 : ka > kb ? 1 : 0; });
    const file = this.spool.file(`${this.name}.run${this.runs.length}`);
    this.runs.push(file);
    let text = '';
    for (const it of items) text += `${JSON.stringify(it)}\n`;
    await writeFile(file, text, { mode: 0o600 });
  }

  /** Every item, in key order. */
  async *read(): AsyncGenerator<T> {
    const heads = this.runs.map((file) => ({ lines: readLines(file), item: undefined as T | undefined, key: '' }));
    try {
      const advance = async (h: (typeof heads)[number]): Promise<void> => {
        const next = await h.lines.next();
        h.item = next.done ? undefined : (JSON.parse(next.value) as T);
        h.key = h.item === undefined ? '' : this.key(h.item);
      };
      for (const h of heads) await advance(h);
      for (;;) {
        let min: (typeof heads)[number] | undefined;
        for (const h of heads) {
          if (h.item !== undefined && (min === undefined || h.key < min.key)) min = h;
        }
        if (!min || min.item === undefined) return;
        yield min.item;
        await advance(min);
      }
    } finally {
      for (const h of heads) await h.lines.return(undefined);
    }
  }
}
