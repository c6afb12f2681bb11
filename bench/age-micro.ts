/**
 * Micro-benchmark of the age module: in-process encrypt and decrypt MiB/s on ~1 GiB, versus
 * Debian `age` on the same data (file in page cache, output to /dev/null).
 * Run: node --import tsx bench/age-micro.ts [MiB]   (default 1024)
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDecryptStream, createEncryptStream, generateIdentity } from '../src-main/crypto/age.js';

const mib = Number(process.argv[2] ?? '1024');
const total = mib * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'cofre-age-bench-'));
const { identity, recipient } = generateIdentity();
const idFile = join(dir, 'id.txt');
writeFileSync(idFile, `${identity}\n`, { mode: 0o600 });
const plainFile = join(dir, 'plain.bin');
const encFile = join(dir, 'plain.bin.age');

function source(pieceSize: number): Readable {
  const block = randomBytes(1024 * 1024);
  let sent = 0;
  return new Readable({
    read() {
      while (sent < total) {
        const size = Math.min(pieceSize, total - sent);
        const offset = sent % block.length;
        const piece = offset + size <= block.length ? block.subarray(offset, offset + size) : randomBytes(size);
        sent += size;
        if (!this.push(piece)) return;
      }
      this.push(null);
    },
  });
}

function sink(): Writable {
  return new Writable({ write: (_c, _e, cb) => cb() });
}

function hashSink(): Writable {
  const hash = createHash('sha256');
  return new Writable({ write: (c: Buffer, _e, cb) => { hash.update(c); cb(); }, final: (cb) => { hash.digest(); cb(); } });
}

function rate(ms: number): string {
  return `${((total / 1024 / 1024) / (ms / 1000)).toFixed(0)} MiB/s`;
}

async function time(label: string, fn: () => Promise<void>): Promise<void> {
  const start = performance.now();
  await fn();
  console.log(`${label.padEnd(52)} ${rate(performance.now() - start)}`);
}

function timeCli(label: string, args: string[]): void {
  const start = performance.now();
  const result = spawnSync('age', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`age ${args.join(' ')} failed`);
  console.log(`${label.padEnd(52)} ${rate(performance.now() - start)}`);
}

await pipeline(source(1024 * 1024), createWriteStream(plainFile));
for (const piece of [16 * 1024, 64 * 1024, 1024 * 1024]) {
  await time(`encrypt in-memory source, ${piece / 1024} KiB writes`, () => pipeline(source(piece), createEncryptStream([recipient]), sink()));
}
await time('encrypt file -> /dev/null (ours)', () => pipeline(createReadStream(plainFile, { highWaterMark: 1024 * 1024 }), createEncryptStream([recipient]), sink()));
await time('sha256 alone, in-memory source', () => pipeline(source(64 * 1024), hashSink()));
await time('encrypt + sha256, in-memory source (backup path)', () => pipeline(source(64 * 1024), createEncryptStream([recipient]), hashSink()));
await time('encrypt file -> file (ours; disk-bound)', () => pipeline(createReadStream(plainFile), createEncryptStream([recipient]), createWriteStream(encFile)));
timeCli('encrypt file -> /dev/null (age -r)', ['-r', recipient, '-o', '/dev/null', plainFile]);
await time('decrypt file -> /dev/null (ours)', () => pipeline(createReadStream(encFile, { highWaterMark: 1024 * 1024 }), createDecryptStream([identity]), sink()));
timeCli('decrypt file -> /dev/null (age -d)', ['-d', '-i', idFile, '-o', '/dev/null', encFile]);
rmSync(dir, { recursive: true, force: true });
