/**
 * `cofre sets` (and the ETA's "last set") list restore points oldest first. Set ids carry the
 * start to the second only; two backups started within one second must still list in the
 * order they ran (the manifest's createdAt has the milliseconds), whatever their random ids.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderStorage } from '../../src-main/storage/folder.js';
import { listSets } from '../../src-main/backup/sets.js';
import type { Manifest } from '../../shared/domain.js';

let dir: string;
let storage: FolderStorage;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofre-sets-order-'));
  storage = new FolderStorage({ type: 'folder', name: 'nas', path: dir });
});
afterEach(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

async function writeSet(setId: string, createdAt: string): Promise<void> {
  const key = `sets/${setId}/banco.clinica.pgdump.age`;
  const body = Buffer.from(`dump of ${setId}`);
  await storage.putBytes(key, body);
  const manifest: Manifest = {
    format: 'cofre-set/1', setId, plan: 'diario', createdAt, finishedAt: createdAt, recipients: [], cofreVersion: '0',
    sources: [{ name: 'banco', type: 'postgres', server: 's', tool: 'pg_dump', toolVersion: 'pg_dump (PostgreSQL) 15', objects: [{ part: 'clinica', format: 'pgdump', key, bytes: body.length, plainBytes: 1, sha256: 'a'.repeat(64) }] }],
  };
  await storage.putBytes(`sets/${setId}/manifest.json`, Buffer.from(JSON.stringify(manifest)));
}

describe('listSets order', () => {
  it('lists sets started within one second in the order they ran, not by their random id suffix', async () => {
    await writeSet('20261125T020000Z-ffffff', '2026-11-25T02:00:00.120Z');
    await writeSet('20261125T020000Z-0a0a0a', '2026-11-25T02:00:00.870Z');
    await writeSet('20261124T020000Z-c0ffee', '2026-11-24T02:00:00.500Z');
    const sets = await listSets(storage, { authenticate: async () => ({ ok: true }) }); // ordering only: every set taken as signed
    expect(sets.map((s) => [s.setId, s.complete])).toEqual([
      ['20261124T020000Z-c0ffee', true],
      ['20261125T020000Z-ffffff', true],
      ['20261125T020000Z-0a0a0a', true],
    ]);
  });
});
