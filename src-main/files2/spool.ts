/**
 * Bounded memory for trees of any size: a private temp folder (0700, on the backup host) for
 * what a format-2 backup or restore must keep while it runs, and an external sort that keeps at
 * most one run of items in memory (sorted runs on disk, merged while read back).
 * What lands here is plaintext (paths of the source, file contents being hashed), like the dedup
 * state; it is removed when the job ends. A job that is killed (SIGKILL, power cut) cannot remove
 * its folder: each folder lives under one Cofre-owned 0700 folder of the temp dir and its name
 * carries the owner's pid and process start time, so the next job's open removes the folders
 * whose owner is gone, and never one of a job still running.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CofreError } from '../errors.js';
import { isAlive } from '../util/process.js';

/** `<label>.<pid>.<start>.<random>`: the owner of a spool folder, in its name (mkdtemp makes it atomically). */
const SPOOL_NAME = /^([a-z0-9-]+)\.(\d+)\.([0-9]+|x)\.[A-Za-z0-9]{6}$/;

/** The Cofre-owned folder the spools live in: `<tmp>/cofre-<uid>` (one per user of the machine). */
export function spoolRoot(base: string = tmpdir()): string {
  return join(base, `cofre-${process.getuid?.() ?? 'user'}`);
}

/** When a process started (Linux: clock ticks since boot, /proc/<pid>/stat field 22); 'x' when unknown. */
export function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return start && /^\d+$/.test(start) ? start : 'x';
  } catch {
    return 'x';
  }
}


/** A spool folder whose owner is gone: its pid is not running, or runs another process (same pid, other start). */
export function isStaleSpool(name: string): boolean {
  const m = SPOOL_NAME.exec(name);
  if (!m) return false; // not a spool folder: never touched
  const pid = Number(m[2]);
  const start = m[3] ?? 'x';
  if (!isAlive(pid)) return true;
  if (start === 'x') return false;
  const now = processStart(pid);
  return now !== 'x' && now !== start;
}

/** The spool root, made 0700 and checked to be this user's own folder (not a link someone planted). */
async function ownedRoot(root: string): Promise<string> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const st = await lstat(root);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new CofreError('PRECONDITION', `${root} is not a folder of this user: Cofre keeps private temporary files there`, {
      hint: `remove ${root} (or point TMPDIR at a private folder) and run again`,
    });
  }
  if ((st.mode & 0o077) !== 0) await chmod(root, 0o700);
  return root;
}

/** Removes the spool folders of jobs that are gone (killed before they could clean up); returns how many. */
export async function removeStaleSpools(root: string = spoolRoot()): Promise<number> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!isStaleSpool(name)) continue;
    await rm(join(root, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

export class Spool {
  private constructor(readonly dir: string) {}

  /** A new private folder for one job; first removes the folders of jobs that are gone. */
  static async open(label: string, root: string = spoolRoot()): Promise<Spool> {
    await ownedRoot(root);
    await removeStaleSpools(root);
    return new Spool(await mkdtemp(join(root, `${label}.${process.pid}.${processStart(process.pid)}.`)));
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
 * Items that fit in one run are never written: the run stays in memory (no more than a full run
 * would hold while it fills), and each `read()` goes over it, without a write and two reads back.
 */
export class ExternalSort<T> {
  private buffer: T[] = [];
  /** the only run, sorted, when every item fit in it */
  private held: T[] | undefined;
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
    if (this.runs.length === 0) {
      this.held = this.sorted(this.buffer);
      this.buffer = [];
    } else if (this.buffer.length > 0) {
      await this.spill();
    }
  }

  private sorted(items: T[]): T[] {
    const key = this.key;
    return items.sort((a, b) => { const ka = key(a); const kb = key(b); return ka < kb ? -1 : ka > kb ? 1 : 0; });
  }

  private async spill(): Promise<void> {
    const items = this.sorted(this.buffer);
    this.buffer = [];
    const file = this.spool.file(`${this.name}.run${this.runs.length}`);
    this.runs.push(file);
    let text = '';
    for (const it of items) text += `${JSON.stringify(it)}\n`;
    await writeFile(file, text, { mode: 0o600 });
  }

  /** Every item, in key order. */
  async *read(): AsyncGenerator<T> {
    if (this.held) {
      yield* this.held;
      return;
    }
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
