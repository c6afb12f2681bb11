/**
 * Bandwidth limit and zstd MySQL dumps (issue 15), reported, not asserted:
 *
 * A. Throttle accuracy without services: bytes pushed through the limiter's stream as fast as it
 *    lets them, one stream and two streams sharing the direction; achieved rate ÷ limit.
 * B. A limited backup end to end (real sshd, folder storage): a files source of BENCH_BW_MB MiB of
 *    random bytes (format tar: every run reads all of it) backed up under each limit; the rate is
 *    read from the run's progress reports (SSH read), achieved ÷ limit.
 * C. MySQL dump compression: the same MariaDB database (BENCH_MY_ROWS rows of clinic-like rows:
 *    names, dates, decimals, free text with hashes in it) backed up with `compress: false` and with
 *    the default (`mysqldump | zstd -3` on the server): stored bytes, wall time and SQL MB/s.
 *
 * Env: BENCH_BW_MB (default 24), BENCH_MY_ROWS (default 300000), BENCH_REPEAT (best of, default 1).
 * Writes bench/results-bandwidth-zstd.json. Run: node bench/run.js bandwidth-zstd
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { startHarness, stopOnSignal, mariadbSql } from '../test/harness/index.js';
import { makeFixture } from '../test/support/backup-fixture.js';
import { AppContext } from '../src-main/app/context.js';
import { runBackup } from '../src-main/backup/run.js';
import { BandwidthLimiter } from '../src-main/backup/bandwidth.js';
import type { Progress } from '../shared/domain.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;
const BW_MB = Number(process.env['BENCH_BW_MB'] ?? '24');
const MY_ROWS = Number(process.env['BENCH_MY_ROWS'] ?? '300000');
const REPEAT = Math.max(1, Number(process.env['BENCH_REPEAT'] ?? '1'));
const log = (s: string): void => {
  process.stderr.write(`[bench] ${s}\n`);
};

async function throttleRate(limitMiB: number, streams: number, seconds: number): Promise<number> {
  const limiter = new BandwidthLimiter({ bytesPerSecond: limitMiB * MiB, timeZone: 'UTC' });
  const chunk = Buffer.alloc(64 * 1024);
  const perStream = Math.round((limitMiB * MiB * seconds) / streams);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: streams }, async () => {
    let left = perStream;
    const source = Readable.from((function* () {
      while (left > 0) {
        left -= chunk.length;
        yield chunk;
      }
    })());
    await pipeline(source, limiter.throttle('read'), new Writable({ write: (_c, _e, cb) => cb() }));
  }));
  const s = (performance.now() - t0) / 1000;
  return (perStream * streams) / s / MiB;
}

/** SSH-read rate of one source from its progress reports (first to last report), and the seconds between them. */
function progressRate(progress: Array<Progress & { at: number }>, source: string): { rate: number; seconds: number } {
  const mine = progress.filter((p) => p.source === source);
  const first = mine[0];
  const last = mine[mine.length - 1];
  if (!first || !last || last.at === first.at) return { rate: 0, seconds: 0 };
  const seconds = (last.at - first.at) / 1000;
  return { rate: (last.bytes - first.bytes) / seconds / MiB, seconds };
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = { when: new Date().toISOString() };

  log('A. throttle accuracy, no services');
  const a: Array<{ limitMiBps: number; streams: number; achievedMiBps: number; ratio: number }> = [];
  for (const limit of [2, 10, 20, 50]) {
    for (const streams of [1, 2]) {
      const achieved = await throttleRate(limit, streams, 4);
      a.push({ limitMiBps: limit, streams, achievedMiBps: Number(achieved.toFixed(2)), ratio: Number((achieved / limit).toFixed(3)) });
      log(`  limit ${limit} MiB/s, ${streams} stream(s): ${achieved.toFixed(2)} MiB/s (${(achieved / limit).toFixed(3)})`);
    }
  }
  results['throttle'] = a;

  const h = await startHarness();
  const off = stopOnSignal(() => h.stop());
  try {
    const fx = await makeFixture(h.info, { largeBytes: BW_MB * MiB, filesFormat: 'tar' });
    const variant = (name: string, edit: (doc: ReturnType<typeof parseDocument>) => void): string => {
      const doc = parseDocument(readFileSync(fx.configPath, 'utf8'));
      edit(doc);
      const file = join(fx.dir, `${name}.yaml`);
      writeFileSync(file, doc.toString());
      return file;
    };

    log(`B. limited backups of ${BW_MB} MiB of files over SSH`);
    const b: Array<{ limitMiBps: number | null; achievedMiBps: number; ratio: number | null; readS: number; wallS: number }> = [];
    for (const limit of [null, 1, 2, 4]) {
      const file = variant(`bw-${limit ?? 'none'}`, (doc) => {
        doc.setIn(['plans', 'bw'], doc.createNode({ sources: ['arquivos'], storage: 'nas', timezone: 'America/Sao_Paulo', ...(limit ? { bandwidth: `${limit}MiB/s` } : {}) }));
      });
      const ctx = new AppContext({ env: fx.env, configFlag: file });
      const progress: Array<Progress & { at: number }> = [];
      const t0 = performance.now();
      const r = await runBackup(ctx, 'bw', { onProgress: (p) => progress.push({ ...p, at: performance.now() }) });
      const wallS = (performance.now() - t0) / 1000;
      ctx.close();
      if (r.status !== 'succeeded') throw new Error(`backup failed: ${r.error?.message}`);
      const { rate: achieved, seconds } = progressRate(progress, 'arquivos.files');
      b.push({ limitMiBps: limit, achievedMiBps: Number(achieved.toFixed(2)), ratio: limit ? Number((achieved / limit).toFixed(3)) : null, readS: Number(seconds.toFixed(1)), wallS: Number(wallS.toFixed(1)) });
      log(`  limit ${limit ?? 'none'}: ${achieved.toFixed(2)} MiB/s read${limit ? ` (${(achieved / limit).toFixed(3)} of the limit)` : ''} over ${seconds.toFixed(1)} s, backup ${wallS.toFixed(1)} s`);
    }
    results['limitedBackup'] = b;

    log(`C. MySQL dump: ${MY_ROWS} rows, compress false vs zstd on the server`);
    await mariadbSql(h.info.mariadb, `CREATE TABLE evolucao (id INT PRIMARY KEY, paciente VARCHAR(120), nascimento DATE, valor DECIMAL(10,2), registro DATETIME, texto TEXT, hash CHAR(40)) ENGINE=InnoDB;
INSERT INTO evolucao SELECT seq, CONCAT('Paciente ', ELT(1 + seq % 7, 'José', 'Maria', 'Ana', 'João', 'Francisca', 'Antônio', 'Lúcia'), ' ', ELT(1 + seq % 5, 'Silva', 'Santos', 'Oliveira', 'Souza', 'Pereira'), ' ', seq),
  DATE('1940-01-01') + INTERVAL (seq * 7919) % 30000 DAY, (seq * 37) % 100000 / 100, TIMESTAMP('2020-01-01') + INTERVAL seq * 13 MINUTE,
  CONCAT('Evolução: paciente relata ', ELT(1 + seq % 4, 'dor lombar', 'cefaleia', 'melhora do quadro', 'febre há 2 dias'), '; PA ', 100 + seq % 60, 'x', 60 + seq % 30, '; conduta ', ELT(1 + seq % 3, 'analgesia', 'retorno em 15 dias', 'exames de rotina'), '. Ref ', MD5(seq)),
  SHA1(seq) FROM seq_1_to_${MY_ROWS};`, fx.myDb);
    const c: Array<{ compress: boolean; sqlMiB: number; storedMiB: number; ratio: number; wallS: number; sqlMiBps: number }> = [];
    let sqlBytes = 0;
    for (const compress of [false, true]) {
      let best: { storedBytes: number; wallS: number } | undefined;
      for (let i = 0; i < REPEAT; i++) {
        const file = variant(`my-${compress}`, (doc) => {
          doc.setIn(['sources', 'prontuarios', 'compress'], compress);
          doc.setIn(['plans', 'my'], doc.createNode({ sources: ['prontuarios'], storage: 'nas', timezone: 'America/Sao_Paulo' }));
        });
        const ctx = new AppContext({ env: fx.env, configFlag: file });
        const t0 = performance.now();
        const r = await runBackup(ctx, 'my');
        const wallS = (performance.now() - t0) / 1000;
        ctx.close();
        if (r.status !== 'succeeded') throw new Error(`backup failed: ${r.error?.message}`);
        if (!compress) sqlBytes = r.bytes;
        if (!best || wallS < best.wallS) best = { storedBytes: r.bytes, wallS };
      }
      if (!best) continue;
      const row = {
        compress, sqlMiB: Number((sqlBytes / MiB).toFixed(1)), storedMiB: Number((best.storedBytes / MiB).toFixed(1)),
        ratio: Number((sqlBytes / best.storedBytes).toFixed(2)), wallS: Number(best.wallS.toFixed(1)), sqlMiBps: Number((sqlBytes / MiB / best.wallS).toFixed(1)),
      };
      c.push(row);
      log(`  compress ${compress}: stored ${row.storedMiB} MiB of ${row.sqlMiB} MiB SQL (×${row.ratio}), ${row.wallS} s, ${row.sqlMiBps} MiB/s of SQL`);
    }
    results['mysqlZstd'] = c;
  } finally {
    await h.stop();
    off();
  }
  writeFileSync(join(ROOT, 'bench', 'results-bandwidth-zstd.json'), `${JSON.stringify(results, null, 2)}\n`);
  log('wrote bench/results-bandwidth-zstd.json');
}

await main();
