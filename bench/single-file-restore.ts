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
 * Writes bench/results-single-file-restore.json.
 *   npm run build && node --import tsx bench/single-file-restore.ts      (uses bin/cofre.js)
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSshd, stopOnSignal, tempDir, removeDir } from '../test/harness/index.js';
import { generateIdentity, writeIdentityFile } from '../src-main/crypto/age.js';
import { generateSigningKey } from '../src-main/crypto/ssh-key-file.js';
import { FolderStorage } from '../src-main/storage/folder.js';
import { scanIndex } from '../src-main/files2/restore.js';
import type { Manifest } from '../shared/domain.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COFRE = join(ROOT, 'bin', 'cofre.js');
const FILES = Number(process.env['BENCH_FILES'] ?? 20_000);
const SETS = Number(process.env['BENCH_SETS'] ?? 3);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const BIG = 20 * 1024 * 1024;
const log = (s: string): void => { process.stderr.write(`[single-file-restore ${new Date().toISOString().slice(11, 19)}] ${s}\n`); };

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string; wallMs: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(-2_000_000)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, wallMs: performance.now() - t0 }));
  });
}

/** mulberry32: the same tree in every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(20);
const WORDS = 'paciente exame consulta laudo receita retorno hemograma glicemia creatinina ureia sodio potassio alta internacao '.split(' ');

function contents(i: number): Buffer {
  const k = i % 1000;
  if (k < 3) return randomBytes(1_000_000 + Math.floor(rand() * 3_000_000));
  if (k < 50) return randomBytes(50_000 + Math.floor(rand() * 200_000));
  const size = 500 + Math.floor(rand() * 7_500);
  const parts: string[] = [];
  let len = 0;
  while (len < size) {
    const w = `${WORDS[Math.floor(rand() * WORDS.length)] ?? 'x'} ${Math.floor(rand() * 1e6)}\n`;
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('').slice(0, size));
}

const fileOf = (tree: string, i: number): string => join(tree, `p${String(Math.floor(i / 200)).padStart(3, '0')}`, `exame-${i}.dat`);
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

// a server name of its own: the server-side lock (backup-<server>) would otherwise make this bench
// wait for any other bench or test backing up a server named alike on this machine
const SERVER = `s${randomBytes(3).toString('hex')}`;
const ssh = await startSshd();
const keep = stopOnSignal(() => ssh.stop());
const dir = await tempDir('bench-single-file');
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
  const { identity, recipient } = generateIdentity();
  const idFile = join(dir, 'id.txt');
  await writeIdentityFile(idFile, identity, recipient);
  const signingKeyFile = join(dir, 'signing_key');
  const { privateText, publicLine: signer } = generateSigningKey('cofre-bench');
  writeFileSync(signingKeyFile, privateText, { mode: 0o600 });
  const cfg = join(dir, 'cofre.yaml');
  writeFileSync(cfg, `servers:
  ${SERVER}: { host: 127.0.0.1, port: ${ssh.port}, user: ${ssh.user}, privateKeyFile: ${ssh.privateKeyPath}, hostKey: "${ssh.hostKeyFingerprint}" }
sources:
  arquivos: { server: ${SERVER}, type: files, paths: [${tree}], format: packs }
storage:
  nas: { type: folder, path: ${storage} }
encryption: { recipients: ["${recipient}"], identityFile: ${idFile}, signingKeyFile: ${signingKeyFile}, signers: ["${signer}"] }
plans:
  p: { sources: [arquivos], storage: nas }
restoreTargets:
  homologacao: { kind: staging, server: ${SERVER}, filesRoot: ${targetRoot} }
`);
  const env = { ...process.env, COFRE_CONFIG: cfg, COFRE_HOME: home };
  const cofre = (args: string[]): ReturnType<typeof run> => run(process.execPath, [COFRE, ...args], { env });

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
  const restores: Array<{ wallS: number; cpuS: number; loadAvg1: number; identical: boolean; phases?: unknown }> = [];
  for (let k = 0; k < RUNS; k++) {
    await removeDir(targetRoot);
    mkdirSync(targetRoot);
    // the cofre process's own CPU time too (zstd and tar on the target are other processes): the wall time moves with the machine's load
    const timeFile = join(dir, 'time.txt');
    const r = await run('/usr/bin/time', ['-o', timeFile, '-f', '%U %S', process.execPath, COFRE, ...args], { env });
    if (r.code !== 0) throw new Error(`restore failed: ${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
    const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()?.split(' ').map(Number) ?? [];
    const cpuS = (user ?? 0) + (sys ?? 0);
    const j = JSON.parse(r.stdout) as { items?: Array<{ destination: string }>; phases?: unknown };
    const dest = j.items?.[0]?.destination ?? '';
    const restored = join(dest, bigFile);
    const identical = sha(restored) === bigSha;
    const others = readdirSync(join(dest, tree)).filter((f) => f !== 'imagens');
    if (others.length > 0) throw new Error(`the restore placed more than the asked file: ${others.slice(0, 5).join(', ')}`);
    restores.push({ wallS: r.wallMs / 1000, cpuS, loadAvg1: loadavg()[0] ?? 0, identical, phases: j.phases });
    log(`restore --path ${relative(dir, bigFile)}: ${(r.wallMs / 1000).toFixed(2)} s (cofre CPU ${cpuS.toFixed(2)} s, load ${(loadavg()[0] ?? 0).toFixed(1)}), identical: ${identical}`);
  }

  // which storage objects the command opened (strace: every openat of the process tree)
  await removeDir(targetRoot);
  mkdirSync(targetRoot);
  const traceFile = join(dir, 'openat.trace');
  const traced = await run('strace', ['-f', '-qq', '-e', 'trace=openat', '-o', traceFile, process.execPath, COFRE, ...args], { env });
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

  const walls = restores.map((r) => r.wallS).sort((a, b) => a - b);
  const report = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, loadAvgAtEnd: loadavg() },
    tree: { files: FILES + 1, bytes: treeBytes, bigFileBytes: BIG },
    sets,
    newestSet: { setId: newest, packs: setPacks.length, packBytes, indexBytes },
    file: { path: relative(dir, bigFile), pack: bigPack, packBytes: bigPackBytes },
    restore: { runs: restores, bestS: walls[0], medianS: walls[Math.floor(walls.length / 2)] },
    storageRead: { objects: read, bytes: fetched, packsOpened: packsOpened.length, onlyItsPack: packsOpened.length === 1 && packsOpened[0]?.key === `packs/${bigPack}` },
  };
  writeFileSync(join(ROOT, 'bench', 'results-single-file-restore.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await ssh.stop();
  keep();
  await removeDir(dir);
}
