import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesState, type KnownFile } from '../../src-main/files2/state.js';
import { BackupScratch } from '../../src-main/files2/scratch.js';
import { Spool } from '../../src-main/files2/spool.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const STORAGE = 'folder /srv/backup';
const SOURCE = 'arquivos';
/** names SQLite (UTF-8 bytes) and JS (UTF-16 units) order differently, and others that sort near them */
const awkward = ['/srv/\u{1F600}', '/srv/\uFFFD', '/srv/\uE000', '/srv/ação 🩺.txt', '/srv/a b', '/srv/-', '/srv/linha\nquebrada', '/srv/a', '/srv/a/b', '/srv/z'];

const cidOf = (path: string, day: number): string => Buffer.from(`${day}:${path}`).toString('hex').padEnd(64, '0').slice(0, 64);

async function openState(): Promise<FilesState> {
  const home = mkdtempSync(join(tmpdir(), 'cofre-state-test-'));
  const state = FilesState.open(home);
  cleanups.push(() => rmSync(home, { recursive: true, force: true }), () => state.close());
  return state;
}

/** Records `files` as this source's listing, the way a backup does (through its scratch), the contents of `stored` in pack `p<day>`. */
async function commitListing(state: FilesState, files: Array<KnownFile & { path: string }>, day: number, stored = files): Promise<void> {
  const spool = await Spool.open('test-state');
  const scratch = new BackupScratch(spool);
  try {
    for (const f of files) scratch.addKnown(f);
    const contents = stored.map((f) => ({ cid: f.cid, pack: `p${day}`, size: f.size }));
    state.commit(STORAGE, SOURCE, scratch.knownListing(), contents, [{ pack: `p${day}`, bytes: 1, sha256: 'a'.repeat(64) }]);
  } finally {
    scratch.close();
    await spool.dispose();
  }
}

const jsOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

describe('files dedup state', () => {
  it('answers in-order look-ups exactly as one look-up per path, names SQLite orders differently included', async () => {
    const state = await openState();
    const paths = [...awkward];
    for (let i = 0; i < 5000; i++) paths.push(`/srv/p${i % 37}/exame-${i}.dat`);
    const files = paths.map((path, i) => ({ path, size: i + 1, mtime: `1764681600.${i}`, inode: i + 10, ctime: `1764681601.${i}`, cid: cidOf(path, 1) }));
    await commitListing(state, files, 1);
    // a content whose pack was forgotten is not "known stored": its file must be read again
    state.forgetPack(STORAGE, 'p1');
    await commitListing(state, files, 2, files.slice(0, 3000));

    const asked = [...paths, '/srv/new-file', '/srv/p3/exame-999999.dat', '/srv/\u{1F601}', '/'].sort(jsOrder);
    const inOrder = state.knownStoredInOrder(STORAGE, SOURCE);
    let found = 0;
    for (const path of asked) {
      const expected = state.knownStored(STORAGE, SOURCE, path);
      expect(inOrder(path), path).toEqual(expected);
      if (expected) found++;
    }
    expect(found).toBe(3000);
    expect(state.knownStored(STORAGE, SOURCE, files[0]?.path ?? '')).toMatchObject({ cid: cidOf(files[0]?.path ?? '', 1), pack: 'p2' });
  });

  it('commit leaves exactly the new listing: unchanged, changed, removed and new files', async () => {
    const state = await openState();
    const day1 = awkward.map((path, i) => ({ path, size: 100 + i, mtime: `1.${i}`, inode: i, ctime: `2.${i}`, cid: cidOf(path, 1) }));
    await commitListing(state, day1, 1);
    const [kept, changed, , ...rest] = day1;
    if (!kept || !changed) throw new Error('fixture');
    const day2 = [
      kept,
      { ...changed, mtime: '9.9', cid: cidOf(changed.path, 2) },
      ...rest.slice(1),
      { path: '/srv/novo', size: 7, mtime: '3.3', inode: 99, ctime: '4.4', cid: cidOf('/srv/novo', 2) },
    ];
    await commitListing(state, day2, 2);
    const removed = [awkward[2] ?? '', rest[0]?.path ?? ''];
    for (const path of removed) expect(state.knownStored(STORAGE, SOURCE, path), path).toBeUndefined();
    for (const f of day2) {
      const { path, ...known } = f;
      expect(state.knownStored(STORAGE, SOURCE, path), path).toEqual({ ...known, pack: 'p2' });
    }
    // the whole listing, not only what was asked: nothing else is left
    const all = [...state.knownFiles(STORAGE, SOURCE).keys()].sort(jsOrder);
    expect(all).toEqual(day2.map((f) => f.path).sort(jsOrder));
  });
});
