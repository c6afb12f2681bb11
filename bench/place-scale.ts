/**
 * The placement step of a format-2 restore (PLACE_SH: what restore.sh and `cofre restore` run
 * once the packs are unpacked into the stage folder) at N files, without a backup first: a
 * generated index (500 files a folder, 100–300 bytes each, one symlink per 1 000 files, every
 * 50th file sharing the content of the one before it but not its mtime or mode) and its stage
 * of content-id files, placed by `sh` (dash here) under `env -i PATH=/usr/bin:/bin`, as root.
 * The restored tree is then checked entry by entry against the index (type, bytes, mode, mtime
 * to the nanosecond, symlink target, no hard links). This isolates the part the backup and pack
 * unpacking do not change; bench/files-scale.ts measures restore.sh and `cofre restore` whole.
 * BENCH_BEFORE_ROOT=dir (a checkout of an earlier commit) also times that commit's PLACE_SH on the
 * same index and stage, for N up to BENCH_BEFORE_UPTO (default 10000). Writes bench/results-place-scale.json.
 *   node --import tsx bench/place-scale.ts [N ...]        e.g. 10000 100000
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLACE_SH } from '../src-main/files2/restore-script.js';
import { formatEntry, INDEX_HEADER, INDEX_HEADER_V1, shortCid, type IndexEntry } from '../src-main/files2/index-format.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SIZES = process.argv.slice(2).map(Number).filter((n) => n > 0);
if (SIZES.length === 0) SIZES.push(10_000, 100_000);
const BEFORE_ROOT = process.env['BENCH_BEFORE_ROOT'];
const BEFORE_UPTO = Number(process.env['BENCH_BEFORE_UPTO'] ?? '10000');
const log = (s: string): void => { process.stderr.write(`[place-scale ${new Date().toISOString().slice(11, 19)}] ${s}\n`); };
const PACK = `${'ab'.repeat(16)}.tar.zst.age`;
const filler = 'paciente exame consulta laudo receita retorno hemograma glicemia '.repeat(5);

interface Expected { path: string; type: 'f' | 'l' | 'd'; body?: string; mode?: number; mtimeS: string; target?: string }

function makeIndex(n: number): { entries: IndexEntry[]; bodies: Map<string, string>; expected: Expected[] } {
  const entries: IndexEntry[] = [];
  const bodies = new Map<string, string>();
  const expected: Expected[] = [];
  const common = { uid: 1000, gid: 1000, owner: 'cofre', group: 'cofre', size: 0, target: '', linkGroup: 0, sparse: false, cid: '', pack: PACK, member: '' };
  let prevBody = '';
  for (let i = 0; i < n; i++) {
    const folder = `/srv/clinica/d${String(Math.floor(i / 500)).padStart(5, '0')}`;
    if (i % 500 === 0) entries.push({ ...common, type: 'd', path: folder, mode: '755', mtime: `1764600${String(i % 1000).padStart(3, '0')}.0000000000` });
    // every 50th file has the content of the file before it, with its own mtime and mode
    const body = i % 50 === 49 ? prevBody : `${i};${filler.slice(0, 100 + ((i * 7919) % 200))}\n`;
    prevBody = body;
    // a whole content id whose first 16 digits differ per content (as PackWriter keeps them in a pack)
    const cid = `${(i % 50 === 49 ? i - 1 : i).toString(16).padStart(16, '0')}${'0'.repeat(48)}`;
    bodies.set(cid, body);
    const mtime = `1764640${String(i % 1000).padStart(3, '0')}.${String(i).padStart(9, '0')}0`;
    const mode = i % 50 === 49 ? '600' : '644';
    const path = `${folder}/exame-${i}.txt`;
    entries.push({ ...common, type: 'f', path, mode, mtime, size: Buffer.byteLength(body), cid, member: cid });  // whole ids (/1); the /2 index is made from them
    expected.push({ path, type: 'f', body, mode: parseInt(mode, 8), mtimeS: mtime });
    if (i % 1000 === 999) {
      entries.push({ ...common, type: 'l', path: `${folder}/link-${i}`, mode: '777', mtime, target: `exame-${i}.txt` });
      expected.push({ path: `${folder}/link-${i}`, type: 'l', target: `exame-${i}.txt`, mtimeS: mtime });
    }
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { entries, bodies, expected };
}

/** Checks every file and symlink against the index with one `find` (mode, mtime, size, links) and the bytes of every file. */
function check(out: string, expected: Expected[]): { ok: boolean; problems: string[] } {
  const r = spawnSync('find', [out, '-mindepth', '1', '-printf', '%P\\0%y\\0%m\\0%T@\\0%n\\0%l\\0'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const f = r.stdout.split('\0');
  const seen = new Map<string, { type: string; mode: number; mtime: string; links: number; target: string }>();
  for (let i = 0; i + 5 < f.length; i += 6) seen.set(`/${f[i] ?? ''}`, { type: f[i + 1] ?? '', mode: parseInt(f[i + 2] ?? '0', 8), mtime: f[i + 3] ?? '', links: Number(f[i + 4]), target: f[i + 5] ?? '' });
  const problems: string[] = [];
  for (const e of expected) {
    const s = seen.get(e.path);
    if (!s) { problems.push(`${e.path}: missing`); continue; }
    if (s.type !== e.type) problems.push(`${e.path}: type ${s.type}`);
    if (s.mtime !== e.mtimeS) problems.push(`${e.path}: mtime ${s.mtime} != ${e.mtimeS}`);
    if (e.type === 'f') {
      if (s.mode !== e.mode) problems.push(`${e.path}: mode ${s.mode.toString(8)}`);
      if (s.links !== 1) problems.push(`${e.path}: ${s.links} links`);
      if (readFileSync(join(out, e.path), 'utf8') !== e.body) problems.push(`${e.path}: bytes differ`);
    } else if (s.target !== e.target) problems.push(`${e.path}: target ${s.target}`);
    if (problems.length > 20) break;
  }
  return { ok: problems.length === 0, problems };
}

const results: Array<Record<string, unknown>> = [];
const dir = mkdtempSync(join(tmpdir(), 'cofre-place-scale-'));
try {
  const variants: Array<{ label: string; place: string }> = [{ label: 'after', place: PLACE_SH }];
  if (BEFORE_ROOT) {
    const before = await import(join(BEFORE_ROOT, 'src-main', 'files2', 'restore-script.ts')) as { PLACE_SH: string };
    variants.unshift({ label: 'before', place: before.PLACE_SH });
  }
  for (const n of SIZES) {
    const { entries, bodies, expected } = makeIndex(n);
    // 'after': a /2 index (short ids, member -), members staged in their pack's folder under the short id;
    // 'before' (an older PLACE_SH): a /1 index, members staged flat under their whole names
    const index = join(dir, `index-${n}`);
    const short = entries.map((e) => (e.cid ? { ...e, cid: shortCid(e.cid), member: '' } : e));
    writeFileSync(index, `${INDEX_HEADER}\n${short.map(formatEntry).join('\n')}\n`, 'latin1');
    const indexV1 = join(dir, `index-v1-${n}`);
    if (BEFORE_ROOT) writeFileSync(indexV1, `${INDEX_HEADER_V1}\n${entries.map(formatEntry).join('\n')}\n`, 'latin1');
    const row: Record<string, unknown> = { files: n, symlinks: Math.floor(n / 1000), sharedContent: Math.floor(n / 50), indexBytes: readFileSync(index).length };
    for (const v of variants) {
      if (v.label === 'before' && n > BEFORE_UPTO) continue;
      const top = join(dir, `out-${n}-${v.label}`);
      const stage = join(top, '.cofre-stage.bench');
      const before = v.label === 'before';
      mkdirSync(before ? stage : join(stage, PACK), { recursive: true });
      for (const [cid, body] of bodies) writeFileSync(before ? join(stage, cid) : join(stage, PACK, shortCid(cid)), body);
      const script = join(dir, `place-${v.label}.sh`);
      writeFileSync(script, `set -eu\n${v.place}\ncofre_place "$1" "$2" "$3"\n`);
      const out = join(top, 'arquivos');
      const t0 = performance.now();
      const r = spawnSync('env', ['-i', 'PATH=/usr/bin:/bin', 'sh', script, before ? indexV1 : index, stage, out], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const wallS = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`${v.label} placement of ${n} failed: ${r.stderr.slice(-3000)}`);
      rmSync(stage, { recursive: true, force: true }); // as restore.sh and cofre restore do once placed
      const c = check(out, expected);
      row[v.label] = { wallS, load1: loadavg()[0], identical: c.ok, problems: c.problems.slice(0, 5) };
      log(`${v.label}: ${n} files placed in ${wallS.toFixed(1)} s (load ${loadavg()[0]?.toFixed(1)}), as the index says: ${c.ok}${c.ok ? '' : ` ${c.problems.slice(0, 3).join('; ')}`}`);
      rmSync(top, { recursive: true, force: true });
    }
    results.push(row);
    const report = { at: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version, sh: 'dash (/bin/sh)', root: process.getuid?.() === 0, loadAvgAtEnd: loadavg() }, results };
    writeFileSync(join(ROOT, 'bench', 'results-place-scale.json'), `${JSON.stringify(report, null, 2)}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
