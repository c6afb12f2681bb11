/**
 * Proves each harness service is the real thing, reached the way Cofre reaches it:
 * PostgreSQL and MariaDB through commands run over SSH (ssh2, our remote module), S3 with the
 * AWS SDK, and sshd's host key as OpenSSH itself reports it.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fingerprintOf, mariadbCreateDatabase, mariadbSql, pgCreateDatabase, pgPsql } from '../harness/index.js';
import { connect, fetchHostKeyFingerprint, shJoin } from '../../src-main/remote/index.js';
import type { RemoteHost } from '../../src-main/remote/index.js';

const harness = inject('harness');
const unique = (prefix: string): string => `${prefix}_${randomBytes(4).toString('hex')}`;

describe('test harness services', () => {
  let host: RemoteHost;

  beforeAll(async () => {
    const { ssh } = harness;
    host = await connect({
      name: 'clinica',
      host: ssh.host,
      port: ssh.port,
      user: ssh.user,
      privateKeyFile: ssh.privateKeyPath,
      hostKey: ssh.hostKeyFingerprint,
    });
  });
  afterAll(() => host?.close());

  it('sshd presents the host key that ssh-keygen -lf reports, and ssh2 sees the same fingerprint', async () => {
    const expected = await fingerprintOf(join(harness.ssh.dir, 'ssh_host_ed25519_key.pub'));
    expect(expected).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(harness.ssh.hostKeyFingerprint).toBe(expected);
    const seen = await fetchHostKeyFingerprint(harness.ssh.host, harness.ssh.port);
    expect(seen).toMatchObject({ fingerprint: expected, algorithm: 'ssh-ed25519' });
    const who = await host.runChecked('id -un');
    expect(who.stdout.trim()).toBe(harness.ssh.user);
  });

  it('the server finds the dump tools', async () => {
    const r = await host.runChecked('command -v pg_dump psql mysqldump mysql tar flock');
    expect(r.stdout.trim().split('\n')).toHaveLength(6);
  });

  it('PostgreSQL answers psql run over SSH, and the password role needs its password', async () => {
    const pg = harness.postgres;
    const db = unique('clinica');
    await pgCreateDatabase(pg, db);
    await pgPsql(pg, 'CREATE TABLE pacientes (id int PRIMARY KEY, nome text); INSERT INTO pacientes SELECT g, $$p$$ || g FROM generate_series(1, 250) g;', db);

    const psql = (user: string, sql: string): string =>
      shJoin(['psql', '-X', '-At', '-h', pg.host, '-p', String(pg.port), '-U', user, '-d', db, '-c', sql]);
    const r = await host.runChecked(psql(pg.user, 'SELECT count(*) FROM pacientes'));
    expect(r.stdout.trim()).toBe('250');

    const withPassword = await host.runChecked(psql(pg.passwordUser, 'SELECT current_user'), {
      env: { PGPASSWORD: pg.password, PGCONNECT_TIMEOUT: '5' },
    });
    expect(withPassword.stdout.trim()).toBe('cofre_pw');

    const wrong = await host.run(psql(pg.passwordUser, 'SELECT 1'), { env: { PGPASSWORD: 'wrong', PGCONNECT_TIMEOUT: '5' } });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/password authentication failed/);

    const dump = await host.runChecked(shJoin(['pg_dump', '-h', pg.host, '-p', String(pg.port), '-U', pg.user, '--schema-only', db]));
    expect(dump.stdout).toContain('CREATE TABLE public.pacientes');
    expect(pg.version).toMatch(/^15\./);
  });

  it('the staging PostgreSQL cluster is a separate server', async () => {
    const db = unique('homolog');
    await pgCreateDatabase(harness.postgresStaging, db);
    expect(harness.postgresStaging.port).not.toBe(harness.postgres.port);
    const onProd = await pgPsql(harness.postgres, `SELECT count(*) FROM pg_database WHERE datname = '${db}'`);
    const onStaging = await pgPsql(harness.postgresStaging, `SELECT count(*) FROM pg_database WHERE datname = '${db}'`);
    expect([onProd, onStaging]).toEqual(['0', '1']);
  });

  it('MariaDB answers mysql and mysqldump run over SSH with MYSQL_PWD', async () => {
    const my = harness.mariadb;
    const db = unique('prontuarios');
    await mariadbCreateDatabase(my, db);
    await mariadbSql(my, 'CREATE TABLE consultas (id INT PRIMARY KEY, nota TEXT); INSERT INTO consultas VALUES (1, "a"), (2, "b"), (3, "c");', db);

    const env = { MYSQL_PWD: my.password };
    const base = ['-h', my.host, '-P', String(my.port), '-u', my.user];
    const count = await host.runChecked(shJoin(['mysql', ...base, '-N', '-B', '-D', db, '-e', 'SELECT COUNT(*) FROM consultas']), { env });
    expect(count.stdout.trim()).toBe('3');

    const dump = await host.runChecked(shJoin(['mysqldump', ...base, '--single-transaction', db]), { env });
    expect(dump.stdout).toContain('CREATE TABLE `consultas`');

    const denied = await host.run(shJoin(['mysql', ...base, '-e', 'SELECT 1']), { env: { MYSQL_PWD: 'wrong' } });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/Access denied/);
    expect(my.version).toMatch(/MariaDB/);
  });

  it('s3rver stores and returns an object through the AWS SDK', async () => {
    const s3 = harness.s3;
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      const bucket = unique('bucket').replaceAll('_', '-');
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      const body = randomBytes(100_000);
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'cofre/sets/x/manifest.json', Body: body }));
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'cofre/sets/x/manifest.json' }));
      const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
      expect(bytes.equals(body)).toBe(true);
      const list = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'cofre/' }));
      expect(list.Contents?.map((o) => o.Key)).toEqual(['cofre/sets/x/manifest.json']);
    } finally {
      client.destroy();
    }
  });
});
