/**
 * Builds a throwaway Cofre setup against the harness services: a PostgreSQL and a MariaDB
 * database filled with awkward data, a file tree, an age identity, an S3 bucket and a folder,
 * and a cofre.yaml naming them. Used by backup, restore, CLI and e2e tests.
 */
import { mkdirSync, readFileSync, writeFileSync, symlinkSync, chmodSync, utimesSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseDocument, type Document } from 'yaml';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import type { HarnessInfo } from '../harness/index.js';
import { pgPsql, pgCreateDatabase, mariadbSql, mariadbCreateDatabase, tempDir } from '../harness/index.js';
import { generateIdentity, writeIdentityFile } from '../../src-main/crypto/age.js';
import { generateSigningKey, parseSigningKey } from '../../src-main/crypto/ssh-key-file.js';
import { signManifest } from '../../src-main/app/signing.js';
import { editConfig } from '../../src-main/config/edit.js';

export interface Fixture {
  dir: string;
  home: string;
  configPath: string;
  identityFile: string;
  recipient: string;
  /** the OpenSSH ed25519 key that signs manifests (0600) and its public line (the only signer) */
  signingKeyFile: string;
  signer: string;
  pgDb: string;
  myDb: string;
  filesDir: string;
  folderStorage: string;
  bucket: string;
  env: NodeJS.ProcessEnv;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export const PG_FIXTURE_SQL = `
CREATE SCHEMA clinica;
CREATE SCHEMA financeiro;
CREATE TABLE clinica.pacientes (
  id serial PRIMARY KEY, nome text NOT NULL, nascimento date, foto bytea, dados jsonb, saldo numeric(12,2),
  tags text[], observacao text
);
INSERT INTO clinica.pacientes (nome, nascimento, foto, dados, saldo, tags, observacao) VALUES
  ('José da Conceição', '1980-02-29', '\\x00ff10'::bytea, '{"alergias": ["dipirona"], "peso": 72.5}', 1234.56, ARRAY['diabético','hipertenso'], NULL),
  ('Ana Lúcia Ñúñez 🩺', NULL, NULL, 'null', -0.01, '{}', 'linha1
linha2 "aspas" \\ barra'),
  ('Zoë', '2001-12-31', decode(repeat('ab', 5000), 'hex'), '[]', 99999999.99, ARRAY[NULL, 'x'], '');
INSERT INTO clinica.pacientes (nome) SELECT 'paciente ' || g FROM generate_series(1, 2000) g;
CREATE TABLE financeiro.faturas (id bigserial PRIMARY KEY, paciente int REFERENCES clinica.pacientes(id), valor numeric, pago boolean, criado timestamptz DEFAULT now());
INSERT INTO financeiro.faturas (paciente, valor, pago) SELECT (g % 2000) + 1, g * 1.5, g % 3 = 0 FROM generate_series(1, 5000) g;
CREATE SEQUENCE financeiro.protocolo START 1000;
SELECT nextval('financeiro.protocolo') FROM generate_series(1, 42);
CREATE TABLE clinica.vazia (id int);
SELECT lo_from_bytea(0, convert_to('laudo em PDF (objeto grande) ' || repeat('x', 100000), 'UTF8'));
`;

export const MY_FIXTURE_SQL = `SET NAMES utf8mb4;
CREATE TABLE prontuario (id INT AUTO_INCREMENT PRIMARY KEY, paciente VARCHAR(200) CHARACTER SET utf8mb4, texto LONGTEXT, anexo LONGBLOB, valor DECIMAL(10,2), criado DATETIME, nulo INT NULL) ENGINE=InnoDB;
INSERT INTO prontuario (paciente, texto, anexo, valor, criado) VALUES ('José 🩺', 'quebra\\nde linha e \\'aspas\\'', UNHEX('00FF10'), 10.5, '2026-11-25 02:00:00'), ('Ana', NULL, NULL, NULL, NULL);
INSERT INTO prontuario (paciente, texto) SELECT CONCAT('p', seq), REPEAT('t', 100) FROM seq_1_to_3000;
CREATE TABLE agenda (id INT PRIMARY KEY, quando DATE) ENGINE=InnoDB;
INSERT INTO agenda VALUES (1, '2026-01-01'), (2, '2026-12-31');
`;

/** A file tree with the awkward cases: unicode names, symlink, empty folder, large binary, 0600 file. */
export function makeFileTree(root: string, largeBytes = 8 * 1024 * 1024): void {
  mkdirSync(join(root, 'uploads', 'exames 2026', 'vazia'), { recursive: true });
  writeFileSync(join(root, 'uploads', 'exames 2026', 'raio-x ção.png'), randomBytes(70_000));
  writeFileSync(join(root, 'uploads', 'grande.bin'), randomBytes(largeBytes));
  writeFileSync(join(root, 'uploads', 'segredo.txt'), 'só o dono lê\n', { mode: 0o600 });
  chmodSync(join(root, 'uploads', 'segredo.txt'), 0o600);
  writeFileSync(join(root, 'uploads', 'temp.tmp'), 'excluded\n');
  symlinkSync('exames 2026/raio-x ção.png', join(root, 'uploads', 'atalho'));
  utimesSync(join(root, 'uploads', 'grande.bin'), new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
}

export async function createBucket(h: HarnessInfo, bucket: string): Promise<void> {
  const s3 = new S3Client({
    endpoint: h.s3.endpoint, region: h.s3.region, forcePathStyle: true,
    credentials: { accessKeyId: h.s3.accessKeyId, secretAccessKey: h.s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
}

/**
 * `restoreTargets:` with the staging target `homologacao` on the harness's staging PostgreSQL
 * and its MariaDB, restoring files under `filesRoot`; `targetExtra` adds lines inside the
 * target (indented 4), `rest` adds more YAML after it (e.g. other targets, indented 2).
 */
export function stagingTargetYaml(h: HarnessInfo, filesRoot: string, targetExtra = '', rest = ''): string {
  return `restoreTargets:
  homologacao:
    kind: staging
    server: clinica
    postgres: { host: 127.0.0.1, port: ${h.postgresStaging.port}, user: postgres }
    mysql: { host: 127.0.0.1, port: ${h.mariadb.port}, user: ${h.mariadb.user}, passwordEnv: TEST_MYSQL_PASSWORD }
    filesRoot: ${filesRoot}
${targetExtra}${rest}`;
}

/** Gives the fixture's server a name of its own, so the server-side lock (`backup-<server>`) never collides with backups of tests running alongside. */
export function ownServerName(doc: Document): void {
  if (!doc.hasIn(['servers', 'clinica'])) return;
  const server = `clinica_${randomBytes(3).toString('hex')}`;
  doc.setIn(['servers', server], doc.getIn(['servers', 'clinica']));
  doc.deleteIn(['servers', 'clinica']);
  for (const source of ['banco', 'prontuarios', 'arquivos']) doc.setIn(['sources', source, 'server'], server);
}

/**
 * The console tests' staging target: `homologacao`, restoring under the production names onto the
 * fixture's own (renamed) server, with the harness's staging PostgreSQL and a files root in the
 * fixture folder (returned). `sources` narrows the `local` plan (e.g. when staging has no MySQL).
 */
export function addOriginalNamesStaging(fx: Fixture, h: HarnessInfo, opts: { sources?: string[] } = {}): string {
  const restoreRoot = join(fx.dir, 'homolog');
  mkdirSync(restoreRoot);
  editConfig(fx.configPath, (doc) => {
    ownServerName(doc);
    const server = Object.keys((doc.toJS() as { servers: Record<string, unknown> }).servers)[0] ?? 'clinica';
    if (opts.sources) doc.setIn(['plans', 'local', 'sources'], doc.createNode(opts.sources));
    doc.setIn(['drill'], doc.createNode({ auto: false, target: 'homologacao' }));
    doc.setIn(['restoreTargets'], doc.createNode({
      homologacao: { kind: 'staging', names: 'original', server, postgres: { host: '127.0.0.1', port: h.postgresStaging.port, user: 'postgres' }, filesRoot: restoreRoot },
    }));
  });
  return restoreRoot;
}

export interface FixtureOptions {
  /** extra YAML appended at the end (e.g. alerts, restoreTargets) */
  extraYaml?: string;
  largeBytes?: number;
  schedule?: string;
  hostKey?: string;
  pgUser?: string;
  pgDatabase?: string;
  /** the files source's format: `tar` (format 1, what most tests assert on) unless asked */
  filesFormat?: 'tar' | 'packs';
}

export async function makeFixture(h: HarnessInfo, opts: FixtureOptions = {}): Promise<Fixture> {
  const dir = await tempDir('cofre-fx-');
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const pgDb = uniqueName('clinica');
  const myDb = uniqueName('prontuarios');
  await pgCreateDatabase(h.postgres, pgDb);
  await pgPsql(h.postgres, PG_FIXTURE_SQL, pgDb);
  await mariadbCreateDatabase(h.mariadb, myDb);
  await mariadbSql(h.mariadb, MY_FIXTURE_SQL, myDb);
  const filesDir = join(dir, 'srv');
  makeFileTree(filesDir, opts.largeBytes);
  const folderStorage = join(dir, 'storage');
  mkdirSync(folderStorage);
  const bucket = uniqueName('bucket').replace(/_/g, '-');
  await createBucket(h, bucket);
  const { identity, recipient } = generateIdentity();
  const identityFile = join(dir, 'identity.txt');
  await writeIdentityFile(identityFile, identity, recipient);
  const signingKeyFile = join(dir, 'signing_key');
  const { privateText, publicLine: signer } = generateSigningKey('cofre-test');
  writeFileSync(signingKeyFile, privateText, { mode: 0o600 });
  const configPath = join(dir, 'cofre.yaml');
  writeFileSync(
    configPath,
    `# test config
servers:
  clinica:
    host: ${h.ssh.host}
    port: ${h.ssh.port}
    user: ${h.ssh.user}
    privateKeyFile: ${h.ssh.privateKeyPath}
    hostKey: "${opts.hostKey ?? h.ssh.hostKeyFingerprint}"
    location: { provider: clinica, region: sala-servidores }
sources:
  banco:
    server: clinica
    type: postgres
    host: 127.0.0.1
    port: ${h.postgres.port}
    user: ${opts.pgUser ?? 'postgres'}
    databases: [${opts.pgDatabase ?? pgDb}]
  prontuarios:
    server: clinica
    type: mysql
    host: 127.0.0.1
    port: ${h.mariadb.port}
    user: ${h.mariadb.user}
    passwordEnv: TEST_MYSQL_PASSWORD
    databases: [${myDb}]
  arquivos:
    server: clinica
    type: files
    paths: [${join(filesDir, 'uploads')}]
    exclude: ["*.tmp"]
    format: ${opts.filesFormat ?? 'tar'}
storage:
  nuvem:
    type: s3
    endpoint: ${h.s3.endpoint}
    region: ${h.s3.region}
    bucket: ${bucket}
    prefix: cofre
    forcePathStyle: true
    accessKeyIdEnv: TEST_S3_KEY
    secretAccessKeyEnv: TEST_S3_SECRET
    location: { provider: s3rver, region: outra-regiao }
  nas:
    type: folder
    path: ${folderStorage}
    location: { provider: nas, region: predio-2 }
encryption:
  recipients: ["${recipient}"]
  identityFile: ${identityFile}
  signingKeyFile: ${signingKeyFile}
  signers: ["${signer}"]
plans:
  diario:
    sources: [banco, prontuarios, arquivos]
    storage: nuvem
    schedule: "${opts.schedule ?? '0 2 * * *'}"
    timezone: America/Sao_Paulo
    retention: { keepDays: 30, keepMin: 7 }
  local:
    sources: [banco, prontuarios, arquivos]
    storage: nas
    schedule: "0 3 * * *"
    timezone: America/Sao_Paulo
${opts.extraYaml ?? ''}`,
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    COFRE_HOME: home,
    COFRE_CONFIG: configPath,
    TEST_MYSQL_PASSWORD: h.mariadb.password,
    TEST_S3_KEY: h.s3.accessKeyId,
    TEST_S3_SECRET: h.s3.secretAccessKey,
  };
  return { dir, home, configPath, identityFile, recipient, signingKeyFile, signer, pgDb, myDb, filesDir, folderStorage, bucket, env };
}

/** A fresh folder under /tmp for a staging target's `filesRoot` (remove it in afterAll). */
export function makeRestoreRoot(label: string): string {
  const root = join('/tmp', `cofre-${label}-${process.pid}-${Date.now()}`);
  mkdirSync(root, { recursive: true });
  return root;
}

export interface FilesPlanOptions {
  /** the plan's name: it backs up the `arquivos` source alone (format 2) to `storage` */
  plan: string;
  storage: 'nas' | 'nuvem';
  /** the staging target `homologacao` restores files under this folder */
  restoreRoot: string;
  /** the size of the fixture's large file */
  largeBytes: number;
  /** extra lines inside the plan (indented 4), e.g. `    rpoHours: 10000\n` */
  planExtra?: string;
  /** the files source's pack size (small packs: a set spans several) */
  packBytes?: number;
  /** the storage's timeout in seconds (short for the hung-storage cases) */
  timeoutSeconds?: number;
  /** more plans after `plan` (YAML indented 2), e.g. one per source for tests that back each up alone */
  morePlans?: string;
  /** more restore targets after `homologacao` (YAML indented 2); those on `server: clinica` are pointed at the fixture's server too */
  moreTargets?: string;
}

/**
 * A format-2 files plan with a staging restore target on the source's own server: `makeFixture`
 * with the files source in packs, the plan `plan` (and `morePlans`) and the target `homologacao`
 * (and `moreTargets`), then the server renamed (`ownServerName`) and the targets on it pointed at
 * the new name, so restores run where the backup read.
 */
export async function filesPlanFixture(h: HarnessInfo, opts: FilesPlanOptions): Promise<Fixture> {
  const fx = await makeFixture(h, {
    filesFormat: 'packs',
    largeBytes: opts.largeBytes,
    extraYaml: `  ${opts.plan}:
    sources: [arquivos]
    storage: ${opts.storage}
    schedule: "0 4 * * *"
${opts.planExtra ?? ''}${opts.morePlans ?? ''}${stagingTargetYaml(h, opts.restoreRoot, '', opts.moreTargets ?? '')}`,
  });
  const doc = parseDocument(readFileSync(fx.configPath, 'utf8'));
  ownServerName(doc);
  const server = String(doc.getIn(['sources', 'arquivos', 'server']));
  const targets = (doc.toJS() as { restoreTargets?: Record<string, { server?: string }> }).restoreTargets ?? {};
  for (const [name, t] of Object.entries(targets)) if (t.server === 'clinica') doc.setIn(['restoreTargets', name, 'server'], server);
  if (opts.packBytes !== undefined) doc.setIn(['sources', 'arquivos', 'packBytes'], opts.packBytes);
  if (opts.timeoutSeconds !== undefined) doc.setIn(['storage', opts.storage, 'timeoutSeconds'], opts.timeoutSeconds);
  writeFileSync(fx.configPath, doc.toString());
  return fx;
}

/**
 * Writes a manifest and its signature by the fixture's signing key: for tests that stand for a set
 * made by a genuine (or compromised) backup host, so the defences after authentication are reached.
 */
export function writeSignedManifest(fx: Pick<Fixture, 'signingKeyFile'>, file: string, manifest: unknown): void {
  const bytes = Buffer.from(JSON.stringify(manifest));
  writeFileSync(`${file}.sig`, signManifest(bytes, parseSigningKey(readFileSync(fx.signingKeyFile), fx.signingKeyFile)));
  writeFileSync(file, bytes);
}
