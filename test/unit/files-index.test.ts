/** The format-2 index: one escaped line per entry, read back exactly (awkward names included). */
import { describe, it, expect } from 'vitest';
import { escapeField, formatIndex, parseIndex, selectEntries, unescapeField, type IndexEntry } from '../../src-main/files2/index-format.js';
import { execFileSync } from 'node:child_process';

const entry = (path: string, extra: Partial<IndexEntry> = {}): IndexEntry => ({
  type: 'f', path, mode: '644', uid: 1000, gid: 1000, owner: 'www-data', group: 'clínica', mtime: '1764640000.1234567890',
  size: 3, target: '', linkGroup: 0, sparse: false, cid: 'a'.repeat(64), pack: `${'b'.repeat(32)}.tar.zst.age`, member: 'a'.repeat(64), ...extra,
});

describe('files index format', () => {
  const names = ['/srv/a b', '/srv/-', '/srv/linha\nquebrada', '/srv/tab\there', '/srv/barra \\ invertida', '/srv/ação 🩺.txt', "/srv/aspas ' \" $x `y`", '/srv/%s%b'];

  it('round-trips every awkward name, and each line is one line with 15 space-separated fields', () => {
    const entries = names.map((n) => entry(n));
    const text = formatIndex([...entries, entry('/srv/l', { type: 'l', target: '../fora de/-', cid: '', pack: '', member: '' })]);
    expect(text.split('\n').filter((l) => l && !l.startsWith('#')).every((l) => l.split(' ').length === 15)).toBe(true);
    expect(parseIndex(text)).toEqual([...entries, entry('/srv/l', { type: 'l', target: '../fora de/-', cid: '', pack: '', member: '' })]);
  });

  it("decodes with sh's printf %b exactly as Node does", () => {
    for (const n of names) {
      const decoded = execFileSync('sh', ['-c', 'v=$(printf "%bx" "$1"); printf %s "${v%x}"', 'sh', escapeField(n)]);
      expect(decoded.toString('utf8')).toBe(n);
      expect(unescapeField(escapeField(n))).toBe(n);
    }
    expect(escapeField('')).toBe('-');
    expect(unescapeField(escapeField('-'))).toBe('-');
  });

  it('selects a folder and what is under it, not its namesakes', () => {
    const entries = ['/srv/a', '/srv/a/b', '/srv/ab', '/srv/a/c/d'].map((p) => entry(p));
    expect(selectEntries(entries, ['/srv/a']).map((e) => e.path)).toEqual(['/srv/a', '/srv/a/b', '/srv/a/c/d']);
    expect(selectEntries(entries, ['/srv/a/']).map((e) => e.path)).toEqual(['/srv/a', '/srv/a/b', '/srv/a/c/d']);
    expect(selectEntries(entries, undefined)).toHaveLength(4);
  });

  it('refuses a damaged line', () => {
    expect(() => parseIndex('f /x 644\n')).toThrow(/line 1 of a files index/);
    expect(() => parseIndex(formatIndex([entry('/x')]).replace(' /x ', ' x '))).toThrow(/not absolute/);
  });
});
