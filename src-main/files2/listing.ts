/**
 * Change detection without an agent, step 1: the server lists the tree with GNU find, one record
 * of NUL-terminated fields per entry (path, type, size, mtime, inode, device, ctime, mode,
 * uid, gid, symlink target, link count, sparseness); the owner and group names of the distinct
 * ids are asked once afterwards (see ownerNames). Excludes keep their format-1
 * (tar `--exclude`) meaning: a pattern without `/` matches any name at any depth (and prunes a
 * folder); a pattern with `/` matches the end of a path.
 */
import type { FilesSourceConfig } from '../config/schema.js';
import { Readable } from 'node:stream';
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
  /** the owner's name as find's %u prints it (the uid when it has no name) */
  owner: string;
  /** the group's name as find's %g prints it (the gid when it has no name) */
  group: string;
  target: string;
  links: number;
  /** st_blocks × 512 is well below the size: holes */
  sparse: boolean;
}

const FIELDS = 13;
// No %u %g here: GNU find looks the name up for every entry (getpwuid, getgrgid; with glibc's
// `files` backend that opens and reads /etc/passwd and /etc/group again each time): ≈ 1–1.7 s of
// the listing of 20 000 entries, against 0.15–0.2 s without (measured on the bench's server).
const PRINTF = ['%p', '%y', '%s', '%T@', '%i', '%D', '%C@', '%m', '%U', '%G', '%l', '%n', '%S'].map((f) => `${f}\\0`).join('');
/** find's own %u and %g, with the ids they belong to, of each path given on stdin (NUL-separated) */
const NAMES_COMMAND = `xargs -0 -r sh -c ${shq(`exec find "$@" -maxdepth 0 -printf ${shq('%U\\0%u\\0%G\\0%g\\0')}`)} sh`;
/** xargs: a find it ran exited non-zero (a path vanished since the listing) */
const XARGS_SOME_FAILED = 123;

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

/** An entry with its uid and gid; its names are filled in when the listing is read (`owner`, `group` empty until then). */
function toEntry(f: string[]): ListedEntry {
  const [path, kind, size, mtime, inode, device, ctime, mode, uid, gid, target, links, sparse] = f as [string, string, string, string, string, string, string, string, string, string, string, string, string];
  const sparseness = Number(sparse);
  const bytes = Number(size);
  return {
    path, kind, size: bytes, mtime, inode: Number(inode), device: Number(device), ctime, mode, uid: Number(uid), gid: Number(gid),
    owner: '', group: '', target, links: Number(links), sparse: kind === 'f' && bytes > 64 * 1024 && Number.isFinite(sparseness) && sparseness < 0.9,
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
  // One path of each uid and of each gid listed: where the names are asked, while find still
  // runs (one look-up at a time, for the ids seen since the last), then for any id seen after.
  const ofUid = new Map<number, string>();
  const ofGid = new Map<number, string>();
  const asked = { uids: new Set<number>(), gids: new Set<number>() };
  const lookups: Array<Promise<OwnerNames>> = [];
  let inFlight = false;
  const askNew = (): void => {
    const paths = new Set<string>();
    for (const [id, path] of ofUid) if (!asked.uids.has(id)) { asked.uids.add(id); paths.add(path); }
    for (const [id, path] of ofGid) if (!asked.gids.has(id)) { asked.gids.add(id); paths.add(path); }
    if (paths.size === 0) return;
    inFlight = true;
    const lookup = ownerNames(host, paths, signal).finally(() => { inFlight = false; });
    lookup.catch(() => undefined); // awaited below unless find fails first
    lookups.push(lookup);
  };
  try {
    for await (const chunk of p.stdout) {
      for (const e of parser.push(chunk as Buffer)) {
        if (!ofUid.has(e.uid)) ofUid.set(e.uid, e.path);
        if (!ofGid.has(e.gid)) ofGid.set(e.gid, e.path);
        await sorter.add(e);
      }
      if (!inFlight) askNew();
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
    askNew();
    const names: OwnerNames = { users: new Map(), groups: new Map() };
    for (const found of await Promise.all(lookups)) {
      for (const [id, name] of found.users) if (!names.users.has(id)) names.users.set(id, name);
      for (const [id, name] of found.groups) if (!names.groups.has(id)) names.groups.set(id, name);
    }
    return {
      count: sorter.count,
      warnings: vanished.length ? [`find: ${vanished.length} entr${vanished.length === 1 ? 'y' : 'ies'} vanished while listed`] : [],
      entries: () => withNames(sorter.read(), names),
    };
  } catch (err) {
    p.cancel();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

interface OwnerNames {
  users: Map<number, string>;
  groups: Map<number, string>;
}

/**
 * The owner and group names of the listed ids, asked once: find's own %u and %g (the same look-up
 * the listing made per entry before) on one listed path of each id, in one command. A path that
 * vanished or changed owner since the listing leaves its id unnamed: its entries then carry the id
 * as their name, as find prints an id without a name (a restore as root then sets that id).
 */
async function ownerNames(host: RemoteHost, paths: ReadonlySet<string>, signal: AbortSignal | undefined): Promise<OwnerNames> {
  const names: OwnerNames = { users: new Map(), groups: new Map() };
  if (paths.size === 0) return names;
  const p = host.exec(NAMES_COMMAND, {
    stdin: Readable.from([Buffer.from([...paths].map((x) => `${x}\0`).join(''))]),
    label: 'find', okCodes: [0, XARGS_SOME_FAILED],
  });
  const onAbort = (): void => p.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of p.stdout) chunks.push(chunk as Buffer);
    const r = await p.done;
    if (r.code !== 0 && r.code !== XARGS_SOME_FAILED) {
      throw new CofreError('REMOTE_COMMAND_FAILED', `find failed naming the owners of the files (exit ${r.code ?? r.signal}): ${lastLines(r.stderr)}`, {
        hint: 'check that find and xargs (GNU findutils) are installed on the server',
      });
    }
    const f = Buffer.concat(chunks).toString('utf8').split('\0');
    for (let i = 0; i + 4 < f.length; i += 4) {
      names.users.set(Number(f[i]), f[i + 1] ?? '');
      names.groups.set(Number(f[i + 2]), f[i + 3] ?? '');
    }
    return names;
  } catch (err) {
    p.cancel();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

async function* withNames(entries: AsyncIterable<ListedEntry>, names: OwnerNames): AsyncGenerator<ListedEntry> {
  for await (const e of entries) {
    e.owner = names.users.get(e.uid) ?? String(e.uid);
    e.group = names.groups.get(e.gid) ?? String(e.gid);
    yield e;
  }
}
