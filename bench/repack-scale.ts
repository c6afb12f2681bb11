/**
 * `cofre repack` at scale (issue 15): peak RSS and wall time of a repack whose sets hold N files,
 * against the raw pipeline on the same objects in the same run.
 * For each N (default 10000, 100000): a real tree of N small files (unique contents of 100–300
 * bytes, 500 per folder) on the harness sshd; day 1 backs it up; day 2 deletes 4 files in 5 and
 * adds as many new ones (other names, other contents), so the tree keeps N files; day 3 changes 1%;
 * then `cofre forget` day 1. Day 1's packs are then about 20% live, and both remaining sets
 * (N entries each) reference them. The repack runs in a new process (bench/repack-child.ts,
 * repackStorage as the CLI calls it); peak RSS = that process's maxRSS.
 * Raw pipeline, on the same objects after the repack (repack deletes no pack): each repacked pack
 * `age -d | zstd -d | tar -x`, its live members (those in the new packs) `tar -c | zstd | age -r`,
 * and each remaining set's index read (`age -d | zstd -d`) and rewritten (`… | zstd -1 | age -r`),
 * as repack reads the indexes once to plan and once to rewrite them. Ratio = repack / raw.
 * Then `cofre verify --deep` of each remaining set (not timed) says the repacked sets are whole.
 * BENCH_BEFORE_ROOT=dir: a checkout of an earlier commit; its repack runs first on a copy of the
 * same storage and home, for a before/after in the same run.
 *   flock /tmp/cofre-bench.lock node --import tsx bench/repack-scale.ts [N ...]
 * Writes bench/results-repack-scale.json (runs already in it move to `earlierRuns`).
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { removeDir } from '../test/harness/index.js';
import { ROOT, backupInChild, benchKeys, filesPlanYaml, logger, readResults, reportKeepingEarlier, run, startBenchHarness, writeResults } from './support.js';

const SIZES = process.argv.slice(2).map(Number).filter((n) => n > 0);
if (SIZES.length === 0) SIZES.push(10_000, 100_000);
const BEFORE_ROOT = process.env['BENCH_BEFORE_ROOT'];
const log = logger('repack-scale');

/** A shell pipeline, checked; returns its wall seconds. */
async function sh(script: string, cwd: string): Promise<number> {
  const r = await run('sh', ['-c', `set -e; ${script}`], { cwd });
  if (r.code !== 0) throw new Error(`raw pipeline failed: ${script}\n${r.stderr.slice(-2000)}`);
  return r.wallMs / 1000;
}

const filler = 'paciente exame consulta laudo receita retorno hemograma glicemia '.repeat(5);
const content = (i: number, tag: string): string => `${tag}${i};${filler.slice(0, 100 + ((i * 7919) % 200))}\n`;
const folderOf = (dir: string, i: number): string => join(dir, `d${String(Math.floor(i / 500)).padStart(5, '0')}`);

function makeTree(dir: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const folder = folderOf(dir, i);
    if (i % 500 === 0) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `exame-${i}.txt`), content(i, ''));
  }
}

/** Day 2: 4 files in 5 deleted, as many new ones (other names, other contents). */
function replaceMost(dir: string, n: number): void {
  for (let i = 0; i < n; i++) {
    if (i % 5 === 0) continue;
    rmSync(join(folderOf(dir, i), `exame-${i}.txt`));
    writeFileSync(join(folderOf(dir, i), `novo-${i}.txt`), content(i, 'novo '));
  }
}

/** Day 3: 1% of the files changed. */
function changeFew(dir: string, n: number): void {
  for (let i = 0; i < n; i += 100) writeFileSync(join(folderOf(dir, i), `exame-${i}.txt`), content(i, 'dia 3 '));
}

interface ChildOut { wallMs: number; cpuS: number; maxRssKiB: number; result: { repacked: Array<{ key: string }>; newPacks: string[]; setsRewritten: string[]; bytesBefore: number; bytesAfter: number; liveBytes: number } }

async function repackIn(root: string, env: NodeJS.ProcessEnv, label: string): Promise<ChildOut & { processWallS: number }> {
  const child = join(root, 'bench', 'repack-child.ts');
  if (!existsSync(child)) copyFileSync(join(ROOT, 'bench', 'repack-child.ts'), child);
  const r = await run(process.execPath, ['--import', 'tsx', child, 'nas'], { env, cwd: root });
  if (r.code !== 0) throw new Error(`repack (${label}) failed: ${r.stdout}\n${r.stderr.slice(-3000)}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as ChildOut;
  return { ...j, processWallS: r.wallMs / 1000 };
}

const { ssh, dir, server: SERVER, stop } = await startBenchHarness('bench-repack-scale');
const results: Array<Record<string, unknown>> = [];
const loadAvgAtStart = loadavg();
try {
  const keys = await benchKeys(dir);
  const { recipient, idFile } = keys;
  for (const n of SIZES) {
    const tree = join(dir, `tree-${n}`);
    const storage = join(dir, `storage-${n}`);
    const home = join(dir, `home-${n}`);
    mkdirSync(storage);
    mkdirSync(home);
    const cfg = join(dir, `cofre-${n}.yaml`);
    const yaml = (st: string): string => filesPlanYaml({ ssh, server: SERVER, keys, sources: { arquivos: tree }, storage: st });
    writeFileSync(cfg, yaml(storage));
    const env = { ...process.env, COFRE_CONFIG: cfg, COFRE_HOME: home };
    const row: Record<string, unknown> = { files: n };
    const setIds: string[] = [];
    const backup = async (label: string): Promise<void> => {
      const j = await backupInChild('p', env, `${label} (${n})`);
      setIds.push(j.setId);
      log(`${n} files, backup ${label}: ${(j.wallMs / 1000).toFixed(1)} s, peak RSS ${(j.maxRssKiB / 1024).toFixed(1)} MiB`);
    };
    const t0 = performance.now();
    makeTree(tree, n);
    log(`tree of ${n} files in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await backup('day 1');
    replaceMost(tree, n);
    await backup('day 2 (4 files in 5 replaced)');
    changeFew(tree, n);
    await backup('day 3 (1% changed)');
    const f = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src-main', 'cli', 'main.ts'), 'forget', setIds[0] ?? '', '--yes', '--storage', 'nas'], { env });
    if (f.code !== 0) throw new Error(`forget failed: ${f.stderr.slice(-2000)}`);

    if (BEFORE_ROOT) {
      // the earlier commit's repack on a copy of the same storage and home
      const storageB = `${storage}-before`;
      const homeB = `${home}-before`;
      cpSync(storage, storageB, { recursive: true });
      cpSync(home, homeB, { recursive: true });
      const cfgB = join(dir, `cofre-${n}-before.yaml`);
      writeFileSync(cfgB, yaml(storageB));
      const b = await repackIn(BEFORE_ROOT, { ...process.env, COFRE_CONFIG: cfgB, COFRE_HOME: homeB }, 'before');
      row['repackBefore'] = { wallS: b.wallMs / 1000, processWallS: b.processWallS, cpuS: b.cpuS, peakRssMiB: b.maxRssKiB / 1024 };
      log(`${n} files, repack (before): ${(b.wallMs / 1000).toFixed(1)} s, peak RSS ${(b.maxRssKiB / 1024).toFixed(1)} MiB`);
      await removeDir(storageB);
      await removeDir(homeB);
    }

    const a = await repackIn(ROOT, env, 'after');
    const r = a.result;
    log(`${n} files, repack: ${(a.wallMs / 1000).toFixed(1)} s (process ${a.processWallS.toFixed(1)} s), peak RSS ${(a.maxRssKiB / 1024).toFixed(1)} MiB; ${r.repacked.length} pack(s) → ${r.newPacks.length}; sets ${r.setsRewritten.join(', ')}`);
    if (r.repacked.length === 0 || r.setsRewritten.length !== 2) throw new Error(`the repack did not rewrite what this bench set up: ${JSON.stringify(r)}`);

    // the raw pipeline on the same objects
    const raw = join(dir, `raw-${n}`);
    mkdirSync(join(raw, 'old'), { recursive: true });
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const zstdOf = (key: string): string => (key.includes('.zst.') ? ' | zstd -d -q' : '');
    let rawRead = 0;
    for (const p of r.repacked) rawRead += await sh(`age -d -i ${q(idFile)} ${q(p.key)}${zstdOf(p.key)} | tar -x -C ${q(join(raw, 'old'))}`, storage);
    const live = join(raw, 'live.list');
    await sh(`: > ${q(live)}; for p in ${r.newPacks.map(q).join(' ')}; do age -d -i ${q(idFile)} "$p"${zstdOf(r.newPacks[0] ?? '')} | tar -t >> ${q(live)}; done`, storage);
    const liveMembers = readFileSync(live, 'utf8').split('\n').filter(Boolean).length;
    const rawWrite = await sh(`tar -c -C ${q(join(raw, 'old'))} -T ${q(live)} | zstd -q -3 -T0 | age -r ${q(recipient)} > ${q(join(raw, 'new.tar.zst.age'))}`, storage);
    let rawIndexes = 0;
    for (const setId of r.setsRewritten) {
      const m = JSON.parse(readFileSync(join(storage, 'sets', setId, 'manifest.json'), 'utf8')) as { indexes?: Record<string, { key: string }> };
      for (const ix of Object.values(m.indexes ?? {})) {
        rawIndexes += await sh(`age -d -i ${q(idFile)} ${q(ix.key)}${zstdOf(ix.key)} > /dev/null`, storage);
        rawIndexes += await sh(`age -d -i ${q(idFile)} ${q(ix.key)}${zstdOf(ix.key)} | zstd -q -1 | age -r ${q(recipient)} > /dev/null`, storage);
      }
    }
    const rawS = rawRead + rawWrite + rawIndexes;
    log(`${n} files, raw pipeline: read ${rawRead.toFixed(2)} s, write ${rawWrite.toFixed(2)} s (${liveMembers} live members), indexes ${rawIndexes.toFixed(2)} s; repack / raw = ${((a.wallMs / 1000) / rawS).toFixed(2)}`);
    await removeDir(raw);

    // the repacked sets are whole
    const verified: Record<string, boolean> = {};
    for (const setId of r.setsRewritten) {
      const v = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src-main', 'cli', 'main.ts'), 'verify', setId, '--deep', '--storage', 'nas', '--json'], { env });
      verified[setId] = v.code === 0;
      if (v.code !== 0) log(`verify --deep ${setId} FAILED: ${v.stdout.slice(-1000)} ${v.stderr.slice(-1000)}`);
    }
    row['repack'] = {
      wallS: a.wallMs / 1000, processWallS: a.processWallS, cpuS: a.cpuS, peakRssMiB: a.maxRssKiB / 1024,
      packsRepacked: r.repacked.length, newPacks: r.newPacks.length, bytesBefore: r.bytesBefore, bytesAfter: r.bytesAfter, liveBytes: r.liveBytes,
      setsRewritten: r.setsRewritten.length, liveMembers,
    };
    row['raw'] = { readS: rawRead, writeS: rawWrite, indexesS: rawIndexes, totalS: rawS };
    row['ratio'] = (a.wallMs / 1000) / rawS;
    row['verifiedDeep'] = verified;
    results.push(row);
    await removeDir(storage);
    await removeDir(tree);
  }
  const earlier = readResults<{ at: string; machine: unknown; note: string; results: unknown[]; earlierRuns: unknown[] }>('results-repack-scale.json');
  const report = reportKeepingEarlier(loadAvgAtStart, results, [...(earlier.results ? [{ at: earlier.at, machine: earlier.machine, note: earlier.note, results: earlier.results }] : []), ...(earlier.earlierRuns ?? [])]);
  writeResults('results-repack-scale.json', report);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await stop();
  await removeDir(dir).catch(() => undefined);
}
