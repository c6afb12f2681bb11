/**
 * `cofre demo` — what `npm start` opens on a machine without Electron — in Debian chromium, on
 * the REAL demo (local server, folder storage, throwaway PostgreSQL and MariaDB where installed):
 * the first backup runs by itself, "Executar agora" makes another real set, the restore wizard
 * walks to its report with the RTO clock (files and the MariaDB rows back), a drill passes and
 * its report opens from the console's link, the "Demonstração" badge is on every screen; then
 * SIGINT stops the console and the demo's database servers. Every
 * screen visited is kept under test-results/screenshots/ for review.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parse } from 'yaml';
import { demoLeftovers, demoMariadbDir, demoMariadbSql, startDemo } from '../support/demo.js';
import { removeDir, tempDir } from '../harness/util.js';
import { ConsolePage, DashboardPage, RestoreWizardPage, SCREENS } from './pages/console.js';
import { DemoPage, DrillsPage, ServersPage } from './pages/flow.js';

const shots = resolve('test-results/screenshots');
const HAS_PG = existsSync('/usr/lib/postgresql/15/bin/postgres');
const HAS_MY = existsSync('/usr/sbin/mariadbd') && existsSync('/usr/bin/mariadb-install-db');
let browser: Browser | undefined;
let demo: ChildProcess | undefined;
let home: string | undefined;
let leftovers: string[] = [];

function setsOnDisk(dir: string): string[] {
  const sets = join(dir, 'storage', 'sets');
  return existsSync(sets) ? readdirSync(sets).filter((id) => existsSync(join(sets, id, 'manifest.json'))) : [];
}

afterAll(async () => {
  await browser?.close();
  if (demo) {
    const exited = new Promise((r) => demo?.once('exit', r));
    demo.kill('SIGINT');
    await exited;
  }
  for (const d of leftovers) await removeDir(d);
  if (home !== undefined) await removeDir(home);
});

describe('cofre demo, for real (chromium)', () => {
  let c: ConsolePage;
  let page: Page;
  let dir: string;
  let output: () => string;
  let child: ChildProcess;

  beforeAll(async () => {
    home = await tempDir('demo');
    dir = join(home, 'demo-home');
    const t0 = Date.now();
    const started = await startDemo(dir);
    // first start is quick: the database and the first backup come after the console answers
    expect(Date.now() - t0).toBeLessThan(30_000); // ~1 s of CPU; wall time grows with the machine's load
    demo = started.child;
    child = started.child;
    leftovers = [];
    const refresh = (): void => {
      leftovers = demoLeftovers(dir, started.output());
    };
    started.child.stdout?.on('data', refresh);
    started.child.stderr?.on('data', refresh);
    output = started.output;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    c = new ConsolePage(page, shots);
    await c.open(started.url);
  });

  it('opens on the Painel with the Demonstração badge, says what it backs up, and makes the first set by itself', async () => {
    expect(await c.heading()).toBe('Painel');
    const demoPage = new DemoPage(c);
    await demoPage.badge().getByText('Demonstração').waitFor();
    await demoPage.notices().waitFor();
    await demoPage.notices().getByText(HAS_PG ? /banco PostgreSQL descartável/ : HAS_MY ? /banco MariaDB descartável/ : /Demonstração só com arquivos/).waitFor();
    if (HAS_MY) await demoPage.notices().getByText(/banco MariaDB descartável/).waitFor();
    const dash = new DashboardPage(c);
    const card = dash.planCard('diario');
    await card.waitFor();
    // the local server + folder storage is said as information on the card
    await card.getByTestId('local-server-notice').getByText(/é esta máquina \(tipo local\)/).waitFor();
    await c.screenshot('demo-01-painel-primeira-copia');
    await card.getByText('Protegido').waitFor({ timeout: 120_000 });
    expect(setsOnDisk(dir)).toHaveLength(1);
    // the notices follow without a reload: no "databases being prepared", no "first backup running"
    await demoPage.notice('dbStarting').waitFor({ state: 'detached' });
    await demoPage.notice('firstBackup').waitFor({ state: 'detached' });
    await c.screenshot('demo-02-painel-protegido');
    expect(output()).toMatch(/first backup started/);
    expect(c.problems).toEqual([]);
  });

  it('"Executar agora" makes a real set in the demo storage, shown in Cópias', async () => {
    const before = setsOnDisk(dir);
    const dash = new DashboardPage(c);
    await dash.runNow('diario');
    await expect.poll(() => setsOnDisk(dir).length, { timeout: 120_000 }).toBe(before.length + 1);
    await dash.planCard('diario').getByRole('button', { name: 'Executar agora' }).waitFor();
    await c.go('copias');
    for (const setId of setsOnDisk(dir)) await page.locator('main').getByText(setId).first().waitFor();
    await page.locator('main').getByText('arquivos', { exact: true }).first().waitFor();
    if (HAS_PG) await page.locator('main').getByText('banco', { exact: true }).first().waitFor();
    if (HAS_MY) await page.locator('main').getByText('agenda', { exact: true }).first().waitFor();
    await c.screenshot('demo-03-copias');
    expect(c.problems).toEqual([]);
  });

  it('walks the restore wizard to the report, with the RTO clock, and the files are back in the staging folder', async () => {
    await c.go('restaurar');
    const wizard = new RestoreWizardPage(c);
    await wizard.choosePoint(0);
    await wizard.chooseTarget('homologacao');
    await c.screenshot('demo-04-restaurar-escolha');
    await wizard.preflightButton().click();
    await page.getByText(/Estimativa:/).waitFor({ timeout: 60_000 });
    await c.screenshot('demo-05-restaurar-verificacao');
    await c.button(/Iniciar restauração/).click();
    await page.locator('[data-testid="rto-elapsed"]').waitFor();
    await c.screenshot('demo-06-restaurar-andamento');
    await page.getByText('Restauração concluída e validada.').waitFor({ timeout: 150_000 });
    await page.getByText(/RTO medido/).waitFor();
    await c.screenshot('demo-07-restaurar-relatorio');
    // its report opens from the console too
    const reportLink = page.getByTestId('restore-report');
    expect(await reportLink.getAttribute('href')).toMatch(/^\/reports\/restore-\d+\.html$/);
    const [restoreReport] = await Promise.all([page.context().waitForEvent('page'), reportLink.click()]);
    await restoreReport.waitForLoadState();
    expect(await restoreReport.locator('h1').innerText()).toBe('Relatório de restauração');
    expect(await restoreReport.locator('#resultado').getAttribute('data-status')).toBe('succeeded');
    await restoreReport.close();
    // the sample files are really there, byte for byte
    const config = readFileSync(join(dir, 'cofre-demo.yaml'), 'utf8');
    const restoreRoot = /filesRoot: "([^"]+)"/.exec(config)?.[1] ?? '';
    const filesRoot = /paths: \["([^"]+)"\]/.exec(config)?.[1] ?? '';
    const restoredSet = readdirSync(restoreRoot).find((d) => /^\d{8}T\d{6}Z-/.test(d));
    expect(restoredSet).toBeDefined();
    const rel = 'prontuários/Zoë 🩺/receita.pdf';
    const restored = readFileSync(join(restoreRoot, restoredSet ?? '', filesRoot, rel));
    expect(restored.equals(readFileSync(join(filesRoot, rel)))).toBe(true);
    expect(restored.subarray(0, 5).toString()).toBe('%PDF-');
    if (HAS_MY) {
      // the MariaDB source came back too, row for row, as <db>_restore_<6 hex of the set>
      const port = (parse(config) as { sources: { agenda: { port: number } } }).sources.agenda.port;
      const copy = `agenda_restore_${(restoredSet ?? '').slice(-6)}`;
      for (const table of ['profissionais', 'salas', 'agendamentos']) {
        const original = demoMariadbSql(port, `SELECT * FROM ${table} ORDER BY id`, 'agenda');
        expect(original.split('\n').length).toBeGreaterThan(2);
        expect(demoMariadbSql(port, `SELECT * FROM ${table} ORDER BY id`, copy)).toBe(original);
      }
      expect(demoMariadbSql(port, 'SELECT nome FROM profissionais WHERE id = 3', copy)).toContain('Zoë Exemplo 🦷');
    }
    expect(c.problems).toEqual([]);
  });

  it('runs a drill that passes and writes its report', async () => {
    await c.go('testes');
    const drills = new DrillsPage(c);
    await c.screenshot('demo-08-testes-antes');
    await drills.start();
    await drills.latestResult().getByText('Aprovado').waitFor({ timeout: 150_000 });
    await c.screenshot('demo-09-testes-aprovado');
    const reports = readdirSync(join(dir, 'reports')).filter((f) => f.startsWith('drill-'));
    expect(reports.length).toBeGreaterThan(0);
    // the report link opens the drill's report from the console server (same session, no file://)
    const outcome = page.getByTestId('drill-outcome');
    const link = outcome.getByTestId('drill-report');
    expect(await link.getAttribute('href')).toMatch(/^\/reports\/drill-\d+\.html$/);
    const [report] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await report.waitForLoadState();
    expect(new URL(report.url()).pathname).toMatch(/^\/reports\/drill-\d+\.html$/);
    expect(await report.locator('h1').innerText()).toBe('Teste trimestral de restauração (simulado)');
    expect(await report.locator('#resultado').getAttribute('data-status')).toBe('succeeded');
    expect(await report.locator('#resultado').innerText()).toBe('Resultado: SUCESSO');
    if (HAS_MY) await report.locator('#objetos').getByText(/agenda\.agenda/).waitFor();
    await report.screenshot({ path: join(shots, 'demo-09b-relatorio-do-teste.png'), fullPage: true });
    await report.close();
    expect(c.problems).toEqual([]);
  });

  it('"Testar conexão" on the local server works (this machine, no SSH, nothing to pin)', async () => {
    await c.go('servidores');
    const servers = new ServersPage(c);
    await servers.row('aqui').getByText(/Esta máquina \(tipo local, sem SSH\)/).waitFor();
    await servers.testConnection('aqui');
    await page.getByText(/sh, GNU tar, find e flock encontrados/).waitFor();
    await c.screenshot('demo-10-servidores-teste');
    expect(c.problems).toEqual([]);
  });

  it('keeps the badge on every screen (screenshots of each for review)', async () => {
    for (const [i, s] of SCREENS.entries()) {
      await c.go(s);
      await new DemoPage(c).badge().waitFor();
      await c.screenshot(`demo-11-${String(i).padStart(2, '0')}-${s}`);
    }
    expect(c.problems).toEqual([]);
  });

  it('stops on Ctrl+C, and stops its database cluster too', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    demo = undefined;
    expect(existsSync(join(dir, 'catalog.sqlite'))).toBe(true);
    if (HAS_PG) {
      const cluster = /PostgreSQL (?:created and )?started on 127\.0\.0\.1:\d+ \(([^)]+)\)/.exec(output())?.[1];
      expect(cluster).toBeDefined();
      expect(existsSync(join(cluster ?? '', 'data', 'PG_VERSION'))).toBe(true);
      expect(existsSync(join(cluster ?? '', 'data', 'postmaster.pid'))).toBe(false);
    }
    if (HAS_MY) {
      const server = demoMariadbDir(output());
      expect(server).toBeDefined();
      expect(existsSync(join(server ?? '', 'data', 'mysql'))).toBe(true);
      // a clean shutdown removes the pid file
      expect(existsSync(join(server ?? '', 'mysqld.pid'))).toBe(false);
    }
  });
});
