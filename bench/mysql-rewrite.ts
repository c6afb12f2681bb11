/**
 * The staging rewrite of a MySQL dump (src-main/restore/mysql-rewrite.ts) against the raw pipeline
 * it sits in, same input, same run: `zstd -d | zstd -1` (what a staging restore of a .sql.zst
 * object does on this computer without the rewrite) versus `zstd -d | rewrite | zstd -1`.
 * The dump is synthetic in mysqldump's shape: data statements, one row per line, rows that name
 * the database, plus views/triggers/routines. Ratio only; no timed assertion.
 *   flock /tmp/cofre-bench.lock npx tsx bench/mysql-rewrite.ts [MiB=200]
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execFileSync } from 'node:child_process';
import { DumpRewriteStream } from '../src-main/restore/mysql-rewrite.js';

const mib = Number(process.argv[2] ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'cofre-bench-myrw-'));
const sql = join(dir, 'dump.sql');
const zst = `${sql}.zst`;

function makeDump(): void {
  const parts: string[] = ['/*!40101 SET NAMES utf8mb4 */;\n'];
  let bytes = 0;
  let t = 0;
  while (bytes < mib * 1024 * 1024) {
    const rows: string[] = [];
    for (let i = 0; i < 5000; i++) rows.push(`(${i},'paciente ${i} cita \`clinica\`.\`t\` e clinica.t; it\\'s ok','${'x'.repeat(60)}',${i * 1.5})`);
    const chunk = `DROP TABLE IF EXISTS \`t${t}\`;\nCREATE TABLE \`t${t}\` (\n  \`id\` int NOT NULL\n);\nINSERT INTO \`t${t}\` VALUES\n${rows.join(',\n')};\n` +
      `/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=\`app\`@\`%\` SQL SECURITY DEFINER */\n/*!50001 VIEW \`v${t}\` AS select \`clinica\`.\`t${t}\`.\`id\` AS \`id\` from (\`clinica\`.\`t${t}\` join \`outra\`.\`x\`) */;\n`;
    parts.push(chunk);
    bytes += chunk.length;
    t++;
  }
  writeFileSync(sql, parts.join(''));
  execFileSync('zstd', ['-q', '-3', '-f', sql, '-o', zst]);
}

async function run(rewrite: boolean): Promise<number> {
  const t0 = process.hrtime.bigint();
  const unzip = spawn('zstd', ['-d', '-q', '-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const zip = spawn('zstd', ['-q', '-c', '-1', '-T0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  await Promise.all([
    pipeline(createReadStream(zst), unzip.stdin),
    rewrite ? pipeline(unzip.stdout, new DumpRewriteStream({ from: 'clinica', to: 'clinica_restore_abcdef', stripDefiners: true }), zip.stdin) : pipeline(unzip.stdout, zip.stdin),
    pipeline(zip.stdout, sink),
  ]);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

makeDump();
const size = statSync(sql).size;
const raw: number[] = [];
const rw: number[] = [];
for (let i = 0; i < 3; i++) { raw.push(await run(false)); rw.push(await run(true)); }
const med = (a: number[]): number => [...a].sort((x, y) => x - y)[1] ?? 0;
const out = {
  date: new Date().toISOString(), loadavg: loadavg().map((l) => l.toFixed(2)), plainMiB: +(size / 1048576).toFixed(1),
  rawMs: raw.map(Math.round), rewriteMs: rw.map(Math.round),
  rawMiBps: +(size / 1048576 / (med(raw) / 1000)).toFixed(1), rewriteMiBps: +(size / 1048576 / (med(rw) / 1000)).toFixed(1),
  ratio: +(med(raw) / med(rw)).toFixed(2),
};
console.log(JSON.stringify(out, null, 2));
rmSync(dir, { recursive: true, force: true });
