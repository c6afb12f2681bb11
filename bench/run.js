#!/usr/bin/env node
// Entry of `npm run bench`: runs each benchmark in its own Node process (through tsx), in turn.
//   node bench/run.js            backup, then restore (when bench/restore.ts exists)
//   node bench/run.js backup     only the backup benchmark (env: BENCH_SCALE, BENCH_FILES_MB, BENCH_REPEAT, BENCH_S3)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const all = ['backup', 'restore'];
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : all;
let failed = 0;
for (const name of wanted) {
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  if (!existsSync(file)) {
    if (process.argv.length > 2) {
      process.stderr.write(`bench: no benchmark named ${name}\n`);
      failed++;
    }
    continue;
  }
  process.stderr.write(`\n=== bench/${name}.ts ===\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    process.stderr.write(`bench/${name}.ts failed (${r.status ?? r.signal})\n`);
    failed++;
  }
}
process.exitCode = failed === 0 ? 0 : 1;
