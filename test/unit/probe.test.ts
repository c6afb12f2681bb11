/**
 * The probe script (sources/probe.ts) run by the real /bin/sh, as the server runs it after
 * taking the lock: every step's output and exit status come back under its own key, whether
 * the steps run at once (temp folder) or one by one (no temp folder can be made).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newProbeNonce, parseProbe, probeOk, probeScript, type ProbeStep } from '../../src-main/sources/probe.js';
import { CofreError } from '../../src-main/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofre-probe-test-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runProbe(steps: ProbeStep[], env: NodeJS.ProcessEnv): ReturnType<typeof parseProbe> {
  const nonce = newProbeNonce();
  const out = execFileSync('/bin/sh', ['-c', probeScript(steps, nonce)], { env: { PATH: process.env['PATH'], ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseProbe(out, nonce);
}

const steps: ProbeStep[] = [
  { key: 's0.tool', label: 'tool', command: 'echo "tool 1.2"' },
  { key: 's0.info', label: 'info', command: 'printf "a|1\\nb|2"; echo oops >&2' },
  { key: 's1.paths', label: 'paths', command: 'echo "/srv/missing: No such file"; exit 3' },
  { key: 's1.empty', label: 'empty', command: 'true' },
];

function expectResults(results: ReturnType<typeof parseProbe>): void {
  expect(results.get('s0.tool')).toEqual({ output: 'tool 1.2', code: 0 });
  expect(results.get('s0.info')).toEqual({ output: 'a|1\nb|2oops', code: 0 });
  expect(results.get('s1.paths')).toEqual({ output: '/srv/missing: No such file', code: 3 });
  expect(results.get('s1.empty')).toEqual({ output: '', code: 0 });
}

describe('probe script', () => {
  it('runs the steps at once and reports each one under its key, leaving no temp folder', () => {
    // s.a waits (up to 10 s) for s.b, which comes after it: only steps started together pass.
    const together: ProbeStep[] = [
      { key: 's.a', label: 'a', command: `i=0; while [ ! -e "${dir}/b" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; test -e "${dir}/b" && echo saw-b` },
      { key: 's.b', label: 'b', command: `touch "${dir}/b"; echo made-b` },
      ...steps,
    ];
    const tmp = join(dir, 'tmp');
    execFileSync('mkdir', [tmp]);
    const results = runProbe(together, { TMPDIR: tmp });
    expect(results.get('s.a')).toEqual({ output: 'saw-b', code: 0 });
    expect(results.get('s.b')).toEqual({ output: 'made-b', code: 0 });
    expectResults(results);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('removes its temp folder when the connection is lost mid-probe (SIGHUP)', async () => {
    const tmp = join(dir, 'tmp');
    execFileSync('mkdir', [tmp]);
    const slow: ProbeStep[] = [{ key: 's.slow', label: 'slow', command: `touch "${dir}/started"; sleep 5` }];
    const sh = spawn('/bin/sh', ['-c', probeScript(slow, newProbeNonce())], { env: { PATH: process.env['PATH'], TMPDIR: tmp }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => sh.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 100 && !existsSync(join(dir, 'started')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(tmp)).toHaveLength(1);
    sh.kill('SIGHUP');
    expect(await exited).toBe(129);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('runs them one by one, with the same results, where no temp folder can be made', () => {
    const results = runProbe(steps, { TMPDIR: join(dir, 'no-such-folder') });
    expectResults(results);
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
  });

  it('names the step that failed, with its output', () => {
    const results = runProbe(steps, { TMPDIR: dir });
    expect(() => probeOk(results, { key: 's1.paths', label: 'paths' }, 'srv (127.0.0.1:22)')).toThrow(CofreError);
    expect(() => probeOk(results, { key: 's1.paths', label: 'paths' }, 'srv (127.0.0.1:22)')).toThrow(/paths on srv \(127\.0\.0\.1:22\) exited with code 3: \/srv\/missing: No such file/);
  });

  it('is a no-op script when there is nothing to probe', () => {
    expect(runProbe([], {}).size).toBe(0);
  });
});
