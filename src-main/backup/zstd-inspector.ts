/**
 * Reads a zstd-compressed plaintext (`.sql.zst`, `.tar.zst`) for an inspector: the `zstd` CLI on
 * this host decompresses (the same tool a restore target and restore.sh use), the inner
 * inspector reads the result. zstd's own checks (frame checksums, a truncated stream) fail the
 * verdict; a host without zstd leaves the content unchecked, never "ok".
 */
import { spawn } from 'node:child_process';
import type { Inspector } from './object-reader.js';

export interface ZstdVerdicts<R> {
  /** zstd is not installed here */
  missing(): R;
  /** zstd could not decompress the stream */
  failed(message: string): R;
}

export function zstdInspector<R>(inner: Inspector<R>, verdicts: ZstdVerdicts<R>): Inspector<R> {
  const child = spawn('zstd', ['-d', '-q', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  child.stdout.pipe(inner.stream);
  // the inner inspector may stop reading early: the rest is drained
  child.stdout.on('unpipe', () => child.stdout.resume());
  const exited = new Promise<{ missing: boolean; code: number | null }>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => resolve({ missing: err.code === 'ENOENT', code: null }));
    child.once('close', (code) => resolve({ missing: false, code }));
  });
  return {
    stream: child.stdin,
    abort: () => {
      child.kill();
      inner.abort();
    },
    async result() {
      const e = await exited;
      if (e.missing) {
        inner.abort();
        return verdicts.missing();
      }
      if (e.code !== 0) {
        inner.abort();
        return verdicts.failed(stderr.trim().split('\n').pop() ?? `zstd exit ${e.code}`);
      }
      return await inner.result();
    },
  };
}
