/**
 * Start-up time of the `cofre` CLI (issue 15): `cofre --help` run through the bundled CLI
 * (dist/cli/cofre.mjs, what bin/cofre.js runs when it is built) against the tsc output it ran
 * before (dist/src-main/cli/main.js) and an empty Node start, alternating, BENCH_RUNS times each
 * (default 15). Wall = spawn to exit. Needs `npm run build`. Reported, not asserted.
 * Writes bench/results-cli-startup.json.
 *   flock /tmp/cofre-bench.lock node --import tsx bench/cli-startup.ts
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT, logger, run } from './support.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const log = logger('cli-startup');
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

const variants: Record<string, string[]> = {
  emptyNode: ['-e', ''],
  tscOutput: [join(ROOT, 'dist', 'src-main', 'cli', 'main.js'), '--help'],
  bundle: [join(ROOT, 'dist', 'cli', 'cofre.mjs'), '--help'],
};
const walls: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));

const loadBefore = loadavg();
for (let i = 0; i < RUNS; i++) {
  const order = Object.keys(variants);
  if (i % 2 === 1) order.reverse();
  for (const name of order) {
    const r = await run(process.execPath, variants[name] ?? [], { env });
    if (r.code !== 0) throw new Error(`${name} failed: ${r.stderr.slice(-2000)}`);
    walls[name]?.push(r.wallMs / 1000);
  }
}
const loadAfter = loadavg();

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const medians = Object.fromEntries(Object.entries(walls).map(([k, v]) => [k, median(v)]));
const report = {
  date: new Date().toISOString(),
  command: 'node <entry> --help, alternating, wall = spawn to exit',
  node: process.version,
  cpus: cpus().length,
  load: { before: loadBefore, after: loadAfter },
  runs: RUNS,
  medianS: medians,
  bundleOverTsc: (medians['bundle'] ?? 0) / (medians['tscOutput'] ?? 1),
  overEmptyNodeS: { tscOutput: (medians['tscOutput'] ?? 0) - (medians['emptyNode'] ?? 0), bundle: (medians['bundle'] ?? 0) - (medians['emptyNode'] ?? 0) },
  wallsS: walls,
};
writeFileSync(join(ROOT, 'bench', 'results-cli-startup.json'), `${JSON.stringify(report, null, 2)}\n`);
log(`medians: ${JSON.stringify(medians)} (load ${loadBefore[0]?.toFixed(1)} → ${loadAfter[0]?.toFixed(1)})`);
