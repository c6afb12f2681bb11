/**
 * The format-2 spool (plaintext paths and contents while a job runs) lives in one Cofre-owned
 * 0700 folder, and a job killed before it could clean up leaves a folder the next job's open
 * removes: only when its owner is gone (pid not running, or the pid now names another process),
 * never a running job's, never a folder that is not a spool.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool, isStaleSpool, processStart, spoolRoot } from '../../src-main/files2/spool.js';

const bases: string[] = [];
afterEach(() => {
  for (const b of bases.splice(0)) rmSync(b, { recursive: true, force: true });
});

function base(): string {
  const b = mkdtempSync(join(tmpdir(), 'cofre-spool-test-'));
  bases.push(b);
  return b;
}

/** A folder as a job of `pid` (started at `start`) leaves it, with a plaintext path inside. */
function leftBehind(root: string, pid: number, start: string): string {
  const dir = join(root, `files2.${pid}.${start}.Ab12Cd`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'to-read'), 'srv/exames/paciente José.pdf\0');
  return dir;
}

describe('spool folders', () => {
  it('are private: the root and each job folder are 0700, under <tmp>/cofre-<uid>', async () => {
    const root = spoolRoot(base());
    expect(root).toMatch(/cofre-\d+$/);
    const spool = await Spool.open('files2', root);
    expect(spool.dir.startsWith(`${root}/files2.${process.pid}.`)).toBe(true);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    expect(statSync(spool.dir).mode & 0o777).toBe(0o700);
    await spool.dispose();
    expect(existsSync(spool.dir)).toBe(false);
  });

  it('a wider root left by someone (0755) is made 0700 again', async () => {
    const root = spoolRoot(base());
    mkdirSync(root, { mode: 0o755 });
    const spool = await Spool.open('restore', root);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    await spool.dispose();
  });

  it("opening removes the folders of gone owners (dead pid, reused pid) and keeps running jobs' and foreign folders", async () => {
    const root = spoolRoot(base());
    mkdirSync(root, { mode: 0o700 });
    const dead = spawnSync('true').pid ?? 0; // exited: its pid runs nothing now
    expect(dead).toBeGreaterThan(0);
    const me = processStart(process.pid);
    expect(me, 'Linux gives a process start time').toMatch(/^\d+$/);
    const killed = leftBehind(root, dead, '12345');
    const reused = leftBehind(root, process.pid, String(Number(me) + 1)); // same pid, another process
    const running = leftBehind(root, process.ppid, processStart(process.ppid));
    const mine = leftBehind(root, process.pid, me); // another job of this very process
    const foreign = join(root, 'not-a-spool');
    mkdirSync(foreign);
    expect([killed, reused].map((d) => isStaleSpool(d.split('/').pop() ?? ''))).toEqual([true, true]);
    const spool = await Spool.open('files2', root);
    expect(existsSync(killed)).toBe(false);
    expect(existsSync(reused)).toBe(false);
    for (const kept of [running, mine, foreign]) expect(existsSync(kept), kept).toBe(true);
    expect(existsSync(join(running, 'to-read'))).toBe(true);
    await spool.dispose();
  });
});
