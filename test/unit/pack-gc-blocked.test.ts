/**
 * Pack GC blocked by a set whose references are unknown: a doubtful set and a set listed without
 * its manifest each block it (nothing listed, nothing deleted), and each is said for what it is:
 * the set without a manifest is not called doubtful.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderStorage } from '../../src-main/storage/index.js';
import { collectPacks } from '../../src-main/retention/pack-gc.js';
import type { SetInfo } from '../../src-main/backup/sets.js';
import { catalogText } from '../../shared/i18n/catalog.js';

const SET = '20261125T040000Z-abc123';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** a folder storage holding one unreferenced pack */
function storage(): { store: FolderStorage; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'cofre-gcb-'));
  dirs.push(root);
  mkdirSync(join(root, 'packs'));
  writeFileSync(join(root, 'packs', `${'a'.repeat(32)}.tar.zst.age`), 'x');
  return { store: new FolderStorage({ type: 'folder', name: 'nas', path: root }), root };
}

const set = (extra: Partial<SetInfo>): SetInfo => ({ setId: SET, plan: 'diario', createdAt: '2026-11-25T04:00:00Z', state: 'complete', complete: true, bytes: 0, sources: [], ...extra });

describe('pack GC blocked by a set', () => {
  it.each([
    ['a doubtful set', set({ state: 'doubtful', complete: false, problem: 'manifest.json is not valid JSON' }), 'gc.blockedBySet', /está duvidosa/],
    ['a complete set listed without its manifest', set({}), 'gc.blockedNoManifest', /foi listada sem o manifesto/],
  ] as const)('%s: nothing deleted, the set named, said as what it is', async (_name, s, key, pt) => {
    const { store, root } = storage();
    try {
      const r = await collectPacks({ storage: store, storageName: 'nas', sets: [s], listedAt: new Date(), leases: new Set(), dryRun: false });
      expect(r.deleted).toEqual([]);
      expect(r.blocked).toMatchObject({ setId: SET, key, params: { setId: SET, storage: 'nas' } });
      expect(readdirSync(join(root, 'packs'))).toHaveLength(1);
      const said = catalogText('pt-BR', key, { setId: SET, storage: 'nas' });
      expect(said.text).toMatch(pt);
      if (key === 'gc.blockedNoManifest') expect(`${said.text} ${said.action ?? ''}`).not.toMatch(/duvidos/);
    } finally {
      store.close();
    }
  });
});
