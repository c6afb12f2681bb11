/**
 * The `zstd` CLI as a stream stage (Node 20's zlib has no zstd; the CLI is also what restore.sh
 * and a restore target use, so every side reads and writes the same frames). Format 2 compresses
 * packs and indexes with it when the source's `compress` is on.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CofreError } from '../errors.js';


export interface ZstdStage {
  /** write the input here */
  stdin: Writable;
  /** read the output here; destroyed with the error when zstd cannot start */
  stdout: Readable;
  /** settles when zstd has exited: rejects when it is missing or exits non-zero */
  done: Promise<void>;
  kill(): void;
}

export interface ZstdErrors {
  /** zstd is not installed on this computer (`cause`: the spawn error) */
  missing(cause: Error): Error;
  /** zstd exited non-zero (`detail`: its last stderr line; `exit`: its exit code or signal and its stderr's end) */
  failed?(detail: string, exit: ZstdExit): Error;
}

export interface ZstdExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** the last 2000 characters of its stderr, trimmed */
  stderr: string;
}

/**
 * zstd level of packs. Measured with bench/pack-zstd-levels.ts on the tree of
 * bench/restic-compare.ts (2 Dec 2026, 2 CPUs, load average 5.5–12: times are only ratios; zstd
 * 1.5.4, `-T0`, 64 MiB packs; results-pack-zstd-levels*.json):
 *   370 MB tree: -3 320.80 MB 3.9 s · -4 320.97 · -5 321.03 · -6 319.96 8.6 s · -7 319.33 11.1 s ·
 *                -8 318.21 15.3 s · -9 317.87 18.2 s · -3 --long 320.65 · -6 --long 319.87
 *   2 GB tree:   -3 1 943.10 MB 37.5–56.8 s · -7 1 941.69 51.7 s · -8 1 940.53 71.6 s · -9 1 940.29 111.1 s
 * Only the text-like part compresses (≈ 80 MB in both trees; the random files do not, at any
 * level): -8 saves ≈ 2.6 MB of it against -3, which is what brings Cofre's storage at or below
 * restic's (whose per-file blobs compress that text better than -3 did), for ≈ 1.3–1.9× the
 * zstd time of -3; -9 saves 0.3 MB more for ≈ 3×. `--long` saves nothing here (no long-range
 * repeats) and would need `--long` on decompress above 27: not used, so any pack decompresses
 * with plain `zstd -d` (restore.sh).
 */
export const PACK_ZSTD_LEVEL = '-8';

/** Compresses (`compress`, at `level`: `-1` … `-19`) or decompresses (`decompress`) what is written to `stdin`. */
export function zstdStage(mode: 'compress' | 'decompress', errors: ZstdErrors, level = PACK_ZSTD_LEVEL): ZstdStage {
  const args = mode === 'compress' ? ['-q', '-c', level, '-T0'] : ['-d', '-q', '-c'];
  const child = spawn('zstd', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      const e = err.code === 'ENOENT' ? errors.missing(err) : err;
      child.stdout.destroy(e);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (code === 0) { resolve(); return; }
      const detail = stderr.trim().split('\n').pop() || `exit ${code ?? signal}`;
      reject(errors.failed?.(detail, { code, signal, stderr: stderr.trim() }) ?? new CofreError('STORAGE_FAILED', `zstd failed (${detail})`));
    });
  });
  done.catch(() => undefined);
  return { stdin: child.stdin, stdout: child.stdout, done, kill: () => { child.kill(); } };
}

/**
 * zstd level of the index. Measured on a 20 000-entry index (5.7 MB of text, the bench's tree):
 * -1 gives 0.99 MB, -3 1.10 MB, -5 1.14 MB, -9 1.15 MB, -19 0.94 MB (at 30–60× the time of -1).
 * Most of what is left is the content ids (64 hex digits of a keyed hash: 32 random bytes an
 * entry), which no level compresses; -1 is both the smallest of the fast levels and the fastest.
 */
export const INDEX_ZSTD_LEVEL = '-1';

/** Compresses a whole buffer (a small object such as a rewritten index). */
export async function zstdBytes(input: Buffer, level: string): Promise<Buffer> {
  const z = zstdStage('compress', { missing: zstdMissingForBackup }, level);
  const chunks: Buffer[] = [];
  z.stdout.on('data', (c: Buffer) => chunks.push(c));
  z.stdin.on('error', () => undefined); // zstd missing: `done` says so
  z.stdin.end(input);
  await z.done;
  await finished(z.stdout).catch(() => undefined);
  return Buffer.concat(chunks);
}

/** A backup with `compress: true` on a host without zstd (packs and indexes alike). */
export function zstdMissingForBackup(): CofreError {
  return new CofreError('PRECONDITION', 'zstd is not installed on this backup host (needed for compress: true)', { hint: 'install zstd (apt install zstd), or set compress: false on the files source' });
}
