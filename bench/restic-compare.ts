/**
 * Cofre files format 2 against restic on the same tree, in the same run (issue 15, "Performance").
 * A tree of mixed sizes (default 20 000 files, ≈ 370 MB: 95 % text-like 0.5–8 KB, 4.7 % random
 * 50–250 KB, 0.3 % random 1–4 MB) is backed up on day 0, then for BENCH_DAYS simulated days
 * (default 7) 1 % of the files are changed each day (a third rewritten, a third deleted, a third
 * added, picked by a seeded PRNG). Each day: a Cofre backup (format `packs`, zstd on) over the
 * harness sshd into a folder storage, in its own process (the built CLI, or
 * bench/files-backup-child.ts under tsx with BENCH_COFRE=tsx; see cofreBackup), then
 * `restic backup` of the same tree into a local repo (version 2, compression auto). Per day:
 * wall time, bytes in storage (`du -sb` of Cofre's storage folder and of the restic repo), the
 * bytes changed that day, Cofre's FilesV2Stats (bytesRead over SSH, newPackBytes) and restic's
 * summary (data_added). No retention: every set/snapshot is kept. Reported, not asserted.
 * Writes bench/results-restic.json.
 *   node --import tsx bench/restic-compare.ts          (needs `restic` on PATH)
 * Env: BENCH_FILES (20000), BENCH_DAYS (7), BENCH_SIZE_FACTOR (1; multiplies the sizes of the
 * random files: 6.6 makes ≈ 2 GB), BENCH_OUT (results-restic.json, under bench/), BENCH_PG_SCALE
 * (0: none; else a `pgbench -i -s N` database on the harness PostgreSQL, backed up the same days
 * after the files: 1 % of pgbench_accounts rows updated a day; Cofre's postgres source (a full
 * `pg_dump -Fc` every day) against `pg_dump | restic backup --stdin`, each in its own storage),
 * BENCH_COFRE (cli | tsx), BENCH_PHASES, BENCH_CPU_PROF, BENCH_BASE_ROOT (see cofreBackup and
 * where the base storage is made).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startPostgres, pgCreateDatabase, pgPsql, PG_BIN, removeDir, type PostgresHandle } from '../test/harness/index.js';
import { SIZE_FACTOR, churn, makeTree } from './bench-tree.js';
import { ROOT, benchKeys, filesPlanYaml, logger, run, startBenchHarness } from './support.js';

const FILES = Number(process.env['BENCH_FILES'] ?? 20_000);
const DAYS = Number(process.env['BENCH_DAYS'] ?? 7);
const OUT = process.env['BENCH_OUT'] ?? 'results-restic.json';
/** pgbench scale of the database part (0: files only) */
const PG_SCALE = Number(process.env['BENCH_PG_SCALE'] ?? 0);
const COFRE_MODE = process.env['BENCH_COFRE'] ?? 'cli';
const PHASES = Boolean(process.env['BENCH_PHASES']);
const BASE_ROOT = process.env['BENCH_BASE_ROOT'];
const log = logger('restic-compare');


interface CofreDay { setId: string; wallMs: number; inProcessMs: number; maxRssKiB: number; files?: Array<Record<string, unknown>>; phases?: string[] }

/**
 * One Cofre backup of `plan` in a new process. BENCH_COFRE=cli (default): the built CLI as a user
 * runs it, `node bin/cofre.js --json backup --plan PLAN` (needs `npm run build`); wall = spawn to exit,
 * Node start-up and module loading included, peak RSS from /usr/bin/time. BENCH_COFRE=tsx: the
 * earlier way, bench/files-backup-child.ts under tsx, wall measured inside the process (after
 * module loading). BENCH_PHASES=1 keeps each run log line with its time (child) or arrival time
 * (cli); BENCH_CPU_PROF=DIR writes a V8 CPU profile of each Cofre process into DIR.
 */
async function cofreBackup(plan: string, env: NodeJS.ProcessEnv, what: string, root = ROOT): Promise<CofreDay> {
  const prof = process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF']}`] : [];
  if (COFRE_MODE === 'tsx') {
    const c = await run(process.execPath, [...prof, '--import', 'tsx', join(ROOT, 'bench', 'files-backup-child.ts'), plan], { env: { ...env, ...(PHASES ? { BENCH_PHASES: '1' } : {}) } });
    if (c.code !== 0) throw new Error(`cofre backup ${what} failed: ${c.stdout}\n${c.stderr.slice(-3000)}`);
    const cj = JSON.parse(c.stdout.trim().split('\n').pop() ?? '{}') as { setId: string; wallMs: number; maxRssKiB: number; files?: Array<Record<string, unknown>> };
    return { ...cj, inProcessMs: cj.wallMs, ...(PHASES ? { phases: c.stderr.split('\n').filter((l) => l.startsWith('[phase')) } : {}) };
  }
  const t0 = performance.now();
  const phaseLines: string[] = [];
  const c = await run('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, ...prof, join(root, 'bin', 'cofre.js'), '--json', 'backup', '--plan', plan], {
    env, ...(PHASES ? { onStderrLine: (l: string) => phaseLines.push(`[phase ${((performance.now() - t0) / 1000).toFixed(3)} s] ${l}`) } : {}),
  });
  if (c.code !== 0) throw new Error(`cofre backup ${what} failed: ${c.stdout}\n${c.stderr.slice(-3000)}`);
  const result = JSON.parse(c.stdout) as { setId: string; durationMs: number; files?: Array<Record<string, unknown>> };
  const rss = Number(/maxrss=(\d+)/.exec(c.stderr)?.[1] ?? 0);
  return { setId: result.setId, wallMs: c.wallMs, inProcessMs: result.durationMs, maxRssKiB: rss, ...(result.files ? { files: result.files } : {}), ...(PHASES ? { phases: phaseLines } : {}) };
}

async function duBytes(dir: string): Promise<number> {
  const r = await run('du', ['-sb', dir]);
  return Number(r.stdout.split('\t')[0]);
}

const harness = await startBenchHarness('bench-restic');
const { ssh, dir, server } = harness;
try {
  const tree = join(dir, 'tree');
  const t0 = performance.now();
  const { live, bytes: treeBytes } = makeTree(tree, FILES);
  const next = { id: FILES };
  log(`tree of ${FILES} files, ${(treeBytes / 1e6).toFixed(1)} MB, ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const keys = await benchKeys(dir);
  const storage = join(dir, 'storage');
  const home = join(dir, 'home');
  mkdirSync(storage);
  mkdirSync(home);
  const cfg = join(dir, 'cofre.yaml');
  writeFileSync(cfg, filesPlanYaml({ ssh, server, keys, sources: { arquivos: tree }, storage }));
  const cofreEnv = { ...process.env, COFRE_CONFIG: cfg, COFRE_HOME: home };
  // BENCH_BASE_ROOT: a second Cofre (another build, e.g. the code before a change) backs up the
  // same tree each day into its own storage and home, in the same run (the order alternates)
  const baseStorage = join(dir, 'storage-base');
  const baseHome = join(dir, 'home-base');
  const baseCfg = join(dir, 'cofre-base.yaml');
  if (BASE_ROOT) {
    mkdirSync(baseStorage);
    mkdirSync(baseHome);
    writeFileSync(baseCfg, readFileSync(cfg, 'utf8').replace(`path: ${storage} }`, `path: ${baseStorage} }`));
  }
  const baseEnv = { ...process.env, COFRE_CONFIG: baseCfg, COFRE_HOME: baseHome };
  const repo = join(dir, 'restic-repo');
  const resticEnv = { ...process.env, RESTIC_PASSWORD: 'bench-only-password', RESTIC_REPOSITORY: repo, RESTIC_CACHE_DIR: join(dir, 'restic-cache') };
  const init = await run('restic', ['init', '--repository-version', '2'], { env: resticEnv });
  if (init.code !== 0) throw new Error(`restic init failed: ${init.stderr}`);
  const resticVersion = (await run('restic', ['version'])).stdout.trim();

  const days: Array<Record<string, unknown>> = [];
  let cumulativeChanged = 0;
  for (let day = 0; day <= DAYS; day++) {
    const change = day === 0 ? { modified: 0, deleted: 0, added: FILES, changedBytes: treeBytes, deletedBytes: 0 } : churn(tree, live, next);
    if (day > 0) cumulativeChanged += change.changedBytes;
    const treeNow = await duBytes(tree);
    const loadBefore = loadavg()[0];
    const baseFirst = BASE_ROOT !== undefined && day % 2 === 1;
    const bj = baseFirst ? await cofreBackup('p', baseEnv, `day ${day} (base)`, BASE_ROOT) : undefined;
    const cj = await cofreBackup('p', cofreEnv, `day ${day}`);
    const bj2 = BASE_ROOT !== undefined && !baseFirst ? await cofreBackup('p', baseEnv, `day ${day} (base)`, BASE_ROOT) : bj;
    const cofreStorage = await duBytes(storage);
    // where Cofre's bytes are: packs, the sealed pack id lists, and the sets (index, restore.sh, manifest, signature)
    const cofreParts = { packs: await duBytes(join(storage, 'packs')), packIds: await duBytes(join(storage, 'pack-ids')), sets: await duBytes(join(storage, 'sets')) };
    // the set's index as stored (age over zstd with compress on): the part of a day's growth that is not new content
    const manifest = JSON.parse(readFileSync(join(storage, 'sets', cj.setId, 'manifest.json'), 'utf8')) as { indexes?: Record<string, { key: string; bytes: number }> };
    const index = manifest.indexes?.['arquivos'];
    log(`day ${day}: cofre ${(cj.wallMs / 1000).toFixed(1)} s, storage ${(cofreStorage / 1e6).toFixed(1)} MB`);
    const r = await run('restic', ['backup', '--json', '--host', 'bench', tree], { env: resticEnv, maxStdout: 200_000 });
    if (r.code !== 0) throw new Error(`restic backup day ${day} failed: ${r.stderr.slice(-3000)}`);
    // stdout keeps only its tail (status lines), so only the summary line is parsed
    const summaryLine = r.stdout.trim().split('\n').find((l) => l.startsWith('{"message_type":"summary"'));
    const summary = summaryLine ? (JSON.parse(summaryLine) as Record<string, unknown>) : {};
    const resticStorage = await duBytes(repo);
    const row = {
      day,
      files: live.size,
      treeBytes: treeNow,
      ...change,
      loadAvg1Before: loadBefore,
      cofre: { wallS: cj.wallMs / 1000, inProcessS: cj.inProcessMs / 1000, mode: COFRE_MODE, ...(cj.phases ? { phases: cj.phases } : {}), storageBytes: cofreStorage, parts: cofreParts, indexKey: index?.key.split('/').pop(), indexBytes: index?.bytes, peakRssMiB: cj.maxRssKiB / 1024, stats: cj.files?.[0] },
      ...(bj2 ? { cofreBase: { root: BASE_ROOT, ranFirst: baseFirst, wallS: bj2.wallMs / 1000, inProcessS: bj2.inProcessMs / 1000, ...(bj2.phases ? { phases: bj2.phases } : {}), storageBytes: await duBytes(baseStorage), peakRssMiB: bj2.maxRssKiB / 1024, stats: bj2.files?.[0] } } : {}),
      restic: { wallS: r.wallMs / 1000, storageBytes: resticStorage, dataAdded: summary['data_added'], filesNew: summary['files_new'], filesChanged: summary['files_changed'] },
    };
    days.push(row);
    log(`day ${day}: changed ${(change.changedBytes / 1e6).toFixed(1)} MB (${change.modified} mod, ${change.added} add, ${change.deleted} del), load ${loadBefore?.toFixed(1)}; ` +
      `cofre ${row.cofre.wallS.toFixed(1)} s, storage ${(cofreStorage / 1e6).toFixed(1)} MB (packs ${(cofreParts.packs / 1e6).toFixed(2)}, pack-ids ${(cofreParts.packIds / 1e6).toFixed(2)}, sets ${(cofreParts.sets / 1e6).toFixed(2)}), read ${(Number(cj.files?.[0]?.['bytesRead'] ?? 0) / 1e6).toFixed(1)} MB; ` +
      `restic ${row.restic.wallS.toFixed(1)} s, storage ${(resticStorage / 1e6).toFixed(1)} MB${bj2 ? `; base cofre ${(bj2.wallMs / 1000).toFixed(1)} s` : ''}`);
  }

  const dbDays: Array<Record<string, unknown>> = [];
  if (PG_SCALE > 0) {
    const pg: PostgresHandle = await startPostgres();
    try {
      await pgCreateDatabase(pg, 'bench');
      const init = await run(join(PG_BIN, 'pgbench'), ['-i', '-q', '-s', String(PG_SCALE), '-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres', 'bench']);
      if (init.code !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
      const dbStorage = join(dir, 'dbstorage');
      const dbHome = join(dir, 'dbhome');
      mkdirSync(dbStorage);
      mkdirSync(dbHome);
      const dbCfg = join(dir, 'cofre-db.yaml');
      writeFileSync(dbCfg, `servers:
  ${server}: { host: 127.0.0.1, port: ${ssh.port}, user: ${ssh.user}, privateKeyFile: ${ssh.privateKeyPath}, hostKey: "${ssh.hostKeyFingerprint}" }
sources:
  banco: { server: ${server}, type: postgres, host: 127.0.0.1, port: ${pg.port}, user: postgres, databases: [bench] }
storage:
  nas: { type: folder, path: ${dbStorage} }
encryption: { recipients: ["${keys.recipient}"], identityFile: ${keys.idFile}, signingKeyFile: ${keys.signingKeyFile}, signers: ["${keys.signer}"] }
plans:
  db: { sources: [banco], storage: nas }
`);
      const dbEnv = { ...process.env, COFRE_CONFIG: dbCfg, COFRE_HOME: dbHome };
      const dbRepo = join(dir, 'restic-db');
      const dbResticEnv = { ...resticEnv, RESTIC_REPOSITORY: dbRepo };
      const dbInit = await run('restic', ['init', '--repository-version', '2'], { env: dbResticEnv });
      if (dbInit.code !== 0) throw new Error(`restic init (db) failed: ${dbInit.stderr}`);
      const dbBytes = Number((await pgPsql(pg, 'SELECT pg_database_size(current_database())', 'bench')).trim());
      for (let day = 0; day <= DAYS; day++) {
        if (day > 0) await pgPsql(pg, `UPDATE pgbench_accounts SET abalance = abalance + ${day}, filler = md5(random()::text) WHERE aid % 100 = ${day}`, 'bench');
        const cj = await cofreBackup('db', dbEnv, `db day ${day}`);
        const cofreStorage = await duBytes(dbStorage);
        const dump = `${join(PG_BIN, 'pg_dump')} -h 127.0.0.1 -p ${pg.port} -U postgres -w -d bench | restic backup --json --host bench --stdin --stdin-filename bench.sql`;
        const r = await run('bash', ['-c', `set -o pipefail; ${dump}`], { env: dbResticEnv, maxStdout: 200_000 });
        if (r.code !== 0) throw new Error(`restic db backup day ${day} failed: ${r.stderr.slice(-3000)}`);
        const resticStorage = await duBytes(dbRepo);
        const row = { day, dbBytes, cofre: { wallS: cj.wallMs / 1000, inProcessS: cj.inProcessMs / 1000, mode: COFRE_MODE, ...(cj.phases ? { phases: cj.phases } : {}), storageBytes: cofreStorage }, restic: { wallS: r.wallMs / 1000, storageBytes: resticStorage } };
        dbDays.push(row);
        log(`db day ${day}: cofre ${row.cofre.wallS.toFixed(1)} s, storage ${(cofreStorage / 1e6).toFixed(1)} MB; restic ${row.restic.wallS.toFixed(1)} s, storage ${(resticStorage / 1e6).toFixed(1)} MB`);
      }
    } finally {
      await pg.stop();
    }
  }

  const first = days[0] as { cofre: { wallS: number; storageBytes: number }; restic: { wallS: number; storageBytes: number } };
  const last = days[days.length - 1] as typeof first;
  const incr = days.slice(1) as Array<typeof first>;
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const ratios: Record<string, number> = {};
  for (const tool of ['cofre', 'restic'] as const) {
    const growthPerDay = (last[tool].storageBytes - first[tool].storageBytes) / DAYS;
    ratios[`${tool}StorageVsFirstPlusChanged`] = last[tool].storageBytes / (first[tool].storageBytes + cumulativeChanged);
    ratios[`${tool}IncrementalWallVsFull`] = mean(incr.map((d) => d[tool].wallS)) / first[tool].wallS;
    ratios[`${tool}GrowthPerDayBytes`] = growthPerDay;
    /** 30 daily sets kept, in copies of the first full: (full + 29 days of growth) / full */
    ratios[`${tool}Projection30DaysInFulls`] = (first[tool].storageBytes + 29 * growthPerDay) / first[tool].storageBytes;
  }
  ratios['cofreVsResticStorageDay0'] = first.cofre.storageBytes / first.restic.storageBytes;
  ratios['cofreVsResticStorageLast'] = last.cofre.storageBytes / last.restic.storageBytes;
  ratios['cofreVsResticWallFull'] = first.cofre.wallS / first.restic.wallS;
  ratios['cofreVsResticWallIncremental'] = mean(incr.map((d) => d.cofre.wallS)) / mean(incr.map((d) => d.restic.wallS));
  ratios['cumulativeChangedBytes'] = cumulativeChanged;
  if (BASE_ROOT) {
    const based = days.slice(1) as Array<{ cofre: { wallS: number; inProcessS: number }; cofreBase: { wallS: number; inProcessS: number }; restic: { wallS: number } }>;
    ratios['cofreVsBaseWallIncremental'] = mean(based.map((d) => d.cofre.wallS)) / mean(based.map((d) => d.cofreBase.wallS));
    ratios['cofreVsBaseInProcessIncremental'] = mean(based.map((d) => d.cofre.inProcessS)) / mean(based.map((d) => d.cofreBase.inProcessS));
    ratios['baseVsResticWallIncremental'] = mean(based.map((d) => d.cofreBase.wallS)) / mean(based.map((d) => d.restic.wallS));
    ratios['cofreIncrementalWallVsFullAsUserRuns'] = mean(based.map((d) => d.cofre.wallS)) / first.cofre.wallS;
  }

  const report = { at: new Date().toISOString(), sizeFactor: SIZE_FACTOR, machine: { cpus: cpus().length, node: process.version, restic: resticVersion, loadAvgAtEnd: loadavg() }, files: FILES, treeBytes, days: DAYS, results: days, ratios, pgbenchScale: PG_SCALE, database: dbDays };
  writeFileSync(join(ROOT, 'bench', OUT), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(ratios, null, 2)}\n`);
} finally {
  await harness.stop();
  await removeDir(dir);
}
