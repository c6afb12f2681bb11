/**
 * The tree of bench/restic-compare.ts (and bench/pack-zstd-levels.ts), seeded: 95 % text-like
 * 0.5–8 KB, 4.7 % random 50–250 KB, 0.3 % random 1–4 MB (the random sizes times BENCH_SIZE_FACTOR),
 * in 200 folders; `churn` is one simulated day (1 % of the files: a third rewritten, a third
 * deleted, a third added). The same files are picked in every run; random contents are new bytes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CHURN = 0.01;

/** mulberry32: a seeded generator, so a bench picks the same files in every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(15);
export const WORDS = 'paciente exame consulta laudo receita retorno hemograma glicemia creatinina ureia sodio potassio alta internacao '.split(' ');

/** BENCH_SIZE_FACTOR multiplies the sizes of the random files (1: ≈ 370 MB; 6.6: ≈ 2 GB). */
export const SIZE_FACTOR = Number(process.env['BENCH_SIZE_FACTOR'] ?? 1);

/** Contents of file number i: its size class is fixed by i, its bytes new on every call. */
function contents(i: number): Buffer {
  const k = i % 1000;
  if (k < 3) return randomBytes(Math.round((1_000_000 + Math.floor(rand() * 3_000_000)) * SIZE_FACTOR));
  if (k < 50) return randomBytes(Math.round((50_000 + Math.floor(rand() * 200_000)) * SIZE_FACTOR));
  const size = 500 + Math.floor(rand() * 7_500);
  const parts: string[] = [];
  let len = 0;
  while (len < size) {
    const w = `${WORDS[Math.floor(rand() * WORDS.length)] ?? ''} ${Math.floor(rand() * 1e6)}${rand() < 0.1 ? '\n' : ' '}`;
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('').slice(0, size));
}

/** `size` bytes of text-like lines (`word number`), the words and numbers drawn from `rand`. */
export function textLines(size: number, rand: () => number): Buffer {
  const parts: string[] = [];
  let len = 0;
  while (len < size) {
    const w = `${WORDS[Math.floor(rand() * WORDS.length)] ?? 'x'} ${Math.floor(rand() * 1e6)}\n`;
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('').slice(0, size));
}

export const pathOf = (tree: string, i: number): string => join(tree, `p${String(i % 200).padStart(3, '0')}`, `exame-${i}.dat`);

export function makeTree(tree: string, n: number): { live: Set<number>; bytes: number } {
  const live = new Set<number>();
  let bytes = 0;
  for (let d = 0; d < 200; d++) mkdirSync(join(tree, `p${String(d).padStart(3, '0')}`), { recursive: true });
  for (let i = 0; i < n; i++) {
    const c = contents(i);
    writeFileSync(pathOf(tree, i), c);
    bytes += c.length;
    live.add(i);
  }
  return { live, bytes };
}

/** One simulated day: 1 % of the files, a third rewritten, a third deleted, a third added. */
export function churn(tree: string, live: Set<number>, next: { id: number }): { modified: number; deleted: number; added: number; changedBytes: number; deletedBytes: number } {
  const ids = [...live];
  const count = Math.round(ids.length * CHURN);
  const picked = new Set<number>();
  while (picked.size < Math.round((count * 2) / 3)) picked.add(ids[Math.floor(rand() * ids.length)] ?? 0);
  let modified = 0;
  let deleted = 0;
  let changedBytes = 0;
  let deletedBytes = 0;
  let n = 0;
  for (const i of picked) {
    const p = pathOf(tree, i);
    if (n++ % 2 === 0) {
      const c = contents(i);
      writeFileSync(p, c);
      changedBytes += c.length;
      modified++;
    } else {
      deletedBytes += statSync(p).size;
      rmSync(p);
      live.delete(i);
      deleted++;
    }
  }
  const added = count - modified - deleted;
  for (let k = 0; k < added; k++) {
    const i = next.id++;
    const c = contents(i);
    writeFileSync(pathOf(tree, i), c);
    changedBytes += c.length;
    live.add(i);
  }
  return { modified, deleted, added, changedBytes, deletedBytes };
}

