/**
 * Issue 4 round trip: back up real PostgreSQL, MariaDB and a file tree over real SSH into
 * s3rver and a folder, then open every object with the Debian `age` CLI and restore it BY HAND
 * with pg_restore / mysql / tar: the restored content must equal the original.
 */
import { describe, it, expect, inject, beforeAll } from 'vitest';
import { readFileSync, mkdirSync, createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { S3Client, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { listSetsOf } from '../../src-main/backup/sets.js';
import { verifySet } from '../../src-main/backup/verify.js';
import { setAuthenticator } from '../../src-main/app/signing.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { configuredIdentities } from '../../src-main/app/identity.js';
import { pgCreateDatabase, mariadbCreateDatabase, PG_BIN } from '../harness/index.js';
import { makeFixture, uniqueName, type Fixture } from '../support/backup-fixture.js';
import { pgFingerprint, myFingerprint, treeFingerprint, sh } from '../support/compare.js';
import type { Manifest } from '../../shared/domain.js';

const h = inject('harness');

describe('backup round trip (real sshd, PostgreSQL, MariaDB, s3rver, age CLI)', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await makeFixture(h);
  });

  it('backs up to a folder; every object opens with `age -d` and restores by hand to equal content', async () => {
    const ctx = new AppContext({ env: fx.env });
    const progress: number[] = [];
    const result = await runBackup(ctx, 'local', { onProgress: (p) => progress.push(p.bytes) });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.sources.map((s) => s.name).sort()).toEqual([`arquivos.files`, `banco.${fx.pgDb}`, `prontuarios.${fx.myDb}`].sort());

    const setDir = join(fx.folderStorage, 'sets', result.setId);
    const manifest = JSON.parse(readFileSync(join(setDir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.plan).toBe('local');
    const raw = readFileSync(join(setDir, 'manifest.json'), 'utf8');
    expect(raw).not.toContain(h.mariadb.password);
    expect(raw).not.toContain('José'); // no patient data in the manifest
    expect(manifest.format).toBe('cofre-set/2');
    // the manifest is signed: OpenSSH checks it without Cofre, as the runbook says
    writeFileSync(join(fx.dir, 'allowed_signers'), `cofre ${fx.signer}\n`);
    const verified = sh(`ssh-keygen -Y verify -f ${join(fx.dir, 'allowed_signers')} -I cofre -n cofre-manifest -s ${join(setDir, 'manifest.json.sig')} < ${join(setDir, 'manifest.json')}`);
    expect(verified).toContain('Good "cofre-manifest" signature for cofre');

    // every stored object's SHA-256 equals the manifest
    for (const src of manifest.sources) {
      for (const o of src.objects) {
        const file = join(fx.folderStorage, o.key);
        expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(o.sha256);
      }
    }
    const pgObject = manifest.sources.find((s) => s.name === 'banco')?.objects[0];
    expect(pgObject?.rowCounts?.['clinica.pacientes']).toBe(2003);
    expect(pgObject?.rowCounts?.['financeiro.faturas']).toBe(5000);
    expect(pgObject?.rowCounts?.['pg_largeobject_metadata']).toBe(1);

    // PostgreSQL: age -d | pg_restore into a fresh database on the staging cluster
    const pgTarget = uniqueName('restored');
    await pgCreateDatabase(h.postgresStaging, pgTarget);
    sh(`age -d -i ${fx.identityFile} ${join(setDir, `banco.${fx.pgDb}.pgdump.age`)} | ${PG_BIN}/pg_restore --no-owner -h 127.0.0.1 -p ${h.postgresStaging.port} -U postgres -d ${pgTarget}`);
    expect(await pgFingerprint(h.postgresStaging, pgTarget)).toEqual(await pgFingerprint(h.postgres, fx.pgDb));

    // MariaDB: compressed on the server by default; age -d | zstd -d | mysql into a fresh database
    const myTarget = uniqueName('restored');
    await mariadbCreateDatabase(h.mariadb, myTarget);
    sh(`age -d -i ${fx.identityFile} ${join(setDir, `prontuarios.${fx.myDb}.sql.zst.age`)} | zstd -d | MYSQL_PWD='${h.mariadb.password}' mysql -h 127.0.0.1 -P ${h.mariadb.port} -u ${h.mariadb.user} ${myTarget}`);
    expect(await myFingerprint(h.mariadb, myTarget)).toEqual(await myFingerprint(h.mariadb, fx.myDb));

    // Files: age -d | tar -x into a fresh folder; bytes, modes, symlinks, empty folder, mtimes equal
    const out = join(fx.dir, 'restored-files');
    mkdirSync(out);
    sh(`age -d -i ${fx.identityFile} ${join(setDir, 'arquivos.files.tar.age')} | tar -x -p -C ${out}`);
    const original = treeFingerprint(join(fx.filesDir, 'uploads'));
    const restored = treeFingerprint(join(out, fx.filesDir.replace(/^\//, ''), 'uploads'));
    expect(restored).toEqual(original.filter((e) => !e.path.endsWith('.tmp')));
    expect(original.some((e) => e.path.endsWith('.tmp'))).toBe(true);
    expect(restored.find((e) => e.path === 'segredo.txt')?.mode).toBe(0o600);
    const filesObject = manifest.sources.find((s) => s.name === 'arquivos')?.objects[0];
    expect(filesObject?.fileCount).toBe(restored.length + 1); // + the uploads folder itself

    expect(progress.length).toBeGreaterThan(0);
    ctx.close();
  });

  it('backs up to S3 (s3rver); `cofre sets` logic sees it complete; deep verify reads every dump', async () => {
    const ctx = new AppContext({ env: fx.env });
    const result = await runBackup(ctx, 'diario');
    expect(result.error).toBeUndefined();
    const storage = storageFromConfig(ctx.config, 'nuvem', fx.env);
    const sets = await listSetsOf(ctx, storage);
    const set = sets.find((s) => s.setId === result.setId);
    expect(set?.complete).toBe(true);
    expect(set?.sources.map((s) => s.name).sort()).toEqual(['arquivos', 'banco', 'prontuarios']);

    // download the pg object straight from the bucket and open it with the age CLI
    const s3 = new S3Client({
      endpoint: h.s3.endpoint, region: h.s3.region, forcePathStyle: true,
      credentials: { accessKeyId: h.s3.accessKeyId, secretAccessKey: h.s3.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: fx.bucket, Prefix: `cofre/sets/${result.setId}/` }));
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
    expect(keys).toContain(`cofre/sets/${result.setId}/manifest.json`);
    expect(keys).toContain(`cofre/sets/${result.setId}/banco.${fx.pgDb}.pgdump.age`);
    const obj = await s3.send(new GetObjectCommand({ Bucket: fx.bucket, Key: `cofre/sets/${result.setId}/banco.${fx.pgDb}.pgdump.age` }));
    const file = join(fx.dir, 'from-s3.age');
    await pipeline(obj.Body as Readable, createWriteStream(file));
    s3.destroy();
    // pg_restore --list reads only the table of contents, so decrypt to a file first (no SIGPIPE)
    const listing = sh(`age -d -i ${fx.identityFile} -o ${file}.dump ${file} && ${PG_BIN}/pg_restore --list ${file}.dump`);
    expect(listing).toContain('TABLE DATA clinica pacientes');
    expect(listing).toContain('BLOB');

    const deep = await verifySet(storage, result.setId, { deep: true, authenticate: setAuthenticator(ctx.config, ctx.now), identities: await configuredIdentities(ctx.config, fx.env) });
    expect(deep.checks.filter((c) => !c.ok)).toEqual([]);
    expect(deep.checks.length).toBe(5); // manifest + signature + 3 objects
    storage.close();
    ctx.close();
  });
});
