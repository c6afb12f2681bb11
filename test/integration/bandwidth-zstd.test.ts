/**
 * Issue 15, "Bandwidth" and "compress made real", over the real harness (sshd, MariaDB, two
 * PostgreSQL clusters, folder storage, age and zstd CLIs):
 * - a plan limited to 1 MiB/s says so in its run log and in every progress report, and its set
 *   restores (MariaDB rows and files equal); the throttle's accuracy is measured in bench/, not here;
 * - MySQL dumps are compressed on the server (`.sql.zst.age`): `age -d | zstd -d | mysql` opens
 *   them by hand, the engine restores them, `verify --deep` decompresses and checks the SQL trailer
 *   (a stream that does not decompress fails), and a set made uncompressed keeps restoring;
 * - a rate that cannot parse is a config error naming the accepted forms, in pt-BR and English.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { runRestore } from '../../src-main/restore/restore.js';
import { stagingDbName } from '../../src-main/restore/target.js';
import { runbookMarkdown } from '../../src-main/restore/runbook.js';
import { encryptBuffer } from '../../src-main/crypto/age.js';
import { catalogText, isCatalogKey } from '../../shared/i18n/catalog.js';
import type { Manifest, Progress } from '../../shared/domain.js';
import { mariadbCreateDatabase } from '../harness/index.js';
import { makeFixture, stagingTargetYaml, uniqueName, writeSignedManifest, type Fixture } from '../support/backup-fixture.js';
import { myFingerprint, treeFingerprint, sh } from '../support/compare.js';
import { cofre } from '../support/cli.js';
import { createEngineServices } from '../../src-main/rpc/engine-services.js';
import type { EngineEvent } from '../../src-main/rpc/services.js';
import { translate } from '../../shared/i18n/index.js';
import { formatRate } from '../../shared/format.js';

const h = inject('harness');
const MiB = 1024 * 1024;

describe('bandwidth limit and zstd MySQL dumps (real sshd, MariaDB, folder storage, age + zstd CLIs)', () => {
  let fx: Fixture;
  let restoreRoot: string;
  let limitedSet = '';
  let myAtBackup: Record<string, string>;

  const ctxOf = (configFlag?: string): AppContext => new AppContext({ env: fx.env, ...(configFlag ? { configFlag } : {}) });
  /** a copy of the fixture's config with some keys changed */
  const variant = (name: string, edit: (doc: ReturnType<typeof parseDocument>) => void): string => {
    const doc = parseDocument(readFileSync(fx.configPath, 'utf8'));
    edit(doc);
    const file = join(fx.dir, `${name}.yaml`);
    writeFileSync(file, doc.toString());
    return file;
  };

  beforeAll(async () => {
    restoreRoot = join('/tmp', `cofre-bw-${process.pid}-${Date.now()}`);
    mkdirSync(restoreRoot, { recursive: true });
    fx = await makeFixture(h, {
      largeBytes: 2 * MiB,
      filesFormat: 'packs',
      extraYaml: `  lento:
    sources: [prontuarios, arquivos]
    storage: nas
    timezone: America/Sao_Paulo
    bandwidth: 1MiB/s
${stagingTargetYaml(h, restoreRoot)}`,
    });
  }, 120_000);

  afterAll(() => {
    if (restoreRoot) sh(`rm -rf ${restoreRoot}`);
  });

  it('a plan limited to 1 MiB/s says so in its log and progress, and its set restores', async () => {
    const ctx = ctxOf();
    const progress: Progress[] = [];
    myAtBackup = await myFingerprint(h.mariadb, fx.myDb);
    const r = await runBackup(ctx, 'lento', { onProgress: (p) => progress.push(p) });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('succeeded');
    limitedSet = r.setId;

    const log = ctx.catalog.runLog(r.runId);
    const line = log.find((l) => l.key === 'log.backup.bandwidth');
    expect(line?.message).toMatch(/bandwidth limited to 1 MB\/s .*SSH read and the upload/);
    expect(line?.params).toEqual({ rate: '1 MB/s' });
    expect(catalogText('pt-BR', 'log.backup.bandwidth', line?.params).text).toBe('Banda limitada a 1 MB/s (leitura SSH e envio)');
    // every progress report of the run carries the limit (the console shows "limitado a 1 MB/s")
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.limitBytesPerSecond === MiB)).toBe(true);

    const restored = await runRestore(ctx, { setId: r.setId, target: 'homologacao' });
    expect(restored.error).toBeUndefined();
    expect(restored.status).toBe('succeeded');
    // the target needed zstd for the compressed dump and packs, and preflight said so
    expect(restored.preflight.find((c) => c.name === 'zstd')?.ok).toBe(true);
    expect(await myFingerprint(h.mariadb, stagingDbName(fx.myDb, r.setId))).toEqual(myAtBackup);
    const original = treeFingerprint(join(fx.filesDir, 'uploads')).filter((e) => !e.path.endsWith('.tmp'));
    expect(treeFingerprint(join(restoreRoot, r.setId, fx.filesDir, 'uploads'))).toEqual(original);
    ctx.close();
  });

  it("the console's progress events carry the limit while a limited plan runs", async () => {
    const ctx = ctxOf();
    const services = createEngineServices(ctx, { pollMs: 0 });
    try {
      const events: EngineEvent[] = [];
      const finished = new Promise<EngineEvent>((resolve) => {
        services.events.subscribe((e) => {
          events.push(e);
          if (e.event === 'run.finished') resolve(e);
        });
      });
      const { runId } = await services.backup.start('lento', { actor: 'console:test' });
      expect((await finished).payload).toMatchObject({ runId, status: 'succeeded' });
      const withBytes = events.flatMap((e) => (e.event === 'run.progress' && e.payload.source !== undefined ? [e.payload] : []));
      expect(withBytes.length).toBeGreaterThan(0);
      expect(withBytes.every((p) => p.limitBytesPerSecond === MiB)).toBe(true);
      // what Execuções shows beside the rate
      expect(translate('pt-BR', 'bandwidth.limited', { rate: formatRate(withBytes[0]?.limitBytesPerSecond ?? 0, 'pt-BR') })).toBe('limitado a 1 MB/s');
      const run = await services.runs.get(runId);
      expect(run?.log.some((l) => l.key === 'log.backup.bandwidth')).toBe(true);
    } finally {
      services.close();
      ctx.close();
    }
  });

  it('the MySQL dump is stored as .sql.zst.age and opens with age -d | zstd -d | mysql', async () => {
    const setDir = join(fx.folderStorage, 'sets', limitedSet);
    const manifest = JSON.parse(readFileSync(join(setDir, 'manifest.json'), 'utf8')) as Manifest;
    const o = manifest.sources.find((s) => s.name === 'prontuarios')?.objects[0];
    expect(o?.format).toBe('sql.zst');
    expect(o?.key).toBe(`sets/${limitedSet}/prontuarios.${fx.myDb}.sql.zst.age`);
    expect(o?.rowCounts?.['prontuario']).toBe(3002);
    // compressed: the stored dump is much smaller than the SQL it holds
    const sql = sh(`age -d -i ${fx.identityFile} ${join(setDir, `prontuarios.${fx.myDb}.sql.zst.age`)} | zstd -d | wc -c`);
    expect(Number(sql.trim())).toBeGreaterThan(3 * (o?.plainBytes ?? 0));

    const target = uniqueName('zst');
    await mariadbCreateDatabase(h.mariadb, target);
    sh(`age -d -i ${fx.identityFile} ${join(setDir, `prontuarios.${fx.myDb}.sql.zst.age`)} | zstd -d | MYSQL_PWD='${h.mariadb.password}' mysql -h 127.0.0.1 -P ${h.mariadb.port} -u ${h.mariadb.user} ${target}`);
    expect(await myFingerprint(h.mariadb, target)).toEqual(myAtBackup);

    const ctx = ctxOf();
    const md = runbookMarkdown(ctx.config, { configPath: fx.configPath, generatedAt: new Date().toISOString() });
    expect(md).toContain(`prontuarios.${fx.myDb}.sql.zst.age | age -d -i ${fx.identityFile} | zstd -d | mysql -h <host> -u root ${fx.myDb}`);
    ctx.close();
  });

  it('verify --deep decompresses the dump and checks its SQL trailer; a stream that does not decompress fails', async () => {
    const ok = await cofre(['verify', limitedSet, '--deep', '--json', '--storage', 'nas'], { env: fx.env, fromSource: true });
    expect(ok.code).toBe(0);
    const checks = (ok.json as { status: string; checks: Array<{ name: string; status: string; message: string }> });
    expect(checks.status).toBe('ok');
    expect(checks.checks.find((c) => c.name === `prontuarios.${fx.myDb}.sql.zst.age`)?.message).toMatch(/SQL dump complete/);

    // a signed set whose .sql.zst object decrypts fine but is not zstd
    const setId = '20260101T020000Z-bad0e1';
    const dir = join(fx.folderStorage, 'sets', setId);
    mkdirSync(dir, { recursive: true });
    const plain = Buffer.from('-- MariaDB dump\nnot zstd at all\n-- Dump completed\n');
    const sealed = await encryptBuffer(plain, [fx.recipient]);
    const key = `sets/${setId}/prontuarios.clinica.sql.zst.age`;
    writeFileSync(join(fx.folderStorage, key), sealed);
    const { createHash } = await import('node:crypto');
    writeSignedManifest(fx, join(dir, 'manifest.json'), {
      format: 'cofre-set/2', setId, plan: 'lento', createdAt: '2026-01-01T02:00:00.000Z', finishedAt: '2026-01-01T02:01:00.000Z', recipients: [fx.recipient], cofreVersion: 'test',
      sources: [{ name: 'prontuarios', type: 'mysql', server: 'clinica', tool: 'mysqldump', toolVersion: 'test', objects: [{ part: 'clinica', format: 'sql.zst', key, bytes: sealed.length, plainBytes: plain.length, sha256: createHash('sha256').update(sealed).digest('hex') }] }],
    } satisfies Manifest);
    const bad = await cofre(['verify', setId, '--deep', '--json', '--storage', 'nas'], { env: fx.env, fromSource: true });
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    const failed = (bad.json as { checks: Array<{ name: string; status: string; message: string }> }).checks.find((c) => c.name === 'prontuarios.clinica.sql.zst.age');
    expect(failed?.status).toBe('failed');
    expect(failed?.message).toMatch(/does not decompress \(zstd: /);
    sh(`rm -rf ${dir}`);
  });

  it('a set made with compress: false stays .sql.age and restores with the engine', async () => {
    const file = variant('plain', (doc) => doc.setIn(['sources', 'prontuarios', 'compress'], false));
    const ctx = ctxOf(file);
    const r = await runBackup(ctx, 'local');
    expect(r.error).toBeUndefined();
    const manifest = JSON.parse(readFileSync(join(fx.folderStorage, 'sets', r.setId, 'manifest.json'), 'utf8')) as Manifest;
    const o = manifest.sources.find((s) => s.name === 'prontuarios')?.objects[0];
    expect(o?.format).toBe('sql');
    expect(o?.key.endsWith(`prontuarios.${fx.myDb}.sql.age`)).toBe(true);
    const restored = await runRestore(ctx, { setId: r.setId, target: 'homologacao', sources: ['prontuarios'] });
    expect(restored.error).toBeUndefined();
    expect(restored.status).toBe('succeeded');
    expect(restored.preflight.some((c) => c.name === 'zstd')).toBe(false);
    expect(await myFingerprint(h.mariadb, stagingDbName(fx.myDb, r.setId))).toEqual(myAtBackup);
    ctx.close();
  });

  it('a rate limit that cannot parse is a config error naming the accepted forms, pt-BR and English', async () => {
    const file = variant('bad-rate', (doc) => doc.setIn(['plans', 'lento', 'bandwidth'], '20 parsecs'));
    const r = await cofre(['backup', '--plan', 'lento', '--json'], { env: { ...fx.env, COFRE_CONFIG: file }, fromSource: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/plans\.lento\.bandwidth: expected a rate limit such as "20MiB\/s", "5 MB\/s".*"50Mbit\/s"/);
    const error = (r.json as { error: { code: string; key?: string; params?: Record<string, string> } }).error;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(isCatalogKey(error.key) ? error.key : undefined).toBe('config.bandwidth');
    const pt = catalogText('pt-BR', 'config.bandwidth', error.params);
    expect(pt.text).toBe(`Limite de banda inválido em ${file}, no item plans.lento.bandwidth`);
    expect(pt.action).toMatch(/"20MiB\/s", "5 MB\/s", "500KiB\/s" ou "50Mbit\/s".*window: "07:00-19:00"/);
    expect(catalogText('en', 'config.bandwidth', error.params).action).toMatch(/Use a rate such as "20MiB\/s"/);

    const window = variant('bad-window', (doc) => doc.setIn(['plans', 'lento', 'bandwidth'], doc.createNode({ limit: '20MiB/s', window: '7h-19h' })));
    const w = await cofre(['backup', '--plan', 'lento', '--json'], { env: { ...fx.env, COFRE_CONFIG: window }, fromSource: true });
    expect(w.code).not.toBe(0);
    expect((w.json as { error: { key?: string } }).error.key).toBe('config.bandwidth');
  });
});
