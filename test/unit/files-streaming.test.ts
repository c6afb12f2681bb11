/**
 * Format 2 in bounded memory: the listing's external sort gives exactly Array.sort's order
 * across many runs on disk (awkward names included), and a large index streamed in chunks cut
 * anywhere parses to the same entries as the whole text. Sizes run in a second or two; the big
 * measurements are in bench/files-scale.ts.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { ExternalSort, Spool } from '../../src-main/files2/spool.js';
import { formatIndex, parseIndex, streamIndex, type IndexEntry } from '../../src-main/files2/index-format.js';

const spools: Spool[] = [];
afterEach(async () => {
  for (const s of spools.splice(0)) await s.dispose();
});

const awkward = ['/srv/a b', '/srv/-', '/srv/linha\nquebrada', '/srv/tab\there', '/srv/ação 🩺.txt', '/srv/\u{1F600}', '/srv/\uFFFD', '/srv/a/b', '/srv/a-b', '/srv/a'];

describe('format 2 streaming', () => {
  /** `count` paths (the awkward ones first) through an ExternalSort of runs of 700: read back twice, in Array.sort order. */
  async function sortedTwice(count: number): Promise<Spool> {
    const spool = await Spool.open('test-sort');
    spools.push(spool);
    const sorter = new ExternalSort<{ path: string; n: number }>(spool, 'list', (e) => e.path, 700);
    const paths = [...awkward];
    for (let i = 0; i < count - awkward.length; i++) paths.push(`/srv/${randomBytes(1 + (i % 7)).toString('base64url')}/${i}`);
    let n = 0;
    for (const path of paths) await sorter.add({ path, n: n++ });
    await sorter.finish();
    const expected = [...paths].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (let pass = 0; pass < 2; pass++) {
      const got: string[] = [];
      for await (const e of sorter.read()) got.push(e.path);
      expect(got).toEqual(expected);
    }
    expect(sorter.count).toBe(count);
    return spool;
  }

  it('sorts 20 000 paths in runs of 700 on disk, in Array.sort order, and reads them back twice', async () => {
    const spool = await sortedTwice(20_000);
    await spool.dispose();
    expect(existsSync(spool.dir)).toBe(false);
  }, 120_000); // the machine may be shared: a generous limit, no timing asserted

  it('keeps a listing that fits in one run in memory: sorted as Array.sort, read back twice, nothing written', async () => {
    const spool = await sortedTwice(699);
    expect(readdirSync(spool.dir)).toEqual([]);
  });

  it('parses a 30 000-entry index streamed in chunks cut mid-line exactly as the whole text', async () => {
    const entries: IndexEntry[] = [];
    for (let i = 0; i < 30_000; i++) {
      const path = `${awkward[i % awkward.length] ?? '/x'}/${i}`;
      entries.push({
        type: i % 5 === 0 ? 'd' : 'f', path, mode: '644', uid: 1000, gid: 33, owner: 'www-data', group: 'clínica', mtime: `17646${i}.5`,
        size: i, target: '', linkGroup: 0, sparse: false, cid: i % 5 === 0 ? '' : 'c'.repeat(64), pack: i % 5 === 0 ? '' : `${'d'.repeat(32)}.tar.zst.age`, member: i % 5 === 0 ? '' : 'c'.repeat(64),
      });
    }
    const text = Buffer.from(formatIndex(entries), 'utf8');
    const chunks: Buffer[] = [];
    for (let at = 0, k = 1; at < text.length; k = (k * 7 + 3) % 9973 + 1) { chunks.push(text.subarray(at, at + k)); at += k; }
    const streamed: IndexEntry[] = [];
    for await (const { entry } of streamIndex(Readable.from(chunks))) streamed.push(entry);
    expect(streamed).toEqual(parseIndex(text.toString('utf8')));
    expect(streamed).toEqual(entries);
  }, 120_000);
});
