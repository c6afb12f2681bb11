/**
 * The demo under bad input, in Debian chromium: each problem gets a clear line on the CLI and a
 * pt-BR notice in the console, and the demo still runs (files-only where it must).
 * - a demo folder that cannot be written (its parent is a file: even root cannot write there)
 *   and no PostgreSQL nor MariaDB server package: the demo runs in a temp folder, files only;
 * - ports 5432 and 3306 taken: the demo's PostgreSQL and MariaDB listen on free ports (the
 *   console opened before they answered shows that without a reload);
 * - a PostgreSQL cluster / MariaDB server left running by a killed demo: found by its pid file
 *   and used again;
 * - running as root (this machine's case): PostgreSQL runs as postgres, MariaDB as mysql;
 * - `cofre demo --reset` after a killed demo: its MariaDB is stopped and moved aside.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { removeDir, tempDir } from '../harness/util.js';
import { demoLeftovers, demoMariadbDir, startDemo, stopDemo } from '../support/demo.js';
import { cofre } from '../support/cli.js';
import { DEMO_MARIADB_DATABASE } from '../../src-main/demo/mariadb.js';
import { ConsolePage, DashboardPage } from './pages/console.js';
import { DemoPage } from './pages/flow.js';

const shots = resolve('test-results/screenshots');
const HAS_PG = existsSync('/usr/lib/postgresql/15/bin/postgres');
const HAS_MY = existsSync('/usr/sbin/mariadbd') && existsSync('/usr/bin/mariadb-install-db');
let browser: Browser | undefined;
let root: string | undefined;
const children: ChildProcess[] = [];
const holders: Server[] = [];
const leftovers: string[] = [];

function hold(port: number): Promise<Server | undefined> {
  return new Promise((r) => {
    const s = createServer();
    s.once('error', () => r(undefined)); // taken already: just as good for the test
    s.listen(port, '127.0.0.1', () => r(s));
  });
}

beforeAll(async () => {
  root = await tempDir('demo-bad');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--disable-background-networking', '--disable-component-update', '--disable-sync'] });
});

afterAll(async () => {
  for (const c of children) await stopDemo(c);
  await browser?.close();
  for (const h of holders) await new Promise<void>((r) => h.close(() => r()));
  for (const d of leftovers) await removeDir(d);
  if (root !== undefined) await removeDir(root);
});

async function openConsole(url: string, name: string): Promise<ConsolePage> {
  const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
  const c = new ConsolePage(page, shots);
  await c.open(url);
  await new DemoPage(c).badge().waitFor();
  await new DashboardPage(c).planCard('diario').getByText('Protegido').waitFor({ timeout: 120_000 });
  await c.screenshot(name);
  return c;
}

describe('cofre demo under bad input (chromium)', () => {
  it('an unwritable demo folder and no PostgreSQL nor MariaDB package: CLI errors, pt-BR notices, files-only demo in a temp folder', async () => {
    const base = root as string;
    writeFileSync(join(base, 'um-arquivo'), 'not a folder');
    const tmp = join(base, 'tmp');
    mkdirSync(tmp);
    const asked = join(base, 'um-arquivo', 'demo');
    const started = await startDemo(asked, { env: { TMPDIR: tmp, COFRE_DEMO_PG_BIN: join(base, 'sem-postgres'), COFRE_DEMO_MARIADB_BIN: join(base, 'sem-mariadb') } });
    children.push(started.child);
    const out = started.output();
    expect(out).toMatch(new RegExp(`error: the demo folder ${asked} cannot be written \\(ENOTDIR\\)`));
    expect(out).toMatch(/→ pass --home with a folder you can write/);
    expect(out).toMatch(/the PostgreSQL 15 server is not installed .* the demo runs without PostgreSQL \(Debian: apt install postgresql-15\)/);
    expect(out).toContain(`demo: the MariaDB server is not installed (mariadbd or mariadb-install-db is missing in ${join(base, 'sem-mariadb')}): the demo runs without MariaDB (Debian: apt install mariadb-server mariadb-client)`);
    expect(out).toMatch(/backs up the sample files only/);

    const c = await openConsole(started.url, 'demo-bad-01-pasta-e-postgres');
    const demo = new DemoPage(c);
    await demo.notices().getByText(/^Demonstração só com arquivos/).waitFor();
    await demo.notice('homeNotWritable').getByText(`Não é possível gravar na pasta da demonstração ${asked}; ela roda em ${join(tmp, 'cofre-demo-')}`, { exact: false }).waitFor();
    await demo.notice('pgMissing').getByText(/O servidor PostgreSQL 15 não está instalado nesta máquina/).waitFor();
    await demo.notice('myMissing').getByText('O servidor MariaDB não está instalado nesta máquina: a demonstração segue sem o MariaDB (Debian: apt install mariadb-server mariadb-client).').waitFor();
    await demo.notice('filesOnly').waitFor();
    // the technical detail (English) is folded, not shown
    expect(await demo.notice('pgMissing').locator('details').getAttribute('open')).toBeNull();
    expect(c.problems).toEqual([]);
    expect(await stopDemo(started.child)).toBe(0);
  });

  it.runIf(HAS_PG)('ports 5432 and 3306 taken: free ports; servers left by a killed demo: used again; as root: run as postgres / mysql', async () => {
    for (const p of [5432, 3306]) {
      const h = await hold(p);
      if (h) holders.push(h);
    }
    const home = join(root as string, 'porta');
    const first = await startDemo(home);
    children.push(first.child);
    // the console is opened at once: the databases start after it answers, and their notices arrive live
    const c1 = await openConsole(first.url, 'demo-bad-02-porta-em-uso');
    await expect.poll(() => first.output(), { timeout: 60_000 }).toMatch(/demo: backs up the sample files and the PostgreSQL database/);
    const port = Number(/port 5432 is in use on 127\.0\.0\.1 \(another PostgreSQL\?\): the demo cluster listens on (\d+) instead/.exec(first.output())?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(5432);
    expect(first.output()).toMatch(new RegExp(`PostgreSQL created and started on 127\\.0\\.0\\.1:${port}`));
    expect(readFileSync(join(home, 'cofre-demo.yaml'), 'utf8')).toMatch(new RegExp(`port: ${port}\\n`));
    await new DemoPage(c1).notice('portInUse').getByText(`A porta 5432 já está em uso (outro PostgreSQL?): o banco da demonstração usa a porta ${port}.`).waitFor();
    let myPort = 0;
    if (HAS_MY) {
      myPort = Number(/port 3306 is in use on 127\.0\.0\.1 \(another MariaDB or MySQL\?\): the demo MariaDB listens on (\d+) instead/.exec(first.output())?.[1]);
      expect(myPort).toBeGreaterThan(0);
      expect(myPort).not.toBe(3306);
      expect(first.output()).toMatch(new RegExp(`MariaDB created and started on 127\\.0\\.0\\.1:${myPort}`));
      expect(first.output()).toMatch(/and the MariaDB database "agenda"/);
      expect(readFileSync(join(home, 'cofre-demo.yaml'), 'utf8')).toMatch(new RegExp(`agenda:\\n(?:.*\\n)*?\\s+port: ${myPort}\\n`));
      await new DemoPage(c1).notice('myPortInUse').getByText(`A porta 3306 já está em uso (outro MariaDB ou MySQL?): o MariaDB da demonstração usa a porta ${myPort}.`).waitFor();
    }
    await c1.screenshot('demo-bad-02b-portas-avisos');
    expect(c1.problems).toEqual([]);
    await c1.page.close();

    // killed: its servers stay behind, with their pid files
    const killed = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    await killed;
    const cluster = /PostgreSQL created and started on 127\.0\.0\.1:\d+ \(([^)]+)\)/.exec(first.output())?.[1] ?? '';
    const pidFile = join(cluster, 'data', 'postmaster.pid');
    expect(existsSync(pidFile)).toBe(true);
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    const myPidFile = join(demoMariadbDir(first.output()) ?? '', 'mysqld.pid');
    const myPid = HAS_MY ? Number(readFileSync(myPidFile, 'utf8').trim()) : 0;
    // as root, the servers run as the postgres / mysql users (both refuse root)
    if (process.getuid?.() === 0) {
      expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+(?!0\\s)\\d+`, 'm'));
      if (HAS_MY) expect(readFileSync(`/proc/${myPid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+(?!0\\s)\\d+`, 'm'));
    }

    const second = await startDemo(home);
    children.push(second.child);
    await expect.poll(() => second.output(), { timeout: 60_000 }).toMatch(/demo: backs up the sample files and the PostgreSQL database/);
    expect(second.output()).toMatch(new RegExp(`a demo PostgreSQL cluster left running by an earlier demo \\(pid ${pid}, port ${port}\\) was found and is used again`));
    if (HAS_MY) expect(second.output()).toContain(`a demo MariaDB server left running by an earlier demo (pid ${myPid}, port ${myPort}) was found and is used again`);
    const c2 = await openConsole(second.url, 'demo-bad-03-banco-deixado');
    await new DemoPage(c2).notice('leftoverReused').getByText(`Um banco deixado por uma demonstração anterior (processo ${pid}, porta ${port}) foi encontrado e está sendo usado de novo.`).waitFor();
    if (HAS_MY) await new DemoPage(c2).notice('myLeftoverReused').getByText(`Um MariaDB deixado por uma demonstração anterior (processo ${myPid}, porta ${myPort}) foi encontrado e está sendo usado de novo.`).waitFor();
    expect(c2.problems).toEqual([]);
    expect(await stopDemo(second.child)).toBe(0);
    leftovers.push(...demoLeftovers(home, first.output()));
    expect(existsSync(pidFile)).toBe(false);
    if (HAS_MY) expect(existsSync(myPidFile)).toBe(false);
  });

  it.runIf(HAS_MY)('a MariaDB left by a killed demo: `cofre demo --reset` stops it and moves its folder aside; the next demo starts a fresh one', async () => {
    const home = join(root as string, 'reset');
    const env = { COFRE_DEMO_PG_BIN: join(root as string, 'sem-postgres') };
    const first = await startDemo(home, { env });
    children.push(first.child);
    await expect.poll(() => first.output(), { timeout: 90_000 }).toMatch(/demo: backs up the sample files and the MariaDB database "agenda"/);
    const dir = demoMariadbDir(first.output()) ?? '';
    leftovers.push(...demoLeftovers(home, first.output()));
    const killed = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    await killed;
    const pid = Number(readFileSync(join(dir, 'mysqld.pid'), 'utf8').trim());
    expect(existsSync(`/proc/${pid}`)).toBe(true);

    const reset = await cofre(['demo', '--home', home, '--reset', '--prepare-only'], { env: { ...process.env, COFRE_CONFIG: '', ...env } });
    expect(reset.code).toBe(0);
    expect(reset.stdout + reset.stderr).toMatch(/the previous demo state was moved to /);
    // stopped (a clean shutdown: no process, no pid file), and its data is no longer where the demo looks
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(join(dir, 'data'))).toBe(false);
    const aside = dir.startsWith(home)
      ? readdirSync(home).filter((d) => d.startsWith('previous-')).map((d) => join(home, d, 'mariadb'))
      : readdirSync(dirname(dir)).filter((d) => d.startsWith(`${basename(dir)}.previous-`)).map((d) => join(dirname(dir), d));
    expect(aside).toHaveLength(1);
    leftovers.push(...aside);
    // --reset moved the staging folder aside too (beside itself, in the temp folder)
    const staging = demoLeftovers(home, '')[0] ?? '';
    leftovers.push(...readdirSync(dirname(staging)).filter((d) => d.startsWith(`${basename(staging)}.previous-`)).map((d) => join(dirname(staging), d)));
    expect(existsSync(join(aside[0] ?? '', 'data', DEMO_MARIADB_DATABASE))).toBe(true);
    expect(existsSync(join(aside[0] ?? '', 'mysqld.pid'))).toBe(false);

    const again = await startDemo(home, { env });
    children.push(again.child);
    await expect.poll(() => again.output(), { timeout: 90_000 }).toMatch(/demo: backs up the sample files and the MariaDB database "agenda"/);
    expect(again.output()).toMatch(/MariaDB created and started on 127\.0\.0\.1:\d+/);
    expect(again.output()).not.toMatch(/left running by an earlier demo/);
    expect(await stopDemo(again.child)).toBe(0);
  });
});
