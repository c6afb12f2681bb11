/**
 * The demo's throwaway MariaDB (src-main/demo/mariadb.ts) on Debian's packages: a fresh server
 * with its sample schedule, a leftover that answers is reused, one that does not answer for its
 * data folder is stopped and replaced, and a pid file naming a stranger's process never gets that
 * process killed. Skipped where the MariaDB server package is not installed.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_MARIADB_DATABASE, mariadbBinaries, startDemoMariadb, type DemoMariadb } from '../../src-main/demo/mariadb.js';
import { demoMariadbSql } from '../support/demo.js';
import { removeDir } from '../harness/util.js';

const HAS_MY = mariadbBinaries() !== undefined;
const home = mkdtempSync(join(tmpdir(), 'cofre-demo-my-test-'));
chmodSync(home, 0o755);
const servers: DemoMariadb[] = [];
const dirs = new Set<string>([home]);

afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) await removeDir(d);
});

async function start(): Promise<Awaited<ReturnType<typeof startDemoMariadb>>> {
  const r = await startDemoMariadb({ home });
  if (r.cluster) {
    servers.push(r.cluster);
    dirs.add(r.cluster.dir);
  }
  return r;
}

describe.runIf(HAS_MY)('the demo MariaDB', () => {
  let first: DemoMariadb;

  it('starts on loopback with the sample schedule, as the mysql user when root', async () => {
    const r = await start();
    expect(r.notices.filter((n) => n.level === 'warning')).toEqual([]);
    first = r.cluster as DemoMariadb;
    expect(first).toBeDefined();
    expect(demoMariadbSql(first.port, 'SELECT COUNT(*) FROM agendamentos', DEMO_MARIADB_DATABASE).trim()).toBe('600');
    expect(demoMariadbSql(first.port, 'SELECT nome FROM profissionais WHERE id = 3', DEMO_MARIADB_DATABASE)).toContain('Zoë Exemplo 🦷');
    expect(demoMariadbSql(first.port, 'SELECT @@bind_address').trim()).toBe('127.0.0.1');
    const pid = Number(readFileSync(join(first.dir, 'mysqld.pid'), 'utf8'));
    if (process.getuid?.() === 0) expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+(?!0\s)\d+/m);
  });

  it('reuses a server left running that answers for its data folder', async () => {
    const pid = Number(readFileSync(join(first.dir, 'mysqld.pid'), 'utf8'));
    const r = await start();
    expect(r.notices.map((n) => n.code)).toEqual(['myLeftoverReused']);
    expect(r.notices[0]?.params).toEqual({ pid: String(pid), port: String(first.port) });
    expect(r.cluster?.port).toBe(first.port);
  });

  it('stops a leftover that does not answer where it was recorded, and starts a fresh one on the same data', async () => {
    const pidFile = join(first.dir, 'mysqld.pid');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    writeFileSync(join(first.dir, 'port'), '1\n'); // nothing answers there
    const r = await start();
    expect(r.notices.map((n) => n.code)).toContain('myLeftoverStopped');
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    const again = r.cluster as DemoMariadb;
    expect(again).toBeDefined();
    expect(Number(readFileSync(pidFile, 'utf8'))).not.toBe(pid);
    // the sample is kept, not made twice
    expect(demoMariadbSql(again.port, 'SELECT COUNT(*) FROM agendamentos', DEMO_MARIADB_DATABASE).trim()).toBe('600');
    await again.stop();
    expect(existsSync(pidFile)).toBe(false);
  });

  it('never kills a stranger whose pid a stale pid file names', async () => {
    const stranger = spawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      writeFileSync(join(first.dir, 'mysqld.pid'), `${stranger.pid}\n`);
      const r = await start();
      expect(r.notices.map((n) => n.code)).not.toContain('myLeftoverStopped');
      expect(r.cluster).toBeDefined();
      expect(stranger.exitCode).toBeNull();
      expect(existsSync(`/proc/${stranger.pid}`)).toBe(true);
      await r.cluster?.stop();
    } finally {
      stranger.kill();
    }
  });
});
