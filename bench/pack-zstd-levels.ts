/**
 * Which zstd level for packs: the day-0 tree of bench/restic-compare.ts cut into packs as the
 * backup cuts it (tar members named by a 64-hex content id, 64 MiB of plaintext a pack, the tree's
 * order), each pack compressed as the backup compresses it (`zstd -q -c LEVEL -T0`, one process
 * a pack, the frames restore.sh reads with plain `zstd -d`); per level: bytes out and wall time.
 * Reported, not asserted. Writes bench/results-pack-zstd-levels.json (BENCH_OUT to change).
 *   node --import tsx bench/pack-zstd-levels.ts      (BENCH_SIZE_FACTOR as in restic-compare.ts)
 * Env: BENCH_FILES (20000), BENCH_LEVELS (comma list, default "-3,-4,-5,-6,-7,-8,-9,-3 --long,-6 --long").
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { pack as tarPack } from 'tar-stream';
import { tempDir, removeDir } from '../test/harness/index.js';
import { SIZE_FACTOR, makeTree, pathOf } from './bench-tree.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FILES = Number(process.env['BENCH_FILES'] ?? 20_000);
const LEVELS = (process.env['BENCH_LEVELS'] ?? '-3,-4,-5,-6,-7,-8,-9,-3 --long,-6 --long').split(',');
const OUT = process.env['BENCH_OUT'] ?? 'results-pack-zstd-levels.json';
const PACK_BYTES = 64 * 1024 * 1024;
const log = (s: string): void => { process.stderr.write(`[pack-zstd-levels ${new Date().toISOString().slice(11, 19)}] ${s}\n`); };

/** Writes the tree's files as tar packs of PACK_BYTES plaintext, members named like content ids. */
async function writePacks(tree: string, live: Set<number>, dir: string): Promise<string[]> {
  const files: string[] = [];
  let tar: ReturnType<typeof tarPack> | undefined;
  let out: Promise<void> | undefined;
  let bytes = 0;
  const close = async (): Promise<void> => {
    if (!tar) return;
    tar.finalize();
    await out;
    tar = undefined;
  };
  for (const i of [...live].sort((a, b) => (a % 200) - (b % 200) || a - b)) {
    if (!tar || bytes >= PACK_BYTES) {
      await close();
      const file = join(dir, `pack-${files.length}.tar`);
      files.push(file);
      tar = tarPack();
      const ws = createWriteStream(file);
      tar.pipe(ws);
      out = finished(ws);
      bytes = 0;
    }
    const data = readFileSync(pathOf(tree, i));
    await new Promise<void>((resolve, reject) => tar?.entry({ name: randomBytes(32).toString('hex'), size: data.length }, data, (e) => (e ? reject(e) : resolve())));
    bytes += data.length + 512;
  }
  await close();
  return files;
}

/** `zstd -q -c LEVEL -T0 < file`: compressed bytes and wall ms. */
function compress(file: string, level: string): Promise<{ bytes: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const z = spawn('zstd', ['-q', '-c', ...level.split(' '), '-T0'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let bytes = 0;
    z.stdout.on('data', (c: Buffer) => (bytes += c.length));
    z.on('error', reject);
    z.on('close', (code) => (code === 0 ? resolve({ bytes, ms: performance.now() - t0 }) : reject(new Error(`zstd ${level} exited ${code}`))));
    createReadStream(file).pipe(z.stdin);
  });
}

const dir = await tempDir('bench-zstd-levels');
try {
  const tree = join(dir, 'tree');
  const { live, bytes: treeBytes } = makeTree(tree, FILES);
  const packs = await writePacks(tree, live, dir);
  log(`tree of ${FILES} files, ${(treeBytes / 1e6).toFixed(1)} MB, in ${packs.length} packs`);
  const results: Array<{ level: string; bytes: number; wallS: number; loadAvg1Before: number | undefined }> = [];
  for (const level of LEVELS) {
    const loadBefore = loadavg()[0];
    let bytes = 0;
    let ms = 0;
    for (const p of packs) {
      const r = await compress(p, level);
      bytes += r.bytes;
      ms += r.ms;
    }
    results.push({ level, bytes, wallS: ms / 1000, loadAvg1Before: loadBefore });
    log(`${level}: ${(bytes / 1e6).toFixed(2)} MB, ${(ms / 1000).toFixed(1)} s (load ${loadBefore?.toFixed(1)})`);
  }
  const report = { at: new Date().toISOString(), sizeFactor: SIZE_FACTOR, files: FILES, treeBytes, packs: packs.length, machine: { cpus: cpus().length, node: process.version, loadAvgAtEnd: loadavg() }, results };
  writeFileSync(join(ROOT, 'bench', OUT), `${JSON.stringify(report, null, 2)}\n`);
} finally {
  await removeDir(dir);
}
