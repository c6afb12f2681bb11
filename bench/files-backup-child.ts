/**
 * One backup of a plan, in its own process, for bench/files-scale.ts: runBackup() as the daemon
 * runs it (heap tuned as `cofre` does), then prints its result and this process's peak RSS
 * (process.resourceUsage().maxRSS: the Node process only; zstd and ssh are other processes).
 *   node --import tsx bench/files-backup-child.ts PLAN      (COFRE_CONFIG, COFRE_HOME from the environment)
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { AppContext } from '../src-main/app/context.js';
import { runBackup } from '../src-main/backup/run.js';
import { tuneHeapForStreaming } from '../src-main/app/heap.js';

tuneHeapForStreaming();
const plan = process.argv[2];
if (!plan) throw new Error('usage: bench/files-backup-child.ts PLAN');
const ctx = new AppContext({ actor: 'bench@files-scale' });
const t0 = performance.now();
// BENCH_MEM_TRACE=FILE: a memoryUsage() sample every 250 ms appended to FILE (which phase holds what)
const mib = (n: number): string => (n / 1048576).toFixed(0);
const sampler = process.env['BENCH_MEM_TRACE'] ? setInterval(() => {
  const m = process.memoryUsage();
  appendFileSync(process.env['BENCH_MEM_TRACE'] ?? '', `[mem ${((performance.now() - t0) / 1000).toFixed(1)} s] rss ${mib(m.rss)} heap ${mib(m.heapUsed)}/${mib(m.heapTotal)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)} MiB\n`);
}, 250) : undefined;
// BENCH_PHASES=1: every run log line with its time since the start, on stderr (where the time goes)
const phases = process.env['BENCH_PHASES'] ? (line: string): void => { process.stderr.write(`[phase ${((performance.now() - t0) / 1000).toFixed(3)} s] ${line}\n`); } : undefined;
const r = await runBackup(ctx, plan, { trigger: 'schedule', ...(phases ? { onLog: phases } : {}) });
const wallMs = performance.now() - t0;
if (sampler) clearInterval(sampler);
ctx.close();
const usage = process.resourceUsage();
const out = { status: r.status, setId: r.setId, wallMs, cpuS: (usage.userCPUTime + usage.systemCPUTime) / 1e6, bytes: r.bytes, maxRssKiB: usage.maxRSS, error: r.error?.message, files: r.files };
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exitCode = r.status === 'succeeded' ? 0 : 1;
