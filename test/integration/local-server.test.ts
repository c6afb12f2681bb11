/**
 * `kind: local` servers: the same backup, lock, probe and restore code as over SSH, with the
 * commands run on this machine through sh. Backs up the harness databases and a file tree
 * (unicode names, symlink, 0600 file, 4 MiB binary) through a local server, restores them into
 * staging through a local target, and compares everything with the original. Also: a machine
 * without GNU tar/find is refused with a clear error, a cancelled command stops its whole
 * pipeline, and status warns when a local server holds S3 credentials.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppContext } from '../../src-main/app/context.js';
import { editConfig } from '../../src-main/config/edit.js';
import { runBackup } from '../../src-main/backup/run.js';
import { runRestore } from '../../src-main/restore/restore.js';
import { stagingDbName } from '../../src-main/restore/target.js';
import { computeStatus } from '../../src-main/status/status.js';
import { openLocal, withRemoteLock } from '../../src-main/remote/index.js';
import { makeFixture, stagingTargetYaml, type Fixture } from '../support/backup-fixture.js';
import { pgFingerprint, treeFingerprint, sh } from '../support/compare.js';
import { tempDir } from '../harness/index.js';

const h = inject('harness');

describe('kind: local servers (backup and restore on this machine, no SSH)', () => {
  let fx: Fixture;
  let restoreRoot: string;

  beforeAll(async () => {
    restoreRoot = join(await tempDir('local-restore'), 'root');
    mkdirSync(restoreRoot);
    fx = await makeFixture(h, { largeBytes: 4 * 1024 * 1024, extraYaml: stagingTargetYaml(h, restoreRoot) });
    // the clinic server becomes this machine: no host, key or host key
    editConfig(fx.configPath, (doc) => {
      doc.setIn(['servers', 'clinica'], doc.createNode({ kind: 'local', location: { provider: 'clinica', region: 'sala-servidores' } }));
    });
  });

  afterAll(() => {
    if (restoreRoot) sh(`rm -rf ${restoreRoot}`);
  });

  it('backs up files and PostgreSQL through a local server and restores them into staging, equal to the original', async () => {
    const ctx = new AppContext({ env: fx.env });
    try {
      const b = await runBackup(ctx, 'local');
      expect(b.error).toBeUndefined();
      expect(b.status).toBe('succeeded');
      expect(b.sources.map((s) => s.name.split('.')[0]).sort()).toEqual(['arquivos', 'banco', 'prontuarios']);
      expect(b.sources.find((s) => s.name.startsWith('arquivos'))?.bytes).toBeGreaterThan(4 * 1024 * 1024);

      const r = await runRestore(ctx, { setId: b.setId, target: 'homologacao', sources: ['banco', 'arquivos'] });
      expect(r.error).toBeUndefined();
      expect(r.status).toBe('succeeded');
      expect(r.preflight.find((c) => c.name === 'target reachable')?.message).toMatch(/is this machine \(kind: local\)/);
      expect(r.validation.every((v) => v.ok)).toBe(true);
      const original = treeFingerprint(join(fx.filesDir, 'uploads')).filter((e) => !e.path.endsWith('.tmp'));
      expect(original.some((e) => e.path.includes('ção'))).toBe(true);
      expect(treeFingerprint(join(restoreRoot, b.setId, fx.filesDir, 'uploads'))).toEqual(original);
      expect(await pgFingerprint(h.postgresStaging, stagingDbName(fx.pgDb, b.setId))).toEqual(await pgFingerprint(h.postgres, fx.pgDb));
    } finally {
      ctx.close();
    }
  });

  it('status: a local server with S3 storage is a warning (credentials on the clinic server), with folder storage an information', () => {
    const ctx = new AppContext({ env: fx.env });
    try {
      const plans = computeStatus(ctx).plans;
      const s3 = plans.find((p) => p.plan === 'diario');
      const folder = plans.find((p) => p.plan === 'local');
      expect(s3?.localServer).toMatchObject({ level: 'warning', servers: ['clinica'], storage: 'nuvem' });
      expect(s3?.localServer?.message).toMatch(/credentials of storage nuvem live on the server being backed up/);
      expect(folder?.localServer).toMatchObject({ level: 'info', storage: 'nas' });
    } finally {
      ctx.close();
    }
  });

  it('refuses a machine without GNU tar and find, naming what is missing and how to install it', async () => {
    const bin = await tempDir('fake-bin');
    // a BusyBox-like tar and no find at all on the PATH
    writeFileSync(join(bin, 'tar'), '#!/bin/sh\necho "tar (busybox) 1.36.1"\n');
    chmodSync(join(bin, 'tar'), 0o755);
    for (const t of ['sh', 'flock', 'head']) sh(`ln -s "$(command -v ${t})" ${bin}/${t}`);
    const err = await openLocal({ kind: 'local', name: 'aqui' }, { env: { ...process.env, PATH: bin } }).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'LOCAL_TOOLS_MISSING' });
    expect((err as Error).message).toMatch(/server aqui \(kind: local\) lacks find, GNU tar \(found another tar\)/);
    expect((err as { hint: string }).hint).toMatch(/apt install tar findutils util-linux/);
    const noShell = await openLocal({ kind: 'local', name: 'aqui' }, { shell: '/nonexistent/sh' }).then(() => undefined, (e: unknown) => e);
    expect(noShell).toMatchObject({ code: 'LOCAL_TOOLS_MISSING' });
    expect((noShell as Error).message).toMatch(/there is no `\/nonexistent\/sh`/);
  });

  it('runs commands with their env and stdin, fails a bad exit on stdout, cancels a whole pipeline, and locks like over SSH', async () => {
    const host = await openLocal({ kind: 'local', name: 'aqui' });
    try {
      const r = await host.runChecked('printf "%s|" "$SEGREDO"; cat', { env: { SEGREDO: "a b 'c'" }, stdin: (await import('node:stream')).Readable.from(['entrada']) });
      expect(r.stdout).toBe("a b 'c'|entrada");
      await expect(host.runChecked('echo falhou >&2; exit 3', { label: 'teste' })).rejects.toThrow(/teste on aqui \(this machine\) exited with code 3: falhou/);
      const failing = host.exec('echo parte; exit 2', { label: 'dump' });
      const chunks: Buffer[] = [];
      await expect(new Promise((res, rej) => {
        failing.stdout.on('data', (c: Buffer) => chunks.push(c));
        failing.stdout.on('end', res);
        failing.stdout.on('error', rej);
      })).rejects.toThrow(/dump on aqui \(this machine\) exited with code 2/);
      // cancel stops every process of the pipeline (its own process group)
      // durations unique to this run, so other tests' sleeps on this machine never match
      const tag = String(process.pid).padStart(7, '0');
      const p = host.exec(`sleep 300.${tag} | sleep 301.${tag}`);
      p.stdout.resume();
      await new Promise((res) => setTimeout(res, 300));
      p.cancel();
      await expect(p.done).rejects.toMatchObject({ code: 'CANCELLED' });
      await expect.poll(() => sh(`pgrep -f "sleep 30[01]\\.${tag}" || true`).trim(), { timeout: 5000 }).toBe('');
      // the same flock lock as over SSH: a second holder is refused while the first holds it
      const lockName = `local-test-${process.pid}`;
      await withRemoteLock(host, lockName, async () => {
        const other = await openLocal({ kind: 'local', name: 'aqui' });
        try {
          await expect(withRemoteLock(other, lockName, async () => undefined)).rejects.toMatchObject({ code: 'REMOTE_BUSY' });
        } finally {
          other.close();
        }
      });
    } finally {
      host.close();
    }
  });
});
