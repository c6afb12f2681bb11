/**
 * The set's file browser: the engine's BrowseIndex (folders, search, filters, pages), the export
 * plan of "salvar no computador", and the console's files store through the real RPC server
 * against the in-memory engine (its sets hold a clinic tree with a folder of 250 exams).
 */
import { describe, it, expect, afterEach } from 'vitest';
import type { MemoryServices } from '../support/memory-services.js';
import type { Stores } from '../../src-renderer/src/stores/index.js';
import { consoleStores } from '../support/console-stores.js';
import { BrowseIndex, foldName, type SourcedEntry } from '../../src-main/files2/browse.js';
import { planExport } from '../../src-main/files2/export.js';
import { crumbsOf } from '../../src-renderer/src/components/file-browser.js';
import { FILES_PAGE_SIZE } from '../../src-renderer/src/stores/files.js';
import { CofreError } from '../../src-main/errors.js';

let services: MemoryServices | undefined;
afterEach(() => services?.close());

function setup(): Stores {
  const made = consoleStores();
  services = made.services;
  return made.stores;
}

function e(type: 'f' | 'd' | 'l' | 'o', path: string, size = 0, mtime = 1_700_000_000, cid = type === 'f' && size > 0 ? `c-${path}` : ''): SourcedEntry {
  return { type, path, mode: '644', uid: 0, gid: 0, owner: 'root', group: 'root', mtime: String(mtime), size, target: type === 'l' ? 'x' : '', linkGroup: 0, sparse: false, cid, pack: cid ? 'p' : '', member: cid, source: 'arquivos' };
}

const tree = [
  e('d', '/srv/app'),
  e('d', '/srv/app/docs'),
  e('f', '/srv/app/docs/Relatório Anual.PDF', 5 * 1024 * 1024, 1_700_000_000),
  e('f', '/srv/app/docs/nota.txt', 10, 1_600_000_000),
  e('d', '/srv/app/docs/vazia'),
  e('f', '/srv/app/b.txt', 0),
  e('l', '/srv/app/atalho'),
  e('o', '/srv/app/sock'),
];

describe('BrowseIndex (engine)', () => {
  const index = new BrowseIndex(tree);

  it('lists the top folder, then a folder: folders first, by name, with its parent', () => {
    const top = index.list({ page: 1, pageSize: 10 });
    expect(top.entries.map((x) => x.path)).toEqual(['/srv/app']);
    expect(top.parent).toBeUndefined();
    const app = index.list({ dir: '/srv/app', page: 1, pageSize: 10 });
    expect(app.entries.map((x) => x.name)).toEqual(['docs', 'atalho', 'b.txt', 'sock']);
    expect(app.parent).toBeUndefined(); // a top folder: "up" is the set's top
    const docs = index.list({ dir: '/srv/app/docs/', page: 1, pageSize: 10 });
    expect(docs.parent).toBe('/srv/app');
    expect(docs.entries[0]).toMatchObject({ name: 'vazia', type: 'dir' });
    expect(docs.entries.find((x) => x.name === 'nota.txt')).toMatchObject({ type: 'file', size: 10, mtime: '2020-09-13T12:26:40.000Z' });
  });

  it('searches by part of the name, ignoring case and accents, at any depth under the folder', () => {
    expect(foldName('Relatório')).toBe('relatorio');
    expect(index.list({ query: 'relatorio', page: 1, pageSize: 10 }).entries.map((x) => x.path)).toEqual(['/srv/app/docs/Relatório Anual.PDF']);
    expect(index.list({ dir: '/srv/app/docs', query: 'TXT', page: 1, pageSize: 10 }).entries.map((x) => x.name)).toEqual(['nota.txt']);
    expect(index.list({ dir: '/srv/app/docs/vazia', query: 'txt', page: 1, pageSize: 10 }).total).toBe(0);
  });

  it('filters by size (files only) and by modification date', () => {
    expect(index.list({ minSize: 1024 * 1024, page: 1, pageSize: 10 }).entries.map((x) => x.name)).toEqual(['Relatório Anual.PDF']);
    expect(index.list({ maxSize: 100, page: 1, pageSize: 10 }).entries.map((x) => x.name).sort()).toEqual(['b.txt', 'nota.txt']);
    expect(index.list({ modifiedBefore: '2021-01-01T00:00:00Z', query: '.', page: 1, pageSize: 10 }).entries.map((x) => x.name)).toEqual(['nota.txt']);
    expect(index.list({ modifiedAfter: '2023-01-01T00:00:00Z', minSize: 1, page: 1, pageSize: 10 }).entries.map((x) => x.name)).toEqual(['Relatório Anual.PDF']);
  });

  it('pages a large folder without sending it whole, and clamps a page past the end', () => {
    const big = new BrowseIndex([e('d', '/d'), ...Array.from({ length: 2500 }, (_, i) => e('f', `/d/f${String(i).padStart(4, '0')}`, 1))]);
    const p = big.list({ dir: '/d', page: 3, pageSize: 1000 });
    expect(p).toMatchObject({ total: 2500, page: 3, pages: 3 });
    expect(p.entries).toHaveLength(500);
    expect(p.entries[0]?.name).toBe('f2000');
    expect(big.list({ dir: '/d', page: 99, pageSize: 1000 }).page).toBe(3);
  });
});

describe('salvar no computador: what is written', () => {
  it('a file is its own bytes; a folder a tar of what is under it (special files left out); a path not in the set is refused', () => {
    expect(planExport(tree, '/srv/app/docs/nota.txt')).toMatchObject({ name: 'nota.txt', kind: 'file', size: 10 });
    const folder = planExport(tree, '/srv/app/');
    expect(folder).toMatchObject({ name: 'app.tar', kind: 'tar' });
    expect(folder.entries.map((x) => x.path)).not.toContain('/srv/app/sock');
    expect(folder.entries.map((x) => x.path)).toContain('/srv/app/docs/nota.txt');
    expect(() => planExport(tree, '/srv/app/nada')).toThrow(CofreError);
    expect(() => planExport(tree, '/srv/app/sock')).toThrow(/special file/);
  });
});

describe('breadcrumbs', () => {
  it('start at the set top folder the path is under', () => {
    expect(crumbsOf('/srv/app/docs/vazia', ['/srv/app'])).toEqual(['/srv/app', '/srv/app/docs', '/srv/app/docs/vazia']);
    expect(crumbsOf(undefined, ['/srv/app'])).toEqual([]);
    expect(crumbsOf('/x/y', [])).toEqual(['/x/y']);
  });
});

describe('files store (console) against the engine contract', () => {
  const setWithFiles = async (stores: Stores): Promise<string> => {
    await stores.sets.getState().load();
    const set = stores.sets.getState().sets.find((s) => s.complete && s.sources.some((x) => x.type === 'files'));
    expect(set).toBeDefined();
    return set?.setId ?? '';
  };

  it('navigates from the top into a folder of 250 entries, one page at a time, and searches by name', async () => {
    const stores = setup();
    const setId = await setWithFiles(stores);
    const f = stores.files;
    await f.getState().open(setId);
    expect(f.getState().listing?.entries.map((x) => x.path)).toEqual(['/srv/clinica/uploads']);
    expect(f.getState().roots).toEqual(['/srv/clinica/uploads']);
    await f.getState().cd('/srv/clinica/uploads/exames');
    let s = f.getState();
    expect(s.listing).toMatchObject({ total: 250, pages: Math.ceil(250 / FILES_PAGE_SIZE), page: 1 });
    expect(s.listing?.entries).toHaveLength(FILES_PAGE_SIZE);
    await f.getState().goPage(3);
    s = f.getState();
    expect(s.listing?.entries[0]?.name).toBe(`exame-${String(2 * FILES_PAGE_SIZE + 1).padStart(3, '0')}.pdf`);
    await f.getState().cd(undefined);
    await f.getState().search('zoe');
    expect(f.getState().listing?.entries.map((x) => x.path)).toEqual(['/srv/clinica/uploads/prontuários/Zoë 🩺']);
    await f.getState().search('', { minSize: 249 * 1024 });
    expect(f.getState().listing?.entries.map((x) => x.name)).toEqual(['exame-249.pdf', 'exame-250.pdf']);
    await f.getState().clearSearch();
    expect(f.getState().listing?.entries.map((x) => x.path)).toEqual(['/srv/clinica/uploads']);
  });

  it('shows the other versions of a file across complete sets, saying which differ', async () => {
    const stores = setup();
    const setId = await setWithFiles(stores);
    const f = stores.files;
    await f.getState().open(setId);
    await f.getState().showVersions('/srv/clinica/uploads/agenda.txt');
    const v = f.getState().versions?.result;
    expect(v?.versions.length).toBeGreaterThan(1);
    expect(v?.versions.filter((x) => x.current).map((x) => x.setId)).toEqual([setId]);
    expect(v?.versions.some((x) => !x.current && !x.sameContent)).toBe(true);
    await f.getState().showVersions('/srv/clinica/uploads/prontuários/Zoë 🩺/receita.pdf');
    expect(f.getState().versions?.result?.versions.every((x) => x.sameContent)).toBe(true);
  });

  it('saves only after confirmation; a browser console gets a one-time download, audited when taken', async () => {
    const stores = setup();
    const setId = await setWithFiles(stores);
    const f = stores.files;
    await f.getState().open(setId);
    await f.getState().cd('/srv/clinica/uploads');
    const agenda = f.getState().listing?.entries.find((x) => x.name === 'agenda.txt');
    expect(agenda).toBeDefined();
    if (!agenda) return;
    f.getState().askSave(agenda);
    expect(f.getState().pendingSave?.path).toBe(agenda.path);
    f.getState().cancelSave();
    expect(f.getState().pendingSave).toBeUndefined();
    f.getState().askSave(agenda);
    const r = await f.getState().confirmSave();
    expect(r).toMatchObject({ kind: 'download', name: 'agenda.txt' });
    const ticket = r?.kind === 'download' ? r.url.replace('/download/', '') : '';
    const d = await services?.files.takeDownload(ticket);
    expect(d?.name).toBe('agenda.txt');
    expect(await services?.files.takeDownload(ticket)).toBeUndefined(); // one time only
  });

  it('restoring a path from the browser opens the wizard on that set, sending only that path', async () => {
    const stores = setup();
    const setId = await setWithFiles(stores);
    await stores.restore.getState().loadTargets();
    const r = stores.restore;
    r.getState().restorePath(setId, '/srv/clinica/uploads/agenda.txt');
    expect(r.getState()).toMatchObject({ setId, step: 'target', paths: ['/srv/clinica/uploads/agenda.txt'] });
    r.getState().addPath('/srv/clinica/uploads/exames');
    r.getState().addPath('/srv/clinica/uploads/exames/exame-001.pdf'); // under a chosen folder: nothing new
    expect(r.getState().paths).toEqual(['/srv/clinica/uploads/agenda.txt', '/srv/clinica/uploads/exames']);
    r.getState().removePath('/srv/clinica/uploads/agenda.txt');
    expect(r.getState().paths).toEqual(['/srv/clinica/uploads/exames']);
    r.getState().chooseTarget('homologacao');
    expect(r.getState().canProceed()).toBe(true);
    await r.getState().runPreflight();
    expect(r.getState().step).toBe('preflight');
  });
});
