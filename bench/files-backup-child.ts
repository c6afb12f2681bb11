/**
 * One backup of a plan, in its own process, for bench/files-scale.ts: runBackup() as the daemon
 * runs it (heap tuned as `cofre` does), then prints its result and this process's peak RSS
 * (process.resourceUsage().maxRSS: the Node process only; zstd and ssh are other processes).
 *   node --import tsx bench/files-backup-child.ts PLAN      (COFRE_CONFIG, COFRE_HOME from the environment)
 */
import { performance } from 'node:perf_hooks';
import { AppContext } from '../src-main/app/context.js';
import { runBackup } from '../src-main/backup/run.js';
import { tuneHeapForStreaming } from '../src-main/app/heap.js';

tuneHeapForStreaming();
const plan = process.argv[2];
if (!plan) throw new Error('usage: bench/files-backup-child.ts PLAN');
const ctx = new AppContext({ actor: 'bench@files-scale' });
const t0 = performance.now();
const r = await runBackup(ctx, plan, { trigger: 'schedule' });
const wallMs = performance.now() - t0;
ctx.close();
const out = { status: r.status, setId: r.setId, wallMs, bytes: r.bytes, maxRssKiB: process.resourceUsage().maxRSS, error: r.error?.message, files: r.files };
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exitCode = r.status === 'succeeded' ? 0 : 1;
