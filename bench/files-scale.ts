/**
 * Format 2 at scale (issue 15, "Performance"): peak RSS of a files backup with N files, and the
 * restore of the same set both ways: restore.sh under `env -i PATH=/usr/bin:/bin sh`, and Cofre's
 * own restore (`cofre restore <set> --target` a staging target on the same sshd).
 * For each N (default 1000, 100000): a real tree of N small files (unique contents of 100–300
 * bytes, 500 per folder, one symlink per 1000 files) on the harness sshd; a first backup (every
 * file read over SSH and packed) and a second one (nothing changed: listing, dedup look-ups,
 * index), each in a new process (bench/files-backup-child.ts); its peak RSS is the Node
 * process's (process.resourceUsage().maxRSS). Then, for the largest N, restore.sh from the
 * storage root, timed, and the restored tree compared with the source (paths + SHA-256).
 * The comparison covers every entry: paths and SHA-256 of the bytes (`identical`), and type, mode,
 * owner, mtime to the nanosecond, size and symlink target (`metadataIdentical`); the first
 * differing entries are listed (`differences`). Each restore is split in two phases by watching its
 * stage folder: the packs (read, hash-checked, decrypted, unpacked into the stage) until placing
 * starts (restore.sh: the stage's `.meta` appears; `cofre restore`: `.place.sh` is uploaded), then
 * placement (PLACE_SH) to the end. Reported, not asserted. Writes bench/results-files-scale.json;
 * the runs already in it move to its `earlierRuns`.
 *   node --import tsx bench/files-scale.ts [N ...] [--restore N ...]   e.g. 1000 100000 --restore 10000 100000
 * Env: BENCH_KEEP_TREE=dir reuses/keeps a generated tree root (trees take minutes at 1M);
 * BENCH_FIRST_ONLY=1 skips the second backup; BENCH_NOTE=text is stored as the run's note.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { removeDir } from '../test/harness/index.js';
import { PLACE_SH } from '../src-main/files2/restore-script.js';
import { ROOT, backupInChild, benchKeys, filesPlanYaml, logger, readResults, reportKeepingEarlier, run, startBenchHarness, writeResults } from './support.js';

const argv = process.argv.slice(2);
const cut = argv.indexOf('--restore');
const SIZES = (cut < 0 ? argv : argv.slice(0, cut)).map(Number).filter((n) => n > 0);
if (SIZES.length === 0) SIZES.push(1000, 100_000);
const RESTORE_SIZES = cut < 0 ? [Math.max(...SIZES)] : argv.slice(cut + 1).map(Number).filter((n) => n > 0);
const BEFORE_ROOT = process.env['BENCH_BEFORE_ROOT'];
/** the largest N the earlier commit is timed at too (its per-file placement takes about 35 min at 100k) */
const BEFORE_UPTO = Number(process.env['BENCH_BEFORE_UPTO'] ?? '10000');
const log = logger('files-scale');

/** N files of 100–300 unique bytes, 500 a folder, a symlink every 1000 files. Kept if already made. */
function makeTree(dir: string, n: number): void {
  if (existsSync(join(dir, '.complete'))) return;
  mkdirSync(dir, { recursive: true });
  const filler = 'paciente exame consulta laudo receita retorno hemograma glicemia '.repeat(5);
  for (let i = 0; i < n; i++) {
    const folder = join(dir, `d${String(Math.floor(i / 500)).padStart(5, '0')}`);
    if (i % 500 === 0) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `exame-${i}.txt`), `${i};${filler.slice(0, 100 + ((i * 7919) % 200))}\n`);
    if (i % 1000 === 999) symlinkSync(`exame-${i}.txt`, join(folder, `link-${i}`));
  }
  writeFileSync(join(dir, '.complete'), '');
}

/** Every entry of a tree (the root included, as `.`): `path -> type mode owner group mtime size target`, and `path -> SHA-256` for files. */
async function treeListing(dir: string): Promise<{ meta: Map<string, string>; sha: Map<string, string> }> {
  // %T@ is the mtime to the nanosecond; %s of a folder (its block size) depends on how it was filled, so folders print 0
  const m = await run('sh', ['-c', 'cd "$1" && find . \\( -type d -printf "%p\\t%y %m %u %g %T@ 0 \\0" \\) -o -printf "%p\\t%y %m %u %g %T@ %s %l\\0"', 'sh', dir]);
  const h = await run('sh', ['-c', 'cd "$1" && find . -type f -print0 | xargs -0 -r sha256sum -z', 'sh', dir]);
  if (m.code !== 0 || h.code !== 0) throw new Error(`listing ${dir} failed: ${m.stderr}${h.stderr}`);
  const meta = new Map<string, string>();
  for (const rec of m.stdout.split('\0')) {
    const tab = rec.indexOf('\t');
    if (tab > 0) meta.set(rec.slice(0, tab), rec.slice(tab + 1));
  }
  const sha = new Map<string, string>();
  for (const rec of h.stdout.split('\0')) if (rec.length > 66) sha.set(rec.slice(66), rec.slice(0, 64));
  return { meta, sha };
}

interface Comparison { identical: boolean; metadataIdentical: boolean; entries: number; differences?: string[] }

/** The restored tree against the source, entry by entry; the first 20 differences are named. */
async function compareTrees(source: string, restored: string): Promise<Comparison> {
  const [a, b] = [await treeListing(source), await treeListing(restored)];
  const differences: string[] = [];
  let identical = a.sha.size === b.sha.size;
  let metadataIdentical = a.meta.size === b.meta.size;
  const note = (d: string): void => { if (differences.length < 20) differences.push(d); };
  for (const [path, sum] of a.sha) {
    const got = b.sha.get(path);
    if (got !== sum) { identical = false; note(`${path}: bytes ${got === undefined ? 'missing' : `SHA-256 ${got} instead of ${sum}`}`); }
  }
  for (const [path, want] of a.meta) {
    const got = b.meta.get(path);
    if (got !== want) {
      metadataIdentical = false;
      if (got === undefined) identical = false;
      note(`${path}: ${got === undefined ? 'missing' : `"${got}" instead of "${want}"`}`);
    }
  }
  for (const path of b.meta.keys()) {
    if (!a.meta.has(path)) { identical = false; metadataIdentical = false; note(`${path}: not in the source`); }
  }
  return { identical, metadataIdentical, entries: a.meta.size, ...(differences.length > 0 ? { differences } : {}) };
}

/** Watches a folder for a stage (`.cofre-stage.*`, at most `depth` levels down) holding `marker`; resolves with the seconds since t0 when it first appears. */
function watchPhase(root: string, marker: string, t0: number, depth = 2): { stop: () => number | undefined } {
  let seen: number | undefined;
  let stopped = false;
  const look = async (dir: string, level: number): Promise<boolean> => {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith('.cofre-stage.') && existsSync(join(dir, name, marker))) return true;
      if (level < depth && !name.startsWith('.') && !/^d\d{5}$/.test(name) && (await look(join(dir, name), level + 1))) return true;
    }
    return false;
  };
  const tick = async (): Promise<void> => {
    while (!stopped && seen === undefined) {
      if (await look(root, 0)) seen = (performance.now() - t0) / 1000;
      else await new Promise((r) => setTimeout(r, 250));
    }
  };
  void tick();
  return { stop: () => { stopped = true; return seen; } };
}

/** Wall seconds split at the start of placement (undefined when the stage was never seen). */
function phases(totalS: number, placeFromS: number | undefined): Record<string, number> | undefined {
  return placeFromS === undefined ? undefined : { packsS: placeFromS, placeS: totalS - placeFromS };
}

const { ssh, dir, server: SERVER, stop } = await startBenchHarness('bench-files-scale');
const treesRoot = process.env['BENCH_KEEP_TREE'] ?? join(dir, 'trees');
const results: Array<Record<string, unknown>> = [];
const loadAvgAtStart = loadavg();
try {
  const keys = await benchKeys(dir);
  const { idFile } = keys;
  for (const n of SIZES) {
    const tree = join(treesRoot, `n${n}`);
    let t0 = performance.now();
    makeTree(tree, n);
    log(`tree of ${n} files ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const storage = join(dir, `storage-${n}`);
    const home = join(dir, `home-${n}`);
    mkdirSync(storage);
    mkdirSync(home);
    const cfg = join(dir, `cofre-${n}.yaml`);
    writeFileSync(cfg, filesPlanYaml({ ssh, server: SERVER, keys, sources: { arquivos: tree }, storage, restoreTargets: { t: join(dir, `cofre-restored-${n}`) } }));
    const env = { ...process.env, COFRE_CONFIG: cfg, COFRE_HOME: home };
    const row: Record<string, unknown> = { files: n };
    let setId = '';
    for (const label of process.env['BENCH_FIRST_ONLY'] ? ['first'] as const : ['first', 'second'] as const) {
      const j = await backupInChild('p', env, `${label} (${n})`);
      setId = j.setId;
      row[label] = { wallS: j.wallMs / 1000, cpuS: j.cpuS, peakRssMiB: j.maxRssKiB / 1024, stats: j.files?.[0] };
      log(`${n} files, ${label} backup: ${(j.wallMs / 1000).toFixed(1)} s (Node CPU ${j.cpuS.toFixed(1)} s), peak RSS ${(j.maxRssKiB / 1024).toFixed(1)} MiB, ${JSON.stringify(j.files?.[0])}`);
    }
    if (RESTORE_SIZES.includes(n)) {
      const variants: Array<{ label: string; root: string; place?: string }> = [{ label: 'after', root: ROOT }];
      if (BEFORE_ROOT && n <= BEFORE_UPTO) {
        const before = await import(join(BEFORE_ROOT, 'src-main', 'files2', 'restore-script.ts')) as { PLACE_SH: string };
        variants.unshift({ label: 'before', root: BEFORE_ROOT, place: before.PLACE_SH });
      }
      for (const v of variants) {
        // restore.sh: this set's script, or the same with the earlier commit's placement code
        let script = `sets/${setId}/restore.sh`;
        if (v.place !== undefined) {
          const text = readFileSync(join(storage, script), 'utf8');
          if (!text.includes(PLACE_SH)) throw new Error('restore.sh does not hold this checkout\'s PLACE_SH');
          script = `sets/${setId}/restore-${v.label}.sh`;
          writeFileSync(join(storage, script), text.replace(PLACE_SH, () => v.place ?? ''));
        }
        const out = join(dir, `restored-${n}`);
        t0 = performance.now();
        const shPhase = watchPhase(out, '.meta', t0, 0);
        const r = await run('env', ['-i', 'PATH=/usr/bin:/bin', 'sh', script, idFile, out], { cwd: storage });
        const restoreS = (performance.now() - t0) / 1000;
        const shPlaceFrom = shPhase.stop();
        if (r.code !== 0) throw new Error(`restore.sh (${v.label}) failed: ${r.stderr.slice(-3000)}`);
        const srcName = readdirSync(out).find((f) => !f.startsWith('.')) ?? '';
        const same = await compareTrees(tree, join(out, srcName, tree));
        row[v.label === 'after' ? 'restoreSh' : 'restoreShBefore'] = { wallS: restoreS, phases: phases(restoreS, shPlaceFrom), ...same };
        log(`${v.label}: restore.sh of ${n} files under env -i: ${restoreS.toFixed(1)} s ${JSON.stringify(phases(restoreS, shPlaceFrom))}, ${JSON.stringify(same)}`);
        await removeDir(out);
        // Cofre's own restore to a staging target on the same sshd (stream packs, place with the same sh)
        const filesRoot = join(dir, `cofre-restored-${n}`);
        t0 = performance.now();
        const cPhase = watchPhase(filesRoot, '.place.sh', t0);
        const c = await run(process.execPath, ['--import', 'tsx', join(v.root, 'src-main', 'cli', 'main.ts'), 'restore', setId, '--target', 't', '--yes', '--json'], { env });
        const cofreS = (performance.now() - t0) / 1000;
        const cPlaceFrom = cPhase.stop();
        if (c.code !== 0) throw new Error(`cofre restore (${v.label}) failed: ${c.stdout.slice(-2000)}\n${c.stderr.slice(-3000)}`);
        const sameC = await compareTrees(tree, join(filesRoot, setId, tree));
        row[v.label === 'after' ? 'cofreRestore' : 'cofreRestoreBefore'] = { wallS: cofreS, phases: phases(cofreS, cPlaceFrom), ...sameC };
        log(`${v.label}: cofre restore of ${n} files: ${cofreS.toFixed(1)} s ${JSON.stringify(phases(cofreS, cPlaceFrom))}, ${JSON.stringify(sameC)}`);
        await removeDir(filesRoot);
      }
    }
    results.push(row);
    await removeDir(storage);
  }
  // the runs already in the file move to earlierRuns, each row with its run's time, load and note
  const earlier = readResults<{ at: string; machine: { loadAvgAtStart?: number[]; loadAvgAtEnd?: number[] }; note: string; results: Array<Record<string, unknown>>; earlierRuns: unknown[] }>('results-files-scale.json');
  const moved = (earlier.results ?? []).map((r) => ({ ...r, at: earlier.at, loadAvgAtStart: earlier.machine?.loadAvgAtStart, loadAvgAtEnd: earlier.machine?.loadAvgAtEnd, ...(earlier.note ? { note: earlier.note } : {}) }));
  const report = reportKeepingEarlier(loadAvgAtStart, results, [...moved, ...(earlier.earlierRuns ?? [])]);
  writeResults('results-files-scale.json', report);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await stop();
  if (!process.env['BENCH_KEEP_TREE']) await removeDir(dir);
  else await removeDir(dir).catch(() => undefined);
}
