/**
 * Single-file restore from format 2 (issue 15, "Performance": a 20 MB file from the newest set
 * reads only its packs and takes under 5 s). A tree of BENCH_FILES files (default 20 000, mixed
 * sizes as bench/restic-compare.ts: 95 % text-like 0.5–8 KB, 4.7 % random 50–250 KB, 0.3 % random
 * 1–4 MB, ≈ 370 MB) plus one random 20 MB file on the harness sshd; BENCH_SETS backups (default 3;
 * between two, 1 % of the small files rewritten and a few added), each `cofre backup` in its own
 * process; then `cofre restore <newest set> --target homologacao --path <the 20 MB file>` (a
 * staging target on the same sshd), run BENCH_RUNS times (default 3): wall time of the whole
 * command (process start, manifest, preflight, index, packs, placing), restored bytes compared.
 * What it read from storage: one more run of the same command under `strace -f -e trace=openat`
 * (not timed) lists the storage objects it opened; their sizes against the index and the pack(s)
 * that hold the file (from `cofre files <set> --path <file> --json`). Reported, not asserted.
 * BENCH_BEFORE=/path/to/an/older/bin/cofre.js (a build of the code before a change) runs that CLI
 * too, alternating with this one run by run (same sets, same load), to compare them: per CLI the
 * median, the best and how many runs took under 5 s, with the load of each run, and the time
 * outside the restore's phases (process start, module loading, config and catalog, exit).
 * Writes bench/results-single-file-restore.json.
 *   npm run build && flock /tmp/cofre-bench.lock node --import tsx bench/single-file-restore.ts      (uses bin/cofre.js)
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { removeDir } from '../test/harness/index.js';
import { FolderStorage } from '../src-main/storage/folder.js';
import { scanIndex } from '../src-main/files2/restore.js';
import type { Manifest } from '../shared/domain.js';
import { prng, textLines } from './bench-tree.js';
import { ROOT, benchKeys, filesPlanYaml, logger, machine, run, startBenchHarness, writeResults } from './support.js';

const COFRE = join(ROOT, 'bin', 'cofre.js');
const FILES = Number(process.env['BENCH_FILES'] ?? 20_000);
const SETS = Number(process.env['BENCH_SETS'] ?? 3);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const BEFORE = process.env['BENCH_BEFORE'];
const CLIS: Array<{ label: string; cli: string }> = [...(BEFORE ? [{ label: 'before', cli: BEFORE }] : []), { label: 'after', cli: COFRE }];
const BIG = 20 * 1024 * 1024;
const log = logger('single-file-restore');

const rand = prng(20);

function contents(i: number): Buffer {
  const k = i % 1000;
  if (k < 3) return randomBytes(1_000_000 + Math.floor(rand() * 3_000_000));
  if (k < 50) return randomBytes(50_000 + Math.floor(rand() * 200_000));
  return textLines(500 + Math.floor(rand() * 7_500), rand);
}

const fileOf = (tree: string, i: number): string => join(tree, `p${String(Math.floor(i / 200)).padStart(3, '0')}`, `exame-${i}.dat`);
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

const { ssh, dir, server: SERVER, stop } = await startBenchHarness('bench-single-file');
try {
  const tree = join(dir, 'clinica', 'uploads');
  const t0 = performance.now();
  let treeBytes = 0;
  for (let i = 0; i < FILES; i++) {
    if (i % 200 === 0) mkdirSync(join(tree, `p${String(i / 200).padStart(3, '0')}`), { recursive: true });
    const data = contents(i);
    treeBytes += data.length;
    writeFileSync(fileOf(tree, i), data);
  }
  const bigFile = join(tree, 'imagens', 'tomografia-0001.dcm');
  mkdirSync(join(tree, 'imagens'));
  writeFileSync(bigFile, randomBytes(BIG));
  treeBytes += BIG;
  const bigSha = sha(bigFile);
  log(`tree: ${FILES + 1} files, ${(treeBytes / 1e6).toFixed(1)} MB, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const storage = join(dir, 'storage');
  const home = join(dir, 'home');
  const targetRoot = join(dir, 'alvo');
  for (const d of [storage, home, targetRoot]) mkdirSync(d);
  const keys = await benchKeys(dir);
  const { identity } = keys;
  const cfg = join(dir, 'cofre.yaml');
  writeFileSync(cfg, filesPlanYaml({ ssh, server: SERVER, keys, sources: { arquivos: tree }, storage, restoreTargets: { homologacao: targetRoot } }));
  const env = { ...process.env, COFRE_CONFIG: cfg, COFRE_HOME: home };
  const cofre = (args: string[]): ReturnType<typeof run> => run(process.execPath, [COFRE, ...args], { env, maxStdout: 2_000_000 });

  const sets: Array<{ setId: string; wallS: number }> = [];
  for (let s = 0; s < SETS; s++) {
    if (s > 0) {
      for (let i = 0; i < FILES / 100; i++) {
        const n = Math.floor(rand() * FILES);
        if (n % 1000 >= 50) writeFileSync(fileOf(tree, n), contents(n)); // small files only: the 20 MB file's pack stays an old one
      }
      mkdirSync(join(tree, `novos-${s}`));
      for (let i = 0; i < 20; i++) writeFileSync(join(tree, `novos-${s}`, `exame-${i}.dat`), contents(100 + i));
    }
    const r = await cofre(['--json', 'backup', '--plan', 'p']);
    if (r.code !== 0) throw new Error(`backup ${s} failed (exit ${r.code}): ${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
    const j = JSON.parse(r.stdout) as { setId?: string };
    if (!j.setId) throw new Error(`backup ${s} gave no set id: ${r.stdout.slice(-2000)}`);
    sets.push({ setId: j.setId, wallS: r.wallMs / 1000 });
    log(`set ${s + 1}/${SETS}: ${j.setId} in ${(r.wallMs / 1000).toFixed(1)} s`);
  }
  const newest = sets[sets.length - 1]?.setId ?? '';

  // which pack carries the file: from the newest set's index (decrypted here, as restore does)
  const manifest = JSON.parse(readFileSync(join(storage, 'sets', newest, 'manifest.json'), 'utf8')) as Manifest;
  const indexObject = manifest.sources.flatMap((s) => s.objects).find((o) => o.format === 'files-v2');
  if (!indexObject) throw new Error('the newest set has no format-2 index');
  let bigPack = '';
  await scanIndex(new FolderStorage({ type: 'folder', name: 'nas', path: storage }), indexObject, [identity], (e) => { if (e.path === bigFile) bigPack = e.pack; });
  if (!bigPack) throw new Error(`${bigFile} is not in the index of ${newest}`);
  const setPacks = manifest.format === 'cofre-set/2' ? manifest.packs ?? [] : [];
  const indexBytes = indexObject.bytes;
  const packBytes = setPacks.reduce((a, p) => a + p.bytes, 0);
  const bigPackBytes = setPacks.find((p) => p.key === `packs/${bigPack}`)?.bytes ?? 0;

  const args = ['--json', 'restore', newest, '--target', 'homologacao', '--path', bigFile];
  type Phase = { phase: string; durationMs: number };
  const restores: Array<{ cli: string; wallS: number; cpuS: number; outsideS: number; loadAvg1: number; identical: boolean; phases?: Phase[] }> = [];
  for (let n = 0; n < RUNS * CLIS.length; n++) {
    // alternating: a load change weighs on both CLIs alike
    const { label, cli } = CLIS[n % CLIS.length] ?? { label: 'after', cli: COFRE };
    await removeDir(targetRoot);
    mkdirSync(targetRoot);
    // the cofre process's own CPU time too (zstd and tar on the target are other processes): the wall time moves with the machine's load
    const timeFile = join(dir, 'time.txt');
    const r = await run('/usr/bin/time', ['-o', timeFile, '-f', '%U %S', process.execPath, cli, ...args], { env, maxStdout: 2_000_000 });
    if (r.code !== 0) throw new Error(`restore failed: ${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
    const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()?.split(' ').map(Number) ?? [];
    const cpuS = (user ?? 0) + (sys ?? 0);
    const j = JSON.parse(r.stdout) as { items?: Array<{ destination: string }>; phases?: Phase[] };
    const dest = j.items?.[0]?.destination ?? '';
    const restored = join(dest, bigFile);
    const identical = sha(restored) === bigSha;
    const others = readdirSync(join(dest, tree)).filter((f) => f !== 'imagens');
    if (others.length > 0) throw new Error(`the restore placed more than the asked file: ${others.slice(0, 5).join(', ')}`);
    const outsideS = (r.wallMs - (j.phases ?? []).reduce((a, p) => a + p.durationMs, 0)) / 1000;
    restores.push({ cli: label, wallS: r.wallMs / 1000, cpuS, outsideS, loadAvg1: loadavg()[0] ?? 0, identical, phases: j.phases });
    log(`${label}: restore --path ${relative(dir, bigFile)}: ${(r.wallMs / 1000).toFixed(2)} s (outside the phases ${outsideS.toFixed(2)} s; cofre CPU ${cpuS.toFixed(2)} s, load ${(loadavg()[0] ?? 0).toFixed(1)}), identical: ${identical}`);
  }

  // which storage objects the command opened (strace: every openat of the process tree)
  await removeDir(targetRoot);
  mkdirSync(targetRoot);
  const traceFile = join(dir, 'openat.trace');
  const traced = await run('strace', ['-f', '-qq', '-e', 'trace=openat', '-o', traceFile, process.execPath, COFRE, ...args], { env, maxStdout: 2_000_000 });
  if (traced.code !== 0) throw new Error(`restore under strace failed: ${traced.stdout.slice(-2000)}`);
  const opened = new Map<string, number>();
  for (const m of readFileSync(traceFile, 'utf8').matchAll(/openat\([^,]+, "([^"]+)", [^)]*\) = \d+/g)) {
    const p = m[1] ?? '';
    if (!p.startsWith(`${storage}/`)) continue;
    const key = p.slice(storage.length + 1);
    if (!(key.startsWith('packs/') || /\.index(\.zst)?\.age$/.test(key))) continue;
    opened.set(key, (opened.get(key) ?? 0) + 1);
  }
  const read = [...opened].map(([key, times]) => ({ key, times, bytes: statSync(join(storage, key)).size }));
  const fetched = read.reduce((a, o) => a + o.bytes * o.times, 0);
  const packsOpened = read.filter((o) => o.key.startsWith('packs/'));
  log(`opened in storage: ${read.map((o) => `${o.key} ×${o.times} (${o.bytes} B)`).join(', ')}`);
  log(`fetched ${fetched} B: the file's pack ${bigPackBytes} B + index ${indexBytes} B; the set references ${setPacks.length} packs, ${packBytes} B`);

  const median = (xs: number[]): number | undefined => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = Object.fromEntries(CLIS.map(({ label, cli }) => {
    const runs = restores.filter((x) => x.cli === label);
    const walls = runs.map((x) => x.wallS);
    const phase = (name: string): number | undefined => median(runs.map((x) => x.phases?.find((p) => p.phase === name)?.durationMs ?? 0));
    return [label, {
      cli: relative(ROOT, cli) || cli, runs: runs.length, medianS: median(walls), bestS: Math.min(...walls), under5s: walls.filter((w) => w < 5).length,
      medianCpuS: median(runs.map((x) => x.cpuS)), medianOutsideS: median(runs.map((x) => x.outsideS)),
      medianPhaseMs: { preflight: phase('preflight'), transfer: phase('transfer'), validate: phase('validate') },
      loadAvg1: { min: Math.min(...runs.map((x) => x.loadAvg1)), max: Math.max(...runs.map((x) => x.loadAvg1)) },
    }];
  }));
  for (const [label, s] of Object.entries(summary)) log(`${label}: median ${s.medianS?.toFixed(2)} s, best ${s.bestS.toFixed(2)} s, ${s.under5s} of ${s.runs} under 5 s, load ${s.loadAvg1.min}–${s.loadAvg1.max}`);
  const walls = restores.filter((x) => x.cli === 'after').map((r) => r.wallS).sort((a, b) => a - b);
  const report = {
    at: new Date().toISOString(),
    machine: machine(),
    tree: { files: FILES + 1, bytes: treeBytes, bigFileBytes: BIG },
    sets,
    newestSet: { setId: newest, packs: setPacks.length, packBytes, indexBytes },
    file: { path: relative(dir, bigFile), pack: bigPack, packBytes: bigPackBytes },
    restore: { summary, runs: restores, bestS: walls[0], medianS: walls[Math.floor(walls.length / 2)] },
    storageRead: { objects: read, bytes: fetched, packsOpened: packsOpened.length, onlyItsPack: packsOpened.length === 1 && packsOpened[0]?.key === `packs/${bigPack}` },
  };
  writeResults('results-single-file-restore.json', report);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await stop();
  await removeDir(dir);
}
