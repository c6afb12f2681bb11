// One scheduled backup as the daemon runs it (bench/backup.ts runs this under /usr/bin/time).
// A running daemon has its modules loaded, its config parsed and its catalog open when a
// schedule fires; only runBackup() itself is timed, on the built engine (dist/), as in
// src-main/daemon/daemon.ts. Prints {"status", "wallMs", "bytes"} on stdout.
//   node bench/daemon-backup.js PLAN        (COFRE_CONFIG and COFRE_HOME from the environment)
import { performance } from 'node:perf_hooks';
import { AppContext } from '../dist/src-main/app/context.js';
import { runBackup } from '../dist/src-main/backup/run.js';
import { tuneHeapForStreaming } from '../dist/src-main/app/heap.js';

tuneHeapForStreaming(); // as cofre daemon does (src-main/cli/main.ts)

const plan = process.argv[2];
if (!plan) throw new Error('usage: node bench/daemon-backup.js PLAN');
const ctx = new AppContext({ actor: 'bench@daemon' });
void ctx.config;
void ctx.catalog;
const t0 = performance.now();
const result = await runBackup(ctx, plan, { trigger: 'schedule' });
const wallMs = performance.now() - t0;
ctx.close();
process.stdout.write(`${JSON.stringify({ status: result.status, wallMs, bytes: result.bytes, error: result.error?.message })}\n`);
process.exitCode = result.status === 'succeeded' ? 0 : 1;
