/**
 * The file browser over a set's index (format 2), held by the engine: the children of a folder
 * and a search by name, size and date, one page at a time (a folder of thousands of entries is
 * never sent whole). Pure; built once per set and kept in a small cache by the console's engine.
 */
import type { FileEntry, FileType } from '../../shared/rpc/contracts/files.js';
import type { EntryType, IndexEntry } from './index-format.js';

const TYPE_NAMES: Record<EntryType, FileType> = { f: 'file', d: 'dir', l: 'symlink', h: 'hardlink', o: 'other' };

export interface SourcedEntry extends IndexEntry {
  source: string;
}

export interface BrowseQuery {
  dir?: string | undefined;
  query?: string | undefined;
  minSize?: number | undefined;
  maxSize?: number | undefined;
  modifiedAfter?: string | undefined;
  modifiedBefore?: string | undefined;
  page: number;
  pageSize: number;
}

export interface BrowsePage {
  dir?: string;
  parent?: string;
  entries: FileEntry[];
  total: number;
  page: number;
  pages: number;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1) || '/';
}

/** The index's `%T@` mtime as an ISO instant. */
export function isoOfMtime(mtime: string): string {
  const n = Number(mtime);
  return new Date(Number.isFinite(n) ? Math.floor(n * 1000) : 0).toISOString();
}

/** Lower case without accents: "Zoë" and "zoe" match. */
export function foldName(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

export function toFileEntry(e: SourcedEntry): FileEntry {
  return { path: e.path, name: nameOf(e.path), type: TYPE_NAMES[e.type], size: e.size, mtime: isoOfMtime(e.mtime), source: e.source };
}

/** Folders first, then by name (as a file manager shows them). */
function byFolderThenName(a: SourcedEntry, b: SourcedEntry): number {
  const da = a.type === 'd' ? 0 : 1;
  const db = b.type === 'd' ? 0 : 1;
  if (da !== db) return da - db;
  const na = nameOf(a.path);
  const nb = nameOf(b.path);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export class BrowseIndex {
  private readonly children = new Map<string, SourcedEntry[]>();
  private readonly byPath = new Map<string, SourcedEntry>();
  /** entries whose folder is not in the index: the set's top folders (the sources' paths) */
  readonly roots: SourcedEntry[] = [];

  constructor(readonly entries: readonly SourcedEntry[]) {
    for (const e of entries) this.byPath.set(e.path, e);
    for (const e of entries) {
      const parent = parentOf(e.path);
      if (e.path !== '/' && this.byPath.has(parent)) {
        const list = this.children.get(parent);
        if (list) list.push(e);
        else this.children.set(parent, [e]);
      } else {
        this.roots.push(e);
      }
    }
    for (const list of this.children.values()) list.sort(byFolderThenName);
    this.roots.sort(byFolderThenName);
  }

  get(path: string): SourcedEntry | undefined {
    return this.byPath.get(path.length > 1 ? path.replace(/\/+$/, '') : path);
  }

  /** A folder's children, or a search under it (or under the whole set) at any depth. */
  list(q: BrowseQuery): BrowsePage {
    const dir = q.dir === undefined ? undefined : q.dir.length > 1 ? q.dir.replace(/\/+$/, '') : q.dir;
    const searching = (q.query ?? '').trim() !== '' || q.minSize !== undefined || q.maxSize !== undefined || q.modifiedAfter !== undefined || q.modifiedBefore !== undefined;
    let found: SourcedEntry[];
    if (searching) {
      const needle = foldName((q.query ?? '').trim());
      const after = q.modifiedAfter ? Date.parse(q.modifiedAfter) : undefined;
      const before = q.modifiedBefore ? Date.parse(q.modifiedBefore) : undefined;
      const sized = q.minSize !== undefined || q.maxSize !== undefined;
      found = this.entries.filter((e) => {
        if (dir !== undefined && !(e.path.startsWith(dir === '/' ? '/' : `${dir}/`))) return false;
        if (needle && !foldName(nameOf(e.path)).includes(needle)) return false;
        // a size filter asks about files; folders have no size of their own
        if (sized && e.type !== 'f' && e.type !== 'h') return false;
        if (q.minSize !== undefined && e.size < q.minSize) return false;
        if (q.maxSize !== undefined && e.size > q.maxSize) return false;
        const ms = Number(e.mtime) * 1000;
        if (after !== undefined && ms < after) return false;
        if (before !== undefined && ms > before) return false;
        return true;
      });
    } else {
      found = dir === undefined ? this.roots : (this.children.get(dir) ?? []);
    }
    const pages = Math.max(1, Math.ceil(found.length / q.pageSize));
    const page = Math.min(Math.max(1, q.page), pages);
    const entries = found.slice((page - 1) * q.pageSize, page * q.pageSize).map(toFileEntry);
    const parent = dir === undefined || this.roots.some((r) => r.path === dir) ? undefined : parentOf(dir);
    return { ...(dir !== undefined ? { dir } : {}), ...(parent !== undefined ? { parent } : {}), entries, total: found.length, page, pages };
  }
}
