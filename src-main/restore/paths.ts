/**
 * Granular files restore (`--path`): which paths a set holds, the top-level paths a production
 * restore replaces (and its safety copy covers), and the clear error for a path the set does not
 * hold. Pure helpers; the index (format 2) or the tar's member names (format 1) come from the
 * preflight read.
 */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { CheckResult, RestoreItem } from './types.js';

function parentOf(p: string): string {
  const at = p.lastIndexOf('/');
  return at <= 0 ? '/' : p.slice(0, at);
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** The paths no other path of the list contains (the paths the backup was given), in list order. */
export function topLevelPaths(paths: readonly string[]): string[] {
  const all = new Set(paths.map(trimSlash));
  const out: string[] = [];
  for (const raw of paths) {
    const p = trimSlash(raw);
    let covered = false;
    for (let q = parentOf(p); ; q = parentOf(q)) {
      if (all.has(q) && q !== p) { covered = true; break; }
      if (q === '/') break;
    }
    if (!covered && !out.includes(p)) out.push(p);
  }
  return out;
}

/** True when `path` is `prefix` itself or lies under it. */
export function isUnder(path: string, prefix: string): boolean {
  const p = trimSlash(prefix);
  return path === p || path.startsWith(p === '/' ? '/' : `${p}/`);
}

/** The deepest folder of the set above `path` (to suggest `cofre files <set> --path` there), else the first top-level path. */
export function nearestHeld(held: ReadonlySet<string>, roots: readonly string[], path: string): string {
  for (let q = parentOf(trimSlash(path)); ; q = parentOf(q)) {
    if (held.has(q)) return q;
    if (q === '/') break;
  }
  return roots[0] ?? '/';
}

export interface MissingPath {
  path: string;
  /** where to look instead: the deepest folder of the set above it */
  near: string;
}

/** The asked paths that match no entry of the set (each with a folder to list instead). */
export function missingPaths(paths: readonly string[] | undefined, held: readonly string[]): MissingPath[] {
  if (!paths?.length) return [];
  const set = new Set(held.map(trimSlash));
  const roots = topLevelPaths(held);
  const out: MissingPath[] = [];
  for (const p of paths) {
    const wanted = trimSlash(p);
    if (set.has(wanted) || held.some((h) => isUnder(h, wanted))) continue;
    out.push({ path: p, near: nearestHeld(set, roots, wanted) });
  }
  return out;
}

/**
 * What the preflight learns of a set's paths as its index streams by, keeping nothing per entry:
 * its top-level paths (as `topLevelPaths` gives them, in the same order) and, per asked path,
 * whether the set holds it and the deepest folder above it that it holds (as `missingPaths`).
 */
export class HeldPaths {
  private readonly roots: string[] = [];
  private readonly rootSet = new Set<string>();
  private readonly below = new Map<string, number>();
  private readonly asked: Array<{ raw: string; wanted: string; found: boolean; near: string | undefined }>;
  /** entries seen */
  count = 0;

  constructor(asked: readonly string[] | undefined) {
    this.asked = (asked ?? []).map((raw) => ({ raw, wanted: trimSlash(raw), found: false, near: undefined }));
  }

  add(raw: string): void {
    const p = trimSlash(raw);
    this.count++;
    for (const a of this.asked) {
      if (a.found) continue;
      if (isUnder(p, a.wanted)) a.found = true;
      else if (isUnder(a.wanted, p) && (a.near === undefined || p.length > a.near.length)) a.near = p;
    }
    if (this.rootSet.has(p)) return;
    // covered when a folder above it is held: then the topmost one held is a root already
    for (let q = parentOf(p); q !== p; q = parentOf(q)) {
      if (this.rootSet.has(q)) return;
      if (q === '/') break;
    }
    // a new top-level path: the roots seen so far under it (rare: find lists a folder first) are no longer top-level
    if (this.below.has(p)) {
      for (let i = this.roots.length - 1; i >= 0; i--) {
        const r = this.roots[i] ?? '';
        if (r !== p && isUnder(r, p)) { this.roots.splice(i, 1); this.rootSet.delete(r); this.countAbove(r, -1); }
      }
    }
    this.roots.push(p);
    this.rootSet.add(p);
    this.countAbove(p, 1);
  }

  /** Counts, per folder, the roots under it (tells in one lookup whether a new root covers earlier ones). */
  private countAbove(root: string, by: 1 | -1): void {
    for (let q = parentOf(root); q !== root; q = parentOf(q)) {
      const n = (this.below.get(q) ?? 0) + by;
      if (n > 0) this.below.set(q, n); else this.below.delete(q);
      if (q === '/') break;
    }
  }

  topLevel(): string[] {
    return [...this.roots];
  }

  /** The asked paths that matched no entry (each with a folder to list instead). */
  missing(): MissingPath[] {
    return this.asked.filter((a) => !a.found).map((a) => ({ path: a.raw, near: a.near ?? this.roots[0] ?? '/' }));
  }
}

function listCommand(setId: string, near: string): string {
  return `cofre files ${setId} --path ${near.includes(' ') ? JSON.stringify(near) : near}`;
}

/** The error for `--path` values the set does not hold (nothing was touched). */
export function pathNotInSetError(setId: string, missing: readonly MissingPath[]): CofreError {
  const first = missing[0] ?? { path: '?', near: '/' };
  return new CofreError('INVALID_ARGUMENT', `${missing.map((m) => m.path).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in set ${setId}: nothing was restored`, {
    hint: `list what the set holds with \`${listCommand(setId, first.near)}\`; paths are absolute, as on the server`,
    ...said('restore2.pathNotInSet', { path: first.path, setId, near: first.near }),
  });
}

/** The preflight check of `--path` values against what the set holds. */
export function pathsCheck(setId: string, source: string, missing: readonly MissingPath[], asked: readonly string[]): CheckResult {
  const first = missing[0];
  if (!first) {
    return { name: `paths in ${source}`, ok: true, status: 'ok', message: `${asked.length} asked path(s) found in the set`, ...said('restore2.pathsInSet', { path: asked[0] ?? '', setId, near: '/' }) };
  }
  return {
    name: `paths in ${source}`, ok: false, status: 'failed',
    message: `${missing.map((m) => m.path).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in set ${setId}: list what it holds with \`${listCommand(setId, first.near)}\``,
    ...said('restore2.pathsInSet', { path: first.path, setId, near: first.near }),
  };
}

/**
 * Format 2 on production: the server paths the restore replaces — the asked paths, else the set's
 * top-level paths (from its index). Refused when that would be the whole root `/`.
 */
export function replacedPaths(item: Pick<RestoreItem, 'paths' | 'object'>, roots: readonly string[] | undefined): string[] {
  const chosen = item.paths ?? roots;
  if (!chosen) {
    throw new CofreError('PRECONDITION', `the paths held by ${item.object.key} are not known (its index was not read in preflight): nothing was overwritten`, {
      hint: 'run the restore again; a production restore reads the index whole before it starts',
    });
  }
  const list = chosen.map((p) => trimSlash(`/${p.replace(/^\/+/, '')}`));
  if (list.includes('/')) {
    throw new CofreError('INVALID_ARGUMENT', 'the set holds the whole root /: a production restore does not replace it; nothing was touched', {
      hint: 'restore chosen folders with --path /srv/… (each is replaced after its safety copy)',
      ...said('restore2.rootReplace'),
    });
  }
  return list;
}

/** The set id in an object key (`…sets/<setId>/<object>`). */
export function setIdOfKey(key: string): string {
  return /(?:^|\/)sets\/([^/]+)\//.exec(key)?.[1] ?? '?';
}
