/**
 * When is a pack worth filtering on the backup host? (bench for src-main/files2/pack-filter.ts:
 * FILTER_AT_MOST.) Two sources of one pack each (≈ 60 MB of plaintext): `imagens`, random files
 * (zstd cannot shrink them), and `textos`, text-like files (zstd shrinks them ≈ 3×). For a share
 * of each source's files (10 % … 100 %), a granular restore onto the harness sshd, in this process,
 * with every pack filtered here (decompressed here, only the asked members over SSH) and with every
 * pack sent whole (decompressed on the target, tar writes the named members), alternated, BENCH_RUNS
 * times each (default 3): wall time, this process's CPU, and the bytes written to the target's tar.
 * Reported, not asserted. Writes bench/results-pack-filter-crossover.json.
 *   npm run build && node --import tsx bench/pack-filter-crossover.ts
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Transform, pipeline } from 'node:stream';
import { removeDir } from '../test/harness/index.js';
import { FolderStorage } from '../src-main/storage/folder.js';
import { connectServer } from '../src-main/remote/connect.js';
import type { ExecOptions, RemoteHost } from '../src-main/remote/types.js';
import { restoreFilesV2 } from '../src-main/files2/restore.js';
import type { Manifest } from '../shared/domain.js';
import { textLines } from './bench-tree.js';
import { ROOT, benchKeys, filesPlanYaml, logger, machine, run, startBenchHarness, writeResults } from './support.js';

const COFRE = join(ROOT, 'bin', 'cofre.js');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const SHARES = [0.1, 0.25, 0.5, 0.75, 1];
const log = logger('pack-filter-crossover');

async function runCofre(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await run(process.execPath, [COFRE, ...args], { env });
  if (r.code !== 0) throw new Error(`cofre ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-4000)}`);
  return r.stdout;
}

function countingHost(host: RemoteHost, sent: { bytes: number }): RemoteHost {
  const exec = (command: string, opts: ExecOptions = {}): ReturnType<RemoteHost['exec']> => {
    if (!opts.stdin || opts.label !== 'tar (pack)') return host.exec(command, opts);
    const counter = new Transform({ transform(chunk: Buffer, _e, cb) { sent.bytes += chunk.length; cb(null, chunk); } });
    return host.exec(command, { ...opts, stdin: pipeline(opts.stdin, counter, () => undefined) });
  };
  return {
    name: host.name, host: host.host, port: host.port, user: host.user, hostKeyFingerprint: host.hostKeyFingerprint,
    get connected() { return host.connected; },
    exec, run: (c, o) => host.run(c, o), runChecked: (c, o) => host.runChecked(c, o), close: () => host.close(), closed: host.closed,
  };
}

const { ssh, dir, server, stop } = await startBenchHarness('bench-filter-crossover');
let host: RemoteHost | undefined;
try {
  const trees = { imagens: join(dir, 'srv', 'imagens'), textos: join(dir, 'srv', 'textos') };
  const files: Record<string, string[]> = { imagens: [], textos: [] };
  mkdirSync(trees.imagens, { recursive: true });
  mkdirSync(trees.textos, { recursive: true });
  for (let i = 0; i < 40; i++) {
    const f = join(trees.imagens, `img-${String(i).padStart(2, '0')}.dcm`);
    writeFileSync(f, randomBytes(1_500_000));
    files['imagens']?.push(f);
  }
  for (let i = 0; i < 40; i++) {
    const f = join(trees.textos, `txt-${String(i).padStart(2, '0')}.txt`);
    writeFileSync(f, textLines(1_500_000, Math.random));
    files['textos']?.push(f);
  }
  const storage = join(dir, 'storage');
  const home = join(dir, 'home');
  mkdirSync(storage);
  mkdirSync(home);
  const keys = await benchKeys(dir);
  const { identity } = keys;
  const cfg = join(dir, 'cofre.yaml');
  writeFileSync(cfg, filesPlanYaml({ ssh, server, keys, sources: trees, storage }));
  const env = { ...process.env, COFRE_CONFIG: cfg, COFRE_HOME: home };
  const { setId } = JSON.parse(await runCofre(['--json', 'backup', '--plan', 'p'], env)) as { setId: string };
  const manifest = JSON.parse(readFileSync(join(storage, 'sets', setId, 'manifest.json'), 'utf8')) as Manifest;
  if (manifest.format !== 'cofre-set/2') throw new Error('not format 2');
  const packs = manifest.packs ?? [];
  log(`set ${setId}: ${packs.map((p) => `${p.key.slice(6, 14)}… ${p.bytes} B`).join(', ')}`);
  host = await connectServer({ name: server, host: '127.0.0.1', port: ssh.port, user: ssh.user, privateKeyFile: ssh.privateKeyPath, hostKey: ssh.hostKeyFingerprint });
  const folder = new FolderStorage({ type: 'folder', name: 'nas', path: storage });

  const rows: Array<{ source: string; share: number; askedBytes: number; route: string; runs: Array<{ wallS: number; cpuS: number; sentBytes: number; loadAvg1: number }> }> = [];
  for (const source of ['imagens', 'textos'] as const) {
    const object = manifest.sources.find((s) => s.name === source)?.objects.find((o) => o.format === 'files-v2');
    if (!object) throw new Error(`no index for ${source}`);
    const all = files[source] ?? [];
    for (const share of SHARES) {
      const paths = all.slice(0, Math.max(1, Math.round(all.length * share)));
      const askedBytes = paths.length * 1_500_000;
      const byRoute: Record<string, (typeof rows)[number]> = {};
      for (let k = 0; k < RUNS; k++) {
        for (const [route, atMost] of [['filtered', Number.POSITIVE_INFINITY], ['whole', 0]] as const) {
          const destination = join(dir, 'alvo', `${source}-${share}-${route}-${k}`);
          const sent = { bytes: 0 };
          const cpu0 = process.cpuUsage();
          const t0 = performance.now();
          await restoreFilesV2({ storage: folder, host: countingHost(host, sent), identities: [identity], destination, index: object, packs, paths, label: source, filterAtMost: atMost });
          const wallS = (performance.now() - t0) / 1000;
          const cpu = process.cpuUsage(cpu0);
          const sample = { wallS, cpuS: (cpu.user + cpu.system) / 1e6, sentBytes: sent.bytes, loadAvg1: loadavg()[0] ?? 0 };
          (byRoute[route] ??= { source, share, askedBytes, route, runs: [] }).runs.push(sample);
          log(`${source} ${Math.round(share * 100)} % (${paths.length} files) ${route}: ${wallS.toFixed(2)} s, cpu here ${sample.cpuS.toFixed(2)} s, sent ${sent.bytes} B, load ${sample.loadAvg1.toFixed(1)}`);
          await removeDir(destination);
        }
      }
      rows.push(...Object.values(byRoute));
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const report = {
    at: new Date().toISOString(),
    machine: machine(),
    storedPackBytes: packs.map((p) => p.bytes),
    rows: rows.map((r) => ({ ...r, medianWallS: median(r.runs.map((x) => x.wallS)), medianCpuS: median(r.runs.map((x) => x.cpuS)) })),
  };
  writeResults('results-pack-filter-crossover.json', report);
  process.stdout.write(`${JSON.stringify(report.rows.map((r) => ({ source: r.source, share: r.share, route: r.route, medianWallS: r.medianWallS, medianCpuS: r.medianCpuS, sent: r.runs[0]?.sentBytes })), null, 1)}\n`);
} finally {
  host?.close();
  await stop();
  await removeDir(dir);
}
