/**
 * `cofre daemon` as a child process (the built CLI), the way systemd runs it: a schedule that
 * is due produces a real complete set in the folder storage, a second daemon on the same
 * COFRE_HOME refuses, and SIGTERM stops it cleanly (exit 0, lock file gone).
 *
 * The daemon's first sight of a plan waits for its next scheduled time. To have a run due
 * within seconds instead of up to a minute, the test writes the schedule state a daemon that
 * ran before would have left (last due time two minutes ago, so the newest minute of
 * `* * * * *` is due at once) — the same path as a host coming back from being off.
 */
import { describe, it, expect, inject } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { randomBytes } from 'node:crypto';
import { makeFixture, type Fixture } from '../support/backup-fixture.js';
import { cofre, COFRE_BIN } from '../support/cli.js';
import { Catalog } from '../../src-main/catalog/catalog.js';

const h = inject('harness');

interface Daemon {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startDaemon(env: NodeJS.ProcessEnv, args: string[] = []): Daemon {
  const child = spawn(process.execPath, [COFRE_BIN, 'daemon', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, d?: Daemon): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}${d ? `\ndaemon stderr:\n${d.stderr()}` : ''}`);
}

/**
 * Only plan `local`, due once right now: its schedule is this very minute (UTC) and the state
 * says the last due time was two minutes ago. The server gets a name of its own, so the
 * server-side lock (`backup-<server>`) never collides with backups of tests running alongside.
 */
function prepare(fx: Fixture): void {
  const doc = parseDocument(readFileSync(fx.configPath, 'utf8'));
  const server = `clinica_${randomBytes(3).toString('hex')}`;
  doc.setIn(['servers', server], doc.getIn(['servers', 'clinica']));
  doc.deleteIn(['servers', 'clinica']);
  for (const source of ['banco', 'prontuarios', 'arquivos']) doc.setIn(['sources', source, 'server'], server);
  doc.deleteIn(['plans', 'diario']);
  const now = new Date();
  doc.setIn(['plans', 'local', 'schedule'], `${now.getUTCMinutes()} ${now.getUTCHours()} * * *`);
  doc.setIn(['plans', 'local', 'timezone'], 'UTC');
  writeFileSync(fx.configPath, doc.toString());
  const catalog = Catalog.open(fx.home);
  catalog.setState('sched:local:lastDue', new Date(now.getTime() - 2 * 60_000).toISOString());
  catalog.close();
}

describe('cofre daemon', () => {
  it('runs a due schedule into a real set, refuses a second daemon, and stops cleanly on SIGTERM', async () => {
    const fx = await makeFixture(h, { largeBytes: 64 * 1024 });
    prepare(fx);

    const daemon = startDaemon(fx.env, ['--tick', '500']);
    let stopped = false;
    try {
      const lock = join(fx.home, 'scheduler.lock');
      await waitFor('the lock file', async () => (existsSync(lock) ? true : undefined), 15_000, daemon);
      expect(readFileSync(lock, 'utf8').trim()).toBe(String(daemon.child.pid));

      // a second daemon on the same home refuses, naming the running one
      const second = await cofre(['daemon', '--tick', '500'], { env: fx.env, timeoutMs: 30_000 });
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain(`a Cofre scheduler is already running for ${fx.home} (pid ${daemon.child.pid})`);
      expect(second.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);

      type SetRow = { setId: string; plan: string; complete: boolean; storage: string; sources: Array<{ name: string }> };
      const sets = await waitFor(
        'a complete set from the daemon',
        async () => {
          const r = await cofre(['sets', '--plan', 'local', '--json'], { env: fx.env });
          const list = (r.json as SetRow[] | undefined) ?? [];
          return list.some((s) => s.complete) ? list : undefined;
        },
        90_000,
        daemon,
      );
      expect(sets).toHaveLength(1);
      expect(sets[0]).toMatchObject({ plan: 'local', storage: 'nas', complete: true });
      expect(sets[0]?.sources.map((s) => s.name).sort()).toEqual(['arquivos', 'banco', 'prontuarios']);
      expect(existsSync(join(fx.folderStorage, 'sets', sets[0]?.setId ?? '?', 'manifest.json'))).toBe(true);
      await waitFor('the run to be logged as done', async () => (/plan local: .*run/.test(daemon.stderr()) ? true : undefined), 10_000, daemon);

      daemon.child.kill('SIGTERM');
      stopped = true;
      expect(await daemon.exited).toBe(0);
      expect(existsSync(lock)).toBe(false);
      expect(daemon.stderr()).toContain('cofre daemon: stopping');

      const check = Catalog.open(fx.home);
      try {
        const runs = check.listRuns({ kind: 'backup', plan: 'local' });
        expect(runs.map((r) => [r.status, r.trigger])).toEqual([['succeeded', 'schedule']]);
        expect(runs[0]?.setId).toBe(sets[0]?.setId);
      } finally {
        check.close();
      }

      // with the first one gone, a new daemon can start (and stop) on the same home
      const next = startDaemon(fx.env, ['--tick', '500']);
      await waitFor('the second lock', async () => (existsSync(lock) ? true : undefined), 15_000, next);
      next.child.kill('SIGTERM');
      expect(await next.exited).toBe(0);
      expect(existsSync(lock)).toBe(false);
    } finally {
      if (!stopped) {
        daemon.child.kill('SIGKILL');
        await daemon.exited;
      }
    }
  });

  it('SIGTERM during a backup cancels it: exit 0 promptly, run recorded as cancelled, no complete set, lock gone', async () => {
    const fx = await makeFixture(h, { largeBytes: 400 * 1024 * 1024 });
    prepare(fx);

    const daemon = startDaemon(fx.env, ['--tick', '500']);
    try {
      // wait until a source is streaming (recorded once the server lock is held)
      await waitFor('the backup to be streaming', async () => {
        const c = Catalog.open(fx.home);
        try {
          const run = c.listRuns({ kind: 'backup', plan: 'local', status: 'running' })[0];
          return run && c.runSources(run.id).some((x) => x.status === 'running') ? true : undefined;
        } finally {
          c.close();
        }
      }, 60_000, daemon);
      const t0 = Date.now();
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
      const stopMs = Date.now() - t0;
      expect(stopMs).toBeLessThan(20_000);
      expect(existsSync(join(fx.home, 'scheduler.lock'))).toBe(false);
      const check = Catalog.open(fx.home);
      try {
        expect(check.listRuns({ kind: 'backup', plan: 'local' }).map((r) => r.status)).toEqual(['cancelled']);
        expect(check.getState('sched:local:retry')).toBeUndefined();
      } finally {
        check.close();
      }
      const sets = await cofre(['sets', '--plan', 'local', '--json'], { env: fx.env });
      expect((sets.json as Array<{ complete: boolean }>).filter((s) => s.complete)).toEqual([]);
    } finally {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
  });
});
