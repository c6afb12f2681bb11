/**
 * Format 2 at a million entries without a million-file tree (issue 15, "peak RSS flat at 1M"):
 * the same backupFilesV2 code (listing parser, external sort, dedup look-ups, scratch, tar read,
 * packs, streamed index, dedup-state commit) fed by a generated server. The server is a stand-in
 * RemoteHost: `find` prints N generated records (500 files a folder), `tar -T -` answers with a
 * ustar stream of exactly the names it reads on stdin. Storage (folder), dedup state, zstd and age
 * are the real ones. What it does not exercise: SSH itself (measured with a real tree in
 * bench/files-scale.ts). Each backup runs in a new process; peak RSS = that process's maxRSS.
 *   node --import tsx bench/files-scale-generated.ts [N=1000000] [CONTENT_EVERY=1]
 * CONTENT_EVERY=k: one file in k has content (64 bytes), the others are empty (no read, no pack).
 * Prints JSON: first backup (every content file read and packed), second (nothing changed).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { RemoteHost, RemoteProcess, ExecOptions } from '../src-main/remote/types.js';

const N = Number(process.argv[2] ?? '1000000');
const EVERY = Number(process.argv[3] ?? '1');

const fileSize = (i: number): number => (i % EVERY === 0 ? 64 : 0);
const pathOf = (i: number): string => `/gen/d${String(Math.floor(i / 500)).padStart(5, '0')}/exame-${String(i).padStart(7, '0')}.txt`;

async function* findOutput(): AsyncGenerator<Buffer> {
  let batch = '';
  const rec = (f: Array<string | number>): string => `${f.join('\0')}\0`;
  batch += rec(['/gen', 'd', 4096, '1764640000.0000000000', 1, 2049, '1764640000.0000000000', '755', 1000, 1000, 'cofre', 'cofre', '', 2, '1']);
  for (let i = 0; i < N; i++) {
    if (i % 500 === 0) batch += rec([pathOf(i).replace(/\/[^/]+$/, ''), 'd', 4096, '1764640000.0000000000', 10_000_000 + i, 2049, '1764640000.0000000000', '755', 1000, 1000, 'cofre', 'cofre', '', 2, '1']);
    batch += rec([pathOf(i), 'f', fileSize(i), `1764640${String(i % 1000).padStart(3, '0')}.${String(i).padStart(10, '0')}`, i + 100, 2049, '1764640000.0000000000', '644', 1000, 1000, 'cofre', 'cofre', '', 1, '1']);
    if (batch.length > 256 * 1024) { yield Buffer.from(batch); batch = ''; }
  }
  yield Buffer.from(batch);
}

function ustarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number): void => { h.write(s.slice(0, len), off, 'latin1'); };
  const oct = (n: number, len: number): string => `${n.toString(8).padStart(len - 1, '0')}\0`;
  put(name, 0, 100);
  put(oct(0o644, 8), 100, 8); put(oct(1000, 8), 108, 8); put(oct(1000, 8), 116, 8);
  put(oct(size, 12), 124, 12); put(oct(1764640000, 12), 136, 12);
  put('        ', 148, 8); put('0', 156, 1); put('ustar\0', 257, 6); put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

/** tar -c of the names read on stdin (NUL-separated): each member's content is its name, padded to its listed size. */
async function* tarOutput(stdin: Readable): AsyncGenerator<Buffer> {
  let rest = '';
  const out: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stdin) {
    const text = rest + (chunk as Buffer).toString('latin1');
    const names = text.split('\0');
    rest = names.pop() ?? '';
    for (const name of names) {
      const i = Number(/exame-(\d+)\.txt$/.exec(name)?.[1] ?? '0');
      const size = fileSize(i);
      const body = Buffer.alloc(Math.ceil(size / 512) * 512);
      body.write(`${name}\n`.padEnd(size, '.').slice(0, size), 'latin1');
      out.push(ustarHeader(name, size), body);
      bytes += 512 + body.length;
      if (bytes > 256 * 1024) { yield Buffer.concat(out.splice(0)); bytes = 0; }
    }
  }
  out.push(Buffer.alloc(1024));
  yield Buffer.concat(out);
}

function generatedHost(): RemoteHost {
  const exec = (command: string, opts: ExecOptions = {}): RemoteProcess => {
    const source = command.startsWith('find ') ? Readable.from(findOutput())
      : command.startsWith('tar ') && opts.stdin ? Readable.from(tarOutput(opts.stdin))
        : Readable.from([]);
    const stdout = new PassThrough({ highWaterMark: 256 * 1024 });
    source.pipe(stdout);
    const done = new Promise<{ code: number; stderr: string }>((resolve, reject) => { source.on('end', () => resolve({ code: 0, stderr: '' })); source.on('error', reject); });
    return { stdout, done, stderrTail: () => '', cancel: () => source.destroy() };
  };
  const run = async (): Promise<{ stdout: string; stderr: string; code: number }> => ({ stdout: '', stderr: '', code: 0 });
  return {
    name: 'generated', host: 'generated', port: 0, user: 'cofre', hostKeyFingerprint: 'SHA256:none', connected: true,
    exec, run, runChecked: run, close: () => undefined, closed: Promise.resolve(),
  };
}

async function child(home: string, storageDir: string, label: string): Promise<void> {
  const { tuneHeapForStreaming } = await import('../src-main/app/heap.js');
  tuneHeapForStreaming(); // as cofre does
  const { FilesState, contentKey } = await import('../src-main/files2/state.js');
  const { FolderStorage } = await import('../src-main/storage/folder.js');
  const { backupFilesV2 } = await import('../src-main/files2/backup.js');
  const { generateIdentity } = await import('../src-main/crypto/age.js');
  const state = FilesState.open(home);
  const storage = new FolderStorage({ type: 'folder', name: 'nas', path: storageDir });
  const t0 = performance.now();
  // BENCH_MEM_TRACE=1: a memoryUsage() sample every 250 ms on stderr, with the backup's log lines, to see which phase holds what
  const trace = process.env['BENCH_MEM_TRACE'] ? (s: string): void => { process.stderr.write(`[mem ${((performance.now() - t0) / 1000).toFixed(1)} s] ${s}\n`); } : undefined;
  const mib = (n: number): string => (n / 1048576).toFixed(0);
  const sampler = trace ? setInterval(() => {
    const m = process.memoryUsage();
    trace(`rss ${mib(m.rss)} heap ${mib(m.heapUsed)}/${mib(m.heapTotal)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)} MiB`);
  }, 250) : undefined;
  const o = await backupFilesV2({
    host: generatedHost(), storage, state, contentKey: contentKey(home), setId: `20261202T00000${label === 'first' ? 1 : 2}Z-aaaaaa`, name: 'gen',
    src: { server: 's', type: 'files', paths: ['/gen'], exclude: [], format: 'packs' } as never,
    recipients: [generateIdentity().recipient], packBytes: 64 * 1024 * 1024, toolVersion: 'generated', log: (_level, msg) => trace?.(msg),
  });
  o.commit();
  if (sampler) clearInterval(sampler);
  const wallMs = performance.now() - t0;
  state.close();
  const usage = process.resourceUsage();
  process.stdout.write(`${JSON.stringify({ label, wallS: wallMs / 1000, cpuS: (usage.userCPUTime + usage.systemCPUTime) / 1e6, peakRssMiB: usage.maxRSS / 1024, stats: o.stats, indexBytes: o.index.bytes })}\n`);
}

if (process.argv[4] === '--child') {
  await child(process.argv[5] ?? '', process.argv[6] ?? '', process.argv[7] ?? '');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'cofre-bench-gen-'));
  try {
    const home = join(dir, 'home');
    const storageDir = join(dir, 'storage');
    mkdirSync(home);
    mkdirSync(storageDir);
    const self = fileURLToPath(import.meta.url);
    const results = [];
    for (const label of ['first', 'second']) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', self, String(N), String(EVERY), '--child', home, storageDir, label], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (r.status !== 0) throw new Error(`${label} backup failed: ${r.stdout}`);
      const j = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
      process.stderr.write(`[files-scale-generated] ${N} entries (content every ${EVERY}), ${label}: ${JSON.stringify(j)}\n`);
      results.push(j);
    }
    process.stdout.write(`${JSON.stringify({ entries: N, contentEvery: EVERY, results }, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
