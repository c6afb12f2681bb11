#!/usr/bin/env node
// `npm test`: build, typecheck, lint, then every vitest project (unit, integration with real
// services, e2e in Debian chromium). Ends with a plain "N passed, N failed" line for CI.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';

function step(name, cmd, args) {
  process.stdout.write(`\n== ${name}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  return r.status === 0;
}

const extra = process.argv.slice(2);
let ok = true;
for (const [name, cmd, args] of [
  ['build', 'npm', ['run', 'build']],
  ['typecheck', 'npm', ['run', 'typecheck', '--', '--pretty', 'false']],
  ['typecheck tests', 'npx', ['tsc', '-p', 'tsconfig.test.json']],
  ['lint', 'npx', ['eslint', '.']],
]) {
  if (!step(name, cmd, args)) {
    ok = false;
    if (name === 'build') break;
  }
}

mkdirSync('test-results', { recursive: true });
const report = 'test-results/vitest.json';
const vitestOk = step('tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra]);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // a test file that failed to load counts as a failure too
  failed += (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
} catch {
  failed += 1;
}
if (!ok) failed += 1; // build, typecheck or lint failed: never report green
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(ok && vitestOk && failed === 0 && passed > 0 ? 0 : 1);
