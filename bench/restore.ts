/**
 * Restore benchmark (issue 6): Cofre's restore of a PostgreSQL database vs the raw
 * `age -d -i id obj | pg_restore -d` by hand on the same object in the same run, plus a files
 * restore, and the projection for 50 GB of database + 500 GB of files from the measured rates.
 * Run: node --import tsx bench/restore.ts [dbMiB=200] [filesMiB=300]
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startSshd, startPostgres, stopOnSignal, pgPsql, pgCreateDatabase, tempDir, removeDir, PG_BIN } from '../test/harness/index.js';
import { generateIdentity, writeIdentityFile } from '../src-main/crypto/age.js';
import { AppContext } from '../src-main/app/context.js';
import { runBackup } from '../src-main/backup/run.js';
import { runRestore } from '../src-main/restore/restore.js';
import { formatBytes, formatDuration, formatRate } from '../shared/format.js';

const dbMiB = Number(process.argv[2] ?? '200');
const filesMiB = Number(process.argv[3] ?? '300');
const [ssh, pg, stg] = await Promise.all([startSshd(), startPostgres(), startPostgres()]);
const keepSignals = stopOnSignal(() => Promise.allSettled([ssh.stop(), pg.stop(), stg.stop()]));
const dir = await tempDir('bench-restore');
try {
  const rows = Math.round((dbMiB * 1024 * 1024) / 250);
  await pgCreateDatabase(pg, 'clinica');
  await pgPsql(pg, `CREATE TABLE t (id int PRIMARY KEY, a text, b text); INSERT INTO t SELECT g, md5(g::text), md5(random()::text) || repeat(md5(g::text), 6) FROM generate_series(1, ${rows}) g; CREATE INDEX ON t (a);`, 'clinica');
  const files = join(dir, 'files', 'uploads');
  mkdirSync(files, { recursive: true });
  for (let i = 0; i < Math.max(1, filesMiB / 10); i++) writeFileSync(join(files, `f${i}.bin`), randomBytes(10 * 1024 * 1024));
  const storage = join(dir, 'storage');
  mkdirSync(storage);
  const { identity, recipient } = generateIdentity();
  const idFile = join(dir, 'id.txt');
  await writeIdentityFile(idFile, identity, recipient);
  const cfg = join(dir, 'cofre.yaml');
  writeFileSync(cfg, `servers:
  s: { host: 127.0.0.1, port: ${ssh.port}, user: ${ssh.user}, privateKeyFile: ${ssh.privateKeyPath}, hostKey: "${ssh.hostKeyFingerprint}" }
sources:
  banco: { server: s, type: postgres, port: ${pg.port}, user: postgres, databases: [clinica] }
  arquivos: { server: s, type: files, paths: [${files}] }
storage:
  nas: { type: folder, path: ${storage} }
encryption: { recipients: ["${recipient}"], identityFile: ${idFile} }
plans:
  p: { sources: [banco, arquivos], storage: nas }
restoreTargets:
  h: { kind: staging, server: s, postgres: { port: ${stg.port}, user: postgres }, filesRoot: ${join(dir, 'restored')} }
`);
  const home = join(dir, 'home');
  mkdirSync(home);
  const ctx = new AppContext({ env: { ...process.env, COFRE_HOME: home, COFRE_CONFIG: cfg } });
  const b = await runBackup(ctx, 'p');
  if (b.status !== 'succeeded') throw new Error(b.error?.message);
  const pgObj = join(storage, 'sets', b.setId, 'banco.clinica.pgdump.age');
  const pgBytes = b.sources.find((s) => s.name === 'banco.clinica')?.bytes ?? 0;
  const filesBytes = b.sources.find((s) => s.name === 'arquivos.files')?.bytes ?? 0;

  await pgCreateDatabase(stg, 'raw');
  const t0 = Date.now();
  execSync(`set -o pipefail; age -d -i ${idFile} ${pgObj} | ${PG_BIN}/pg_restore --no-owner --no-privileges --exit-on-error -h 127.0.0.1 -p ${stg.port} -U postgres -d raw`, { shell: '/bin/bash' });
  const rawMs = Date.now() - t0;

  const r = await runRestore(ctx, { setId: b.setId, target: 'h', sources: ['banco'] });
  if (r.status !== 'succeeded') throw new Error(r.error?.message);
  const cofreMs = r.phases.find((p) => p.phase === 'transfer')?.durationMs ?? 0;
  const f = await runRestore(ctx, { setId: b.setId, target: 'h', sources: ['arquivos'] });
  if (f.status !== 'succeeded') throw new Error(f.error?.message);
  const filesMs = f.phases.find((p) => p.phase === 'transfer')?.durationMs ?? 1;

  const dbRate = (pgBytes * 1000) / cofreMs;
  const filesRate = (filesBytes * 1000) / filesMs;
  const GB = 1024 ** 3;
  const projectedMs = ((50 * GB) / dbRate + (500 * GB) / filesRate) * 1000;
  const result = {
    db: { storedBytes: pgBytes, rawMs, cofreTransferMs: cofreMs, cofreTotalMs: r.rtoMs, ratioVsRaw: Number((rawMs / cofreMs).toFixed(3)), rate: Math.round(dbRate) },
    files: { storedBytes: filesBytes, transferMs: filesMs, rate: Math.round(filesRate) },
    projection: { dbGB: 50, filesGB: 500, projectedMs: Math.round(projectedMs), fits4h: projectedMs <= 4 * 3600_000 },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`database ${formatBytes(pgBytes)}: raw age|pg_restore ${formatDuration(rawMs)}, Cofre transfer ${formatDuration(cofreMs)} (${(rawMs / cofreMs).toFixed(2)}× raw speed, target ≥ 0.9)\n`);
  process.stderr.write(`files ${formatBytes(filesBytes)} at ${formatRate(filesRate)}; projection 50 GB db + 500 GB files: ${formatDuration(projectedMs)} (${result.projection.fits4h ? 'fits' : 'DOES NOT fit'} 4 h)\n`);
  ctx.close();
} finally {
  await Promise.allSettled([ssh.stop(), pg.stop(), stg.stop()]);
  keepSignals();
  await removeDir(dir);
}
