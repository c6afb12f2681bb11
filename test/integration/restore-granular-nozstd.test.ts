/**
 * Issue 15: a granular restore whose packs are all filtered on the backup host sends the target a
 * plain tar, so a target without zstd restores it; a whole restore of the same compressed set
 * still needs zstd there, and its preflight says so (with the install hint) before anything is
 * written. The target is a second sshd (same machine) whose sessions run with a PATH that holds
 * every tool of /usr/bin and /usr/sbin but zstd; Cofre, on the backup host, keeps its zstd.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { runRestore } from '../../src-main/restore/restore.js';
import type { Manifest } from '../../shared/domain.js';
import { startSshd, tempDir, type SshServerHandle } from '../harness/index.js';
import { makeFixture, stagingTargetYaml, type Fixture } from '../support/backup-fixture.js';

const h = inject('harness');

/** A folder of links to every command of /usr/bin and /usr/sbin except zstd and its aliases. */
async function binWithoutZstd(): Promise<string> {
  const bin = await tempDir('bin-sem-zstd');
  for (const dir of ['/usr/bin', '/usr/sbin', '/bin', '/sbin']) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (/zstd/.test(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
}

describe('granular restore to a target without zstd (real sshd, folder storage, compressed packs)', () => {
  let fx: Fixture;
  let semZstd: SshServerHandle;
  let restoreRoot: string;
  let uploads: string;
  let setId: string;
  const asked = 'laudos/pedido.txt';
  const askedText = 'pedido de exame 42\n';

  const ctx = (): AppContext => new AppContext({ env: fx.env });

  beforeAll(async () => {
    restoreRoot = join('/tmp', `cofre-nozstd-${process.pid}-${Date.now()}`);
    mkdirSync(restoreRoot, { recursive: true });
    fx = await makeFixture(h, {
      filesFormat: 'packs',
      extraYaml: `  soarquivos:
    sources: [arquivos]
    storage: nas
    schedule: "0 4 * * *"
${stagingTargetYaml(h, restoreRoot)}`,
    });
    uploads = join(fx.filesDir, 'uploads');
    // the asked file is a small part of its pack: it is filtered on the backup host
    mkdirSync(join(uploads, 'laudos'), { recursive: true });
    mkdirSync(join(uploads, 'outros'), { recursive: true });
    for (let i = 0; i < 30; i++) writeFileSync(join(uploads, 'outros', `o${i}.bin`), randomBytes(200_000));
    writeFileSync(join(uploads, asked), askedText);

    const bin = await binWithoutZstd();
    semZstd = await startSshd({ extraConfig: [`ForceCommand PATH=${bin}; export PATH; exec sh -c "$SSH_ORIGINAL_COMMAND"`] });
    const doc = parseDocument(readFileSync(fx.configPath, 'utf8'));
    doc.setIn(['servers', 'semzstd'], doc.createNode({
      host: semZstd.host, port: semZstd.port, user: semZstd.user, privateKeyFile: semZstd.privateKeyPath, hostKey: semZstd.hostKeyFingerprint,
    }));
    doc.setIn(['restoreTargets', 'semzstd'], doc.createNode({ kind: 'staging', server: 'semzstd', filesRoot: restoreRoot }));
    writeFileSync(fx.configPath, doc.toString());

    const c = ctx();
    try {
      const r = await runBackup(c, 'soarquivos');
      expect(r.error).toBeUndefined();
      setId = r.setId;
    } finally {
      c.close();
    }
  }, 120_000);

  afterAll(async () => {
    await semZstd?.stop();
    if (restoreRoot) rmSync(restoreRoot, { recursive: true, force: true });
  });

  it('the target really lacks zstd and has tar, and the set\'s packs are compressed', async () => {
    const probe = await semZstd.exec('command -v zstd || echo sem-zstd; command -v tar');
    expect(probe.stdout).toMatch(/^sem-zstd\n.*\/tar\n$/);
    const manifest = JSON.parse(readFileSync(join(fx.folderStorage, 'sets', setId, 'manifest.json'), 'utf8')) as Manifest;
    const packs = manifest.format === 'cofre-set/2' ? manifest.packs ?? [] : [];
    expect(packs.length).toBeGreaterThan(0);
    expect(packs.every((p) => p.key.endsWith('.tar.zst.age'))).toBe(true);
  });

  it('a granular restore filtered on the backup host succeeds there: no zstd check, the file as on the server', async () => {
    const c = ctx();
    try {
      const r = await runRestore(c, { setId, target: 'semzstd', paths: [join(uploads, asked)] });
      expect(r.error, JSON.stringify(r.error)).toBeUndefined();
      expect(r.status).toBe('succeeded');
      expect(r.preflight.filter((x) => !x.ok)).toEqual([]);
      expect(r.preflight.some((x) => x.name === 'zstd')).toBe(false);
      expect(r.preflight.find((x) => x.name === 'tar')?.ok).toBe(true);
      const dest = r.items[0]?.destination ?? '';
      expect(readFileSync(join(dest, uploads, asked), 'utf8')).toBe(askedText);
      expect(readdirSync(join(dest, uploads))).toEqual(['laudos']);
    } finally {
      c.close();
    }
  });

  it('a whole restore of the same set still fails preflight there, naming zstd and how to install it; nothing is written', async () => {
    const c = ctx();
    try {
      // the granular restore above used the set's folder: this one goes beside it
      const r = await runRestore(c, { setId, target: 'semzstd', existing: 'rename' });
      expect(r.status).toBe('failed');
      expect(r.error?.code).toBe('PRECONDITION');
      const zstd = r.preflight.find((x) => x.name === 'zstd');
      expect(zstd?.ok).toBe(false);
      expect(zstd?.message).toMatch(/zstd is not installed on the target.*apt install zstd/);
      expect(r.targetState).toMatch(/^untouched/);
      expect(readdirSync(restoreRoot).map((n) => basename(n))).toEqual([setId]);
      expect(readdirSync(join(restoreRoot, setId, uploads))).toEqual(['laudos']);
    } finally {
      c.close();
    }
  });
});
