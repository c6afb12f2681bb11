/**
 * Change detection without an agent, step 1: the server lists the tree with GNU find, one record
 * of NUL-terminated fields per entry (path, type, size, mtime, inode, device, ctime, mode,
 * uid, gid, owner, group, symlink target, link count, sparseness). Excludes keep their format-1
 * (tar `--exclude`) meaning: a pattern without `/` matches any name at any depth (and prunes a
 * folder); a pattern with `/` matches the end of a path.
 */
import type { FilesSourceConfig } from '../config/schema.js';
import type { RemoteHost } from '../remote/types.js';
import { shJoin, shq } from '../remote/shell.js';
import { CofreError } from '../errors.js';
import { lastLines } from '../sources/postgres.js';
import { ExternalSort, type Spool } from './spool.js';

export interface ListedEntry {
  path: string;
  /** find's %y: f d l s p c b (D door) */
  kind: string;
  size: number;
  mtime: string;
  inode: number;
  device: number;
  ctime: string;
  mode: string;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  target: string;
  links: number;
  /** st_blocks × 512 is well below the size: holes */
  sparse: boolean;
}

const FIELDS = 15;
const PRINTF = ['%p', '%y', '%s', '%T@', '%i', '%D', '%C@', '%m', '%U', '%G', '%u', '%g', '%l', '%n', '%S'].map((f) => `${f}\\0`).join('');

/** The find command: every path of the source, excludes pruned, one NUL-separated record per entry. */
export function findCommand(src: FilesSourceConfig): string {
  const excludes = src.exclude.flatMap((e, i) => [...(i > 0 ? ['-o'] : []), ...(e.includes('/') ? ['-path', `*/${e.replace(/^\/+/, '')}`] : ['-name', e])]);
  const prune = excludes.length > 0 ? `\\( ${shJoin(excludes)} \\) -prune -o ` : '';
  return `find ${shJoin(src.paths)} ${prune}-printf ${shq(PRINTF)}`;
}

/** Parses find's output; records are FIELDS NUL-terminated fields. */
export class ListingParser {
  private rest = Buffer.alloc(0);
  private fields: string[] = [];

  /** The entries completed by this chunk. */
  push(chunk: Buffer): ListedEntry[] {
    const out: ListedEntry[] = [];
    let buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const nul = buf.indexOf(0, start);
      if (nul < 0) break;
      this.fields.push(buf.toString('utf8', start, nul));
      start = nul + 1;
      if (this.fields.length === FIELDS) {
        out.push(toEntry(this.fields));
        this.fields = [];
      }
    }
    buf = buf.subarray(start);
    this.rest = Buffer.from(buf);
    return out;
  }

  end(): void {
    if (this.rest.length > 0 || this.fields.length > 0) {
      throw new CofreError('REMOTE_COMMAND_FAILED', 'the listing of the files ended in the middle of an entry', { hint: 'the connection or find was interrupted; run the backup again' });
    }
  }
}

function toEntry(f: string[]): ListedEntry {
  const [path, kind, size, mtime, inode, device, ctime, mode, uid, gid, owner, group, target, links, sparse] = f as [string, string, string, string, string, string, string, string, string, string, string, string, string, string, string];
  const sparseness = Number(sparse);
  const bytes = Number(size);
  return {
    path, kind, size: bytes, mtime, inode: Number(inode), device: Number(device), ctime, mode, uid: Number(uid), gid: Number(gid),
    owner, group, target, links: Number(links), sparse: kind === 'f' && bytes > 64 * 1024 && Number.isFinite(sparseness) && sparseness < 0.9,
  };
}

export interface Listing {
  /** entries listed */
  count: number;
  warnings: string[];
  /** the entries in path order, read back from the spool: at most one sort run is in memory (can be iterated again) */
  entries(): AsyncIterable<ListedEntry>;
}

/**
 * Runs find on the server, streaming its output into an external sort in the job's spool, so a
 * tree of any size is listed in bounded memory. Entries vanishing while find walks are
 * warnings; any other error (an unreadable folder) fails the backup, as tar did in format 1.
 */
export async function listTree(host: RemoteHost, src: FilesSourceConfig, spool: Spool, signal?: AbortSignal): Promise<Listing> {
  const parser = new ListingParser();
  const sorter = new ExternalSort<ListedEntry>(spool, 'listing', (e) => e.path);
  const p = host.exec(findCommand(src), { label: 'find', okCodes: [0, 1] });
  const onAbort = (): void => p.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of p.stdout) {
      for (const e of parser.push(chunk as Buffer)) await sorter.add(e);
    }
    const r = await p.done;
    const errors = r.stderr.split('\n').filter((l) => l.trim() !== '');
    const vanished = errors.filter((l) => /No such file or directory/.test(l));
    if (r.code !== 0 && vanished.length !== errors.length) {
      throw new CofreError('REMOTE_COMMAND_FAILED', `find failed listing the files (exit ${r.code ?? r.signal}): ${lastLines(r.stderr)}`, {
        hint: 'check that the backup user can read every folder under the listed paths',
      });
    }
    parser.end();
    await sorter.finish();
    return {
      count: sorter.count,
      warnings: vanished.length ? [`find: ${vanished.length} entr${vanished.length === 1 ? 'y' : 'ies'} vanished while listed`] : [],
      entries: () => sorter.read(),
    };
  } catch (err) {
    p.cancel();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
