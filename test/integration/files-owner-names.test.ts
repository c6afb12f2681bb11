/**
 * Owner and group names in a format-2 index: each entry carries what GNU find prints for it
 * (%u %g: the name, or the id when no user or group has it), though the listing asks find for
 * the names once per id instead of once per entry (real sshd, folder storage).
 */
import { describe, it, expect, inject, beforeAll } from 'vitest';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { listSetsOf } from '../../src-main/backup/sets.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { configuredIdentities } from '../../src-main/app/identity.js';
import { readIndex } from '../../src-main/files2/restore.js';
import { makeFixture, type Fixture } from '../support/backup-fixture.js';

const h = inject('harness');
const asRoot = process.getuid?.() === 0;
const findNames = (path: string): string => execFileSync('find', [path, '-maxdepth', '0', '-printf', '%u %g'], { encoding: 'utf8' });

describe('files format 2: owner and group names (real sshd)', () => {
  let fx: Fixture;
  let uploads: string;

  beforeAll(async () => {
    fx = await makeFixture(h, {
      filesFormat: 'packs',
      extraYaml: `  soarquivos:
    sources: [arquivos]
    storage: nas
    schedule: "0 4 * * *"
`,
    });
    uploads = join(fx.filesDir, 'uploads');
    const put = (rel: string, ids?: [number, number]): void => {
      const full = join(uploads, rel);
      mkdirSync(join(full, '..'), { recursive: true });
      writeFileSync(full, rel);
      if (ids && asRoot) chownSync(full, ...ids);
    };
    // the sshd runs as this user: as root, files of other users and groups can be made
    put('outros/nobody.txt', [65534, 65534]);
    put('outros/sem-nome.txt', [54321, 54322]);
    put('outros/misto.txt', [54323, 0]);
    put('outros/daemon.txt', [1, 1]);
    put('depois/zz/ultimo.txt', [54324, 54325]);
    if (asRoot) chownSync(join(uploads, 'depois'), 54326, 54327);
  }, 120_000);

  it('every entry of the index has the owner and group names find prints for its path, named or not', async () => {
    const ctx = new AppContext({ env: fx.env });
    try {
      const r = await runBackup(ctx, 'soarquivos');
      expect(r.error).toBeUndefined();
      const storage = storageFromConfig(ctx.config, 'nas', fx.env);
      try {
        const set = (await listSetsOf(ctx, storage)).find((s) => s.setId === r.setId);
        const index = set?.manifest?.sources[0]?.objects[0];
        if (!index) throw new Error('no index in the set');
        const entries = await readIndex(storage, index, await configuredIdentities(ctx.config, fx.env));
        expect(entries.length).toBeGreaterThan(5);
        const seen = entries.map((e) => `${e.path} ${e.owner} ${e.group}`);
        expect(seen).toEqual(entries.map((e) => `${e.path} ${findNames(e.path)}`));
        if (asRoot) {
          // ids no user or group has are kept as the ids, as find prints them
          expect(seen).toContain(`${join(uploads, 'outros/sem-nome.txt')} 54321 54322`);
          expect(seen).toContain(`${join(uploads, 'depois')} 54326 54327`);
          expect(seen).toContain(`${join(uploads, 'outros/daemon.txt')} ${findNames(join(uploads, 'outros/daemon.txt'))}`);
        }
      } finally {
        storage.close();
      }
    } finally {
      ctx.close();
    }
  }, 300_000);
});
