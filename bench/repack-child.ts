/**
 * One `cofre repack` of a storage, in its own process, for bench/repack-scale.ts: repackStorage()
 * as the CLI runs it (heap tuned as `cofre` does), then prints its result and this process's peak
 * RSS (process.resourceUsage().maxRSS: the Node process only; zstd is another process).
 *   node --import tsx bench/repack-child.ts STORAGE      (COFRE_CONFIG, COFRE_HOME from the environment)
 * BENCH_MEM_TRACE=FILE: a memoryUsage() sample every 250 ms, and repack's log lines, appended to FILE.
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { AppContext } from '../src-main/app/context.js';
import { tuneHeapForStreaming } from '../src-main/app/heap.js';
import { repackStorage } from '../src-main/files2/repack.js';

tuneHeapForStreaming();
const storage = process.argv[2];
if (!storage) throw new Error('usage: bench/repack-child.ts STORAGE');
const ctx = new AppContext({ actor: 'bench@repack-scale' });
const t0 = performance.now();
const traceFile = process.env['BENCH_MEM_TRACE'];
const trace = (s: string): void => { if (traceFile) appendFileSync(traceFile, `[${((performance.now() - t0) / 1000).toFixed(1)} s] ${s}\n`); };
const mib = (n: number): string => (n / 1048576).toFixed(0);
const sampler = traceFile ? setInterval(() => {
  const m = process.memoryUsage();
  trace(`rss ${mib(m.rss)} heap ${mib(m.heapUsed)}/${mib(m.heapTotal)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)} MiB`);
}, 250) : undefined;
try {
  const r = await repackStorage(ctx, { storage, threshold: 0.5, dryRun: false, onLog: trace });
  const wallMs = performance.now() - t0;
  const usage = process.resourceUsage();
  process.stdout.write(`${JSON.stringify({ wallMs, cpuS: (usage.userCPUTime + usage.systemCPUTime) / 1e6, maxRssKiB: usage.maxRSS, result: r })}\n`);
} finally {
  if (sampler) clearInterval(sampler);
  ctx.close();
}
