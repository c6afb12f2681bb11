/**
 * Backup benchmark (issue 4): `cofre backup` versus the raw pipelines
 *   ssh server pg_dump -Fc … | age -r R > file      and      ssh server tar -c … | age -r R > file
 * on the same data, in the same run, on the harness server (real sshd, PostgreSQL 15, s3rver).
 * Data: a `pgbench -i -s SCALE` database (~15 MB per scale unit) plus FILES MiB of files (half
 * random, half compressible text), and a 10x smaller copy of both, so peak RSS can be compared.
 * Cofre is measured twice: `cofre backup` as a new process (what a technician types), and the
 * same backup inside a running process, as the daemon runs it when a schedule fires.
 * Every measured command runs under `/usr/bin/time -v` (user+sys CPU, peak RSS of the process
 * tree's largest process); wall time is measured here. Reported, not asserted.
 *
 * Env: BENCH_SCALE (pgbench scale, default 50), BENCH_FILES_MB (default SCALE*1024/50, so 1 GiB at
 * the default), BENCH_REPEAT (runs per measurement, best wall time kept; default 1),
 * BENCH_S3 (0 to skip the extra Cofre→s3rver row). Writes bench/results.json.
 * Run: node bench/run.js   (or: node --import tsx bench/backup.ts)
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness, stopOnSignal, tempDir, removeDir, PG_BIN, pgCreateDatabase } from '../test/harness/index.js';
import type { Harness } from '../test/harness/index.js';
import { createBucket } from '../test/support/backup-fixture.js';
import { generateIdentity } from '../src-main/crypto/age.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCALE = Number(process.env['BENCH_SCALE'] ?? '50');
const FILES_MB = Number(process.env['BENCH_FILES_MB'] ?? String(Math.round((SCALE * 1024) / 50)));
const REPEAT = Math.max(1, Number(process.env['BENCH_REPEAT'] ?? '1'));
const WITH_S3 = process.env['BENCH_S3'] !== '0';
const TIME = '/usr/bin/time';

interface Dataset {
  name: 'full' | 'small';
  pgScale: number;
  filesMiB: number;
  db: string;
  filesDir: string;
}

interface Measure {
  dataset: string;
  source: 'postgres' | 'files';
  method: string;
  wallMs: number;
  /** bytes written (age-encrypted) */
  bytes: number;
  mbPerS: number;
  userS: number;
  sysS: number;
  cpuS: number;
  /** the largest single process of the measured tree */
  maxRssMiB: number;
}

const log = (s: string): void => {
  process.stderr.write(`[bench] ${s}\n`);
};

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function checked(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** Runs a command under /usr/bin/time -v; returns its output, wall time and rusage figures. */
async function timed(args: string[], env: NodeJS.ProcessEnv, timeFile: string): Promise<{ stdout: string; stderr: string; wallMs: number; userS: number; sysS: number; maxRssKiB: number }> {
  // write back what earlier runs left dirty, so no run pays for the previous one's data
  await run('sync', []);
  const t0 = performance.now();
  const r = await run(TIME, ['-v', '-o', timeFile, ...args], { env });
  const wallMs = performance.now() - t0;
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`);
  const text = readFileSync(timeFile, 'utf8');
  const num = (label: string): number => {
    const m = new RegExp(`${label}:\\s*([0-9.]+)`).exec(text);
    if (!m?.[1]) throw new Error(`no "${label}" in ${text}`);
    return Number(m[1]);
  };
  return { stdout: r.stdout, stderr: r.stderr, wallMs, userS: num('User time \\(seconds\\)'), sysS: num('System time \\(seconds\\)'), maxRssKiB: num('Maximum resident set size \\(kbytes\\)') };
}

/** `count` MiB of files of 16 MiB: even ones random, odd ones compressible text. */
function makeFiles(dir: string, mib: number): void {
  mkdirSync(dir, { recursive: true });
  const fileMiB = 16;
  const words = ['paciente', 'exame', 'consulta', 'laudo', 'receita', 'retorno', 'clínica', 'hemograma', 'glicemia', 'raio-x'];
  let lineNo = 0;
  for (let i = 0, left = mib; left > 0; i++, left -= fileMiB) {
    const size = Math.min(fileMiB, left) * 1024 * 1024;
    const fd = openSync(join(dir, `${i % 2 === 0 ? 'imagem' : 'texto'}-${String(i).padStart(4, '0')}.${i % 2 === 0 ? 'bin' : 'txt'}`), 'w');
    try {
      if (i % 2 === 0) {
        for (let done = 0; done < size; done += 1024 * 1024) writeSync(fd, randomBytes(Math.min(1024 * 1024, size - done)));
      } else {
        let done = 0;
        while (done < size) {
          const lines: string[] = [];
          for (let k = 0; k < 8000; k++, lineNo++) {
            lines.push(`${lineNo};${words[lineNo % 10]} ${words[(lineNo * 7) % 10]};${(lineNo * 2654435761) % 100000};2026-${String((lineNo % 12) + 1).padStart(2, '0')}-${String((lineNo % 28) + 1).padStart(2, '0')};ok\n`);
          }
          const buf = Buffer.from(lines.join(''));
          const n = Math.min(buf.length, size - done);
          writeSync(fd, buf, 0, n);
          done += n;
        }
      }
    } finally {
      closeSync(fd);
    }
  }
}

function sshArgs(h: Harness): string[] {
  return [
    'ssh', '-F', '/dev/null', '-i', h.ssh.privateKeyPath, '-p', String(h.ssh.port),
    '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${h.ssh.knownHostsPath}`,
    '-o', 'StrictHostKeyChecking=yes', '-o', 'LogLevel=ERROR', `${h.ssh.user}@${h.ssh.host}`,
  ];
}

const shq = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

async function main(): Promise<void> {
  if (!existsSync(TIME)) throw new Error(`${TIME} is needed (Debian package "time")`);
  const started = Date.now();
  log(`scale ${SCALE} (+ files ${FILES_MB} MiB), small set scale ${Math.max(1, Math.round(SCALE / 10))} (+ ${Math.max(1, Math.round(FILES_MB / 10))} MiB), repeat ${REPEAT}`);
  const h = await startHarness();
  const keepSignals = stopOnSignal(() => h.stop());
  const dir = await tempDir('bench-backup');
  try {
    const datasets: Dataset[] = [
      { name: 'full', pgScale: SCALE, filesMiB: FILES_MB, db: 'bench_full', filesDir: join(dir, 'srv', 'full') },
      { name: 'small', pgScale: Math.max(1, Math.round(SCALE / 10)), filesMiB: Math.max(1, Math.round(FILES_MB / 10)), db: 'bench_small', filesDir: join(dir, 'srv', 'small') },
    ];
    // --- data: pgbench in the background while the files are written
    const tSetup = Date.now();
    const pgbench = (async () => {
      for (const d of datasets) {
        await pgCreateDatabase(h.postgres, d.db);
        await checked(join(PG_BIN, 'pgbench'), ['-i', '-q', '-s', String(d.pgScale), '-h', '127.0.0.1', '-p', String(h.postgres.port), '-U', 'postgres', d.db]);
      }
    })();
    for (const d of datasets) makeFiles(d.filesDir, d.filesMiB);
    await pgbench;
    const dbSizes: Record<string, number> = {};
    for (const d of datasets) {
      dbSizes[d.name] = Number((await checked(join(PG_BIN, 'psql'), ['-X', '-At', '-h', '127.0.0.1', '-p', String(h.postgres.port), '-U', 'postgres', '-d', d.db, '-c', 'SELECT pg_database_size(current_database())'])).trim());
    }
    log(`data ready in ${((Date.now() - tSetup) / 1000).toFixed(1)} s: db ${datasets.map((d) => `${d.name} ${(dbSizes[d.name] ?? 0) / 2 ** 20 | 0} MiB`).join(', ')}`);

    // --- Cofre config
    const { recipient } = generateIdentity();
    const storageDir = join(dir, 'storage');
    mkdirSync(storageDir);
    const rawDir = join(dir, 'raw');
    mkdirSync(rawDir);
    const bucket = 'bench-backup';
    await createBucket(h.info, bucket);
    const home = join(dir, 'home');
    mkdirSync(home);
    const configPath = join(dir, 'cofre.yaml');
    const sources = datasets.flatMap((d) => [
      `  pg_${d.name}: { server: s, type: postgres, host: 127.0.0.1, port: ${h.postgres.port}, user: postgres, databases: [${d.db}] }`,
      `  files_${d.name}: { server: s, type: files, paths: [${d.filesDir}] }`,
    ]);
    const plans = datasets.flatMap((d) => [
      `  pg_${d.name}: { sources: [pg_${d.name}], storage: disco, schedule: "0 2 * * *" }`,
      `  files_${d.name}: { sources: [files_${d.name}], storage: disco, schedule: "0 2 * * *" }`,
      `  pg_${d.name}_s3: { sources: [pg_${d.name}], storage: nuvem, schedule: "0 2 * * *" }`,
      `  files_${d.name}_s3: { sources: [files_${d.name}], storage: nuvem, schedule: "0 2 * * *" }`,
    ]);
    writeFileSync(configPath, `servers:
  s: { host: 127.0.0.1, port: ${h.ssh.port}, user: ${h.ssh.user}, privateKeyFile: ${h.ssh.privateKeyPath}, hostKey: "${h.ssh.hostKeyFingerprint}", location: { provider: clinica, region: sala } }
sources:
${sources.join('\n')}
storage:
  disco: { type: folder, path: ${storageDir}, location: { provider: nas, region: outro-predio } }
  nuvem: { type: s3, endpoint: ${h.s3.endpoint}, region: ${h.s3.region}, bucket: ${bucket}, forcePathStyle: true, accessKeyIdEnv: BENCH_S3_KEY, secretAccessKeyEnv: BENCH_S3_SECRET, location: { provider: s3rver, region: outra } }
encryption:
  recipients: ["${recipient}"]
plans:
${plans.join('\n')}
`);
    const env: NodeJS.ProcessEnv = { ...process.env, COFRE_CONFIG: configPath, COFRE_HOME: home, BENCH_S3_KEY: h.s3.accessKeyId, BENCH_S3_SECRET: h.s3.secretAccessKey };
    const built = join(ROOT, 'dist', 'src-main', 'cli', 'main.js');
    const cofreCmd = existsSync(built) ? [process.execPath, join(ROOT, 'bin', 'cofre.js')] : [process.execPath, '--import', 'tsx', join(ROOT, 'src-main', 'cli', 'main.ts')];
    if (!existsSync(built)) log('dist/ is not built: running the CLI through tsx (slower start-up)');
    const timeFile = join(dir, 'time.txt');

    const measures: Measure[] = [];
    const record = (m: Omit<Measure, 'mbPerS' | 'cpuS'>): Measure => {
      const full: Measure = { ...m, mbPerS: m.bytes / 2 ** 20 / (m.wallMs / 1000), cpuS: m.userS + m.sysS };
      log(`${m.dataset.padEnd(5)} ${m.source.padEnd(8)} ${m.method.padEnd(12)} ${fmt(m.wallMs / 1000)} s  ${fmt(full.mbPerS, 1)} MiB/s  cpu ${fmt(full.cpuS)} s  rss ${fmt(m.maxRssMiB, 1)} MiB  (${m.bytes} bytes)`);
      return full;
    };
    const best = (list: Measure[]): Measure => list.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));

    const rawPipeline = async (d: Dataset, source: 'postgres' | 'files'): Promise<Measure> => {
      const out = join(rawDir, `${source}-${d.name}.age`);
      const remote = source === 'postgres'
        ? `pg_dump -Fc -h 127.0.0.1 -p ${h.postgres.port} -U postgres -w -d ${d.db}`
        : `tar --create --file=- --format=posix --sparse -C / -- ${d.filesDir.replace(/^\//, '')}`;
      const script = `${sshArgs(h).map(shq).join(' ')} ${shq(remote)} | age -r ${shq(recipient)} > ${shq(out)}`;
      const t = await timed(['bash', '-o', 'pipefail', '-c', script], env, timeFile);
      const bytes = statSync(out).size;
      rmSync(out);
      return record({ dataset: d.name, source, method: 'raw', wallMs: t.wallMs, bytes, userS: t.userS, sysS: t.sysS, maxRssMiB: t.maxRssKiB / 1024 });
    };
    const cofreBackup = async (d: Dataset, source: 'postgres' | 'files', storage: 'folder' | 's3'): Promise<Measure> => {
      const planName = `${source === 'postgres' ? 'pg' : 'files'}_${d.name}${storage === 's3' ? '_s3' : ''}`;
      const t = await timed([...cofreCmd, 'backup', '--plan', planName, '--json'], env, timeFile);
      const json = JSON.parse(t.stdout) as { status: string; sources: Array<{ bytes: number }> };
      if (json.status !== 'succeeded') throw new Error(`cofre backup ${planName}: ${t.stdout}`);
      const bytes = json.sources.reduce((a, s) => a + s.bytes, 0);
      // keep the disk from filling up: the benchmark keeps no sets
      rmSync(join(storageDir, 'sets'), { recursive: true, force: true });
      return record({ dataset: d.name, source, method: storage === 'folder' ? 'cofre→folder' : 'cofre→s3rver', wallMs: t.wallMs, bytes, userS: t.userS, sysS: t.sysS, maxRssMiB: t.maxRssKiB / 1024 });
    };

    /** The same backup as the daemon runs it when a schedule fires: only runBackup() is timed (see daemon-backup.js). */
    const daemonBackup = async (d: Dataset, source: 'postgres' | 'files'): Promise<Measure> => {
      const planName = `${source === 'postgres' ? 'pg' : 'files'}_${d.name}`;
      const t = await timed([process.execPath, join(ROOT, 'bench', 'daemon-backup.js'), planName], env, timeFile);
      const json = JSON.parse(t.stdout) as { status: string; wallMs: number; bytes: number };
      if (json.status !== 'succeeded') throw new Error(`daemon backup ${planName}: ${t.stdout}`);
      rmSync(join(storageDir, 'sets'), { recursive: true, force: true });
      return record({ dataset: d.name, source, method: 'daemon→folder', wallMs: json.wallMs, bytes: json.bytes, userS: t.userS, sysS: t.sysS, maxRssMiB: t.maxRssKiB / 1024 });
    };

    // warm-up (page cache, sshd, postgres buffers): one untimed raw pass over each full source
    for (const source of ['postgres', 'files'] as const) await rawPipeline(datasets[0] as Dataset, source);
    measures.length = 0;

    const summary: Array<Record<string, number | string>> = [];
    for (const d of datasets) {
      for (const source of ['postgres', 'files'] as const) {
        const raws: Measure[] = [];
        const cofres: Measure[] = [];
        const daemons: Measure[] = [];
        for (let i = 0; i < REPEAT; i++) {
          raws.push(await rawPipeline(d, source));
          cofres.push(await cofreBackup(d, source, 'folder'));
          daemons.push(await daemonBackup(d, source));
        }
        const raw = best(raws);
        const cof = best(cofres);
        const dmn = best(daemons);
        measures.push(...raws, ...cofres, ...daemons);
        const row: Record<string, number | string> = {
          dataset: d.name, source,
          rawWallS: raw.wallMs / 1000, cofreWallS: cof.wallMs / 1000,
          rawMiBps: raw.mbPerS, cofreMiBps: cof.mbPerS,
          throughputRatio: raw.wallMs / cof.wallMs,
          rawCpuS: raw.cpuS, cofreCpuS: cof.cpuS,
          rawMaxRssMiB: raw.maxRssMiB, cofrePeakRssMiB: cof.maxRssMiB,
          storedBytes: cof.bytes,
          daemonWallS: dmn.wallMs / 1000, daemonRatio: raw.wallMs / dmn.wallMs, daemonPeakRssMiB: dmn.maxRssMiB,
        };
        if (WITH_S3) {
          const s3 = await cofreBackup(d, source, 's3');
          measures.push(s3);
          row['cofreS3WallS'] = s3.wallMs / 1000;
          row['cofreS3Ratio'] = raw.wallMs / s3.wallMs;
          row['cofreS3PeakRssMiB'] = s3.maxRssMiB;
        }
        summary.push(row);
      }
    }

    const peak = (name: string, source: string, method: string): number => Math.max(...measures.filter((m) => m.dataset === name && m.source === source && m.method === method).map((m) => m.maxRssMiB));
    const rss = (['postgres', 'files'] as const).flatMap((source) =>
      ['cofre→folder', 'daemon→folder', ...(WITH_S3 ? ['cofre→s3rver'] : [])].map((method) => ({
        source, method, smallPeakMiB: peak('small', source, method), fullPeakMiB: peak('full', source, method), diffMiB: peak('full', source, method) - peak('small', source, method),
      })),
    );
    const results = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', node: process.version },
      params: { scale: SCALE, filesMiB: FILES_MB, repeat: REPEAT, s3: WITH_S3 },
      datasets: datasets.map((d) => ({ name: d.name, pgbenchScale: d.pgScale, dbBytes: dbSizes[d.name], filesMiB: d.filesMiB })),
      targets: { throughputRatio: 0.9, peakRssMiB: 200, rssFlatWithinMiB: 50 },
      summary,
      rss,
      measures,
      totalSeconds: (Date.now() - started) / 1000,
    };
    writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

    const header = ['set', 'source', 'raw s', 'cofre s', 'raw MiB/s', 'cofre MiB/s', 'ratio', 'raw cpu s', 'cofre cpu s', 'cofre RSS MiB', 'daemon s', 'daemon ratio', ...(WITH_S3 ? ['s3 s', 's3 ratio', 's3 RSS'] : [])];
    const rows = summary.map((r) => [
      String(r['dataset']), String(r['source']), fmt(Number(r['rawWallS'])), fmt(Number(r['cofreWallS'])), fmt(Number(r['rawMiBps']), 1), fmt(Number(r['cofreMiBps']), 1),
      fmt(Number(r['throughputRatio'])), fmt(Number(r['rawCpuS'])), fmt(Number(r['cofreCpuS'])), fmt(Number(r['cofrePeakRssMiB']), 1),
      fmt(Number(r['daemonWallS'])), fmt(Number(r['daemonRatio'])),
      ...(WITH_S3 ? [fmt(Number(r['cofreS3WallS'])), fmt(Number(r['cofreS3Ratio'])), fmt(Number(r['cofreS3PeakRssMiB']), 1)] : []),
    ]);
    const widths = header.map((hd, i) => Math.max(hd.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
    process.stdout.write(`\nBackup benchmark: pgbench -s ${SCALE} + ${FILES_MB} MiB files (small set: 1/10), ${cpus().length} CPUs, ${process.version}\n`);
    process.stdout.write(`${line(header)}\n${rows.map(line).join('\n')}\n`);
    process.stdout.write(`Cofre peak RSS small → full: ${rss.map((r) => `${r.source} ${r.method} ${fmt(r.smallPeakMiB, 1)} → ${fmt(r.fullPeakMiB, 1)} MiB (Δ ${fmt(r.diffMiB, 1)})`).join('; ')}\n`);
    process.stdout.write('cofre = `cofre backup` as a new process (Node start-up, module loading, config and catalog included); daemon = the same backup run by a running daemon (runBackup only).\n');
    process.stdout.write(`ratio = raw wall time / cofre wall time (≥ 0.90 is the target). Written to bench/results.json (${fmt(results.totalSeconds, 0)} s in all).\n`);
  } finally {
    await h.stop();
    keepSignals();
    await removeDir(dir);
  }
}

await main();
