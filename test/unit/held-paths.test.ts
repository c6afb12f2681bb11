/**
 * The preflight streams a set's index: HeldPaths, fed one path at a time, must give the same
 * top-level paths and missing asked paths as the whole-list helpers it replaced.
 */
import { describe, it, expect } from 'vitest';
import { HeldPaths, missingPaths, topLevelPaths } from '../../src-main/restore/paths.js';

function streamed(paths: readonly string[], asked: readonly string[]): { roots: string[]; missing: ReturnType<typeof missingPaths> } {
  const h = new HeldPaths(asked);
  for (const p of paths) h.add(p);
  return { roots: h.topLevel(), missing: h.missing() };
}

describe('HeldPaths (streamed) equals topLevelPaths + missingPaths (whole list)', () => {
  const cases: Array<{ name: string; paths: string[]; asked: string[] }> = [
    { name: 'folders first, as find lists them', paths: ['/srv/a', '/srv/a/x', '/srv/a/x/1', '/etc/nginx', '/etc/nginx/n.conf'], asked: ['/srv/a/x/1', '/srv/a/y', '/etc/nginx/'] },
    { name: 'children before their folder', paths: ['/srv/a/x/1', '/srv/a/x/2', '/srv/b/z', '/srv/a', '/srv/a/x'], asked: ['/srv/a/x/3', '/srv/b/z'] },
    { name: 'a gap in the chain of folders', paths: ['/srv/a', '/srv/a/b/c/d', '/srv/a/b/c/e'], asked: ['/srv/a/b/c/f', '/nope'] },
    { name: 'the root itself', paths: ['/x/y', '/', '/x'], asked: ['/x/q'] },
    { name: 'duplicates and trailing slashes', paths: ['/a/', '/a', '/a/b', '/c/d', '/c/d/'], asked: ['/a/b/', '/c'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(streamed(c.paths, c.asked)).toEqual({ roots: topLevelPaths(c.paths), missing: missingPaths(c.asked, c.paths) });
    });
  }

  it('many files without their folders: every one is top-level, in list order', () => {
    const paths = Array.from({ length: 5000 }, (_, i) => `/srv/p${i % 7}/f${i}`);
    expect(streamed(paths, []).roots).toEqual(topLevelPaths(paths));
  });
});
