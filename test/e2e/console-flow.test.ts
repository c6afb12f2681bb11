/**
 * The whole console flow in Debian chromium against `cofre ui` (a child process, the real
 * engine) and the harness services: confirm the server's fingerprint (TOFU), run a plan and
 * watch it to success, see the set in *Cópias*, restore it into staging through the wizard
 * with validation passing, and see a failing plan's state and message. Screenshots of every
 * screen go to test-results/screens/flow-*.png. No console errors are allowed.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { editConfig } from '../../src-main/config/edit.js';
import { makeFixture, type Fixture } from '../support/backup-fixture.js';
import { assertBuilt, startUi, type UiProcess } from './pages/ui-process.js';
import { ConsolePage, DashboardPage, RestoreWizardPage, SCREENS } from './pages/console.js';
import { ServersPage, RunsPage } from './pages/flow.js';
import { translate } from '../../shared/i18n/index.js';

const h = inject('harness');
const shots = resolve('test-results/screens');
let fx: Fixture;
let ui: UiProcess | undefined;
let url: string;
let browser: Browser;
let page: Page;
let c: ConsolePage;

beforeAll(async () => {
  assertBuilt();
  fx = await makeFixture(h, { largeBytes: 6 * 1024 * 1024 });
  const restoreRoot = join(fx.dir, 'restore');
  mkdirSync(restoreRoot);
  // start untrusted (no pinned host key), with a staging target and a plan that cannot work
  editConfig(fx.configPath, (doc) => {
    doc.deleteIn(['servers', 'clinica', 'hostKey']);
    // no automatic quarterly drill: it would restore the same set into the same staging target
    // while the wizard does, and one of the two would find its destination taken
    doc.setIn(['drill'], doc.createNode({ auto: false }));
    doc.setIn(['sources', 'banco_ruim'], doc.createNode({ server: 'clinica', type: 'postgres', host: '127.0.0.1', port: h.postgres.port, user: 'postgres', databases: ['nao_existe_mais'] }));
    doc.setIn(['plans', 'quebrado'], doc.createNode({ sources: ['banco_ruim'], storage: 'nas', schedule: '0 4 * * *', timezone: 'America/Sao_Paulo' }));
    doc.setIn(['restoreTargets'], doc.createNode({
      homologacao: {
        kind: 'staging', server: 'clinica',
        postgres: { host: '127.0.0.1', port: h.postgresStaging.port, user: 'postgres' },
        mysql: { host: '127.0.0.1', port: h.mariadb.port, user: h.mariadb.user, passwordEnv: 'TEST_MYSQL_PASSWORD' },
        filesRoot: restoreRoot,
      },
    }));
  });
  expect(readFileSync(fx.configPath, 'utf8')).toContain('# test config');
  ui = await startUi({ ...fx.env, USER: 'e2e' });
  url = ui.url;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  c = new ConsolePage(page, shots);
  await c.open(url);
});

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
});

describe('console flow against the real engine (chromium, cofre ui, harness services)', () => {
  it('confirms the server fingerprint on first use and pins it in cofre.yaml', async () => {
    await c.go('servidores');
    const servers = new ServersPage(c);
    await servers.row('clinica').getByText('Não confirmada').waitFor();
    const shown = await servers.fetchFingerprint('clinica');
    expect(shown).toBe(h.ssh.hostKeyFingerprint);
    await c.screenshot('flow-servidores-tofu');
    await servers.confirmFingerprint();
    await servers.row('clinica').getByText('Confiável').waitFor();
    const yaml = readFileSync(fx.configPath, 'utf8');
    expect(yaml).toContain(`hostKey: ${h.ssh.hostKeyFingerprint}`);
    expect(yaml).toContain('# test config'); // the technician's comments survive
    await servers.testConnection('clinica');
    await page.getByText(new RegExp(`Acesso como ${h.ssh.user} funciona`)).waitFor();
    await c.screenshot('flow-servidores-trusted');
    expect(c.problems).toEqual([]);
  });

  it('runs a plan from the dashboard and watches it to success', async () => {
    await c.go('painel');
    const dash = new DashboardPage(c);
    await dash.planCard('local').waitFor();
    await c.screenshot('flow-painel-antes');
    await dash.runNow('local');
    await c.go('execucoes');
    const runs = new RunsPage(c);
    // live while it runs: the row says so, then it finishes
    await runs.latestRow('local').getByText(/Em andamento|Concluída/).waitFor();
    await c.screenshot('flow-execucoes-andamento');
    await page.locator('main').getByText('Nenhuma cópia em andamento.').waitFor({ timeout: 120_000 });
    await runs.latestRow('local').getByText('Concluída').waitFor();
    await c.screenshot('flow-execucoes-concluida');
    await c.go('painel');
    await dash.planCard('local').getByText('Protegido').waitFor();
    expect(c.problems).toEqual([]);
  });

  it('shows the new set in Cópias, complete, with its sources', async () => {
    await c.go('copias');
    const first = page.locator('main').getByText('Completa').first();
    await first.waitFor();
    for (const src of ['banco', 'prontuarios', 'arquivos']) await page.locator('main').getByText(src, { exact: true }).first().waitFor();
    await c.screenshot('flow-copias');
    expect(c.problems).toEqual([]);
  });

  it('restores the set into staging through the wizard and validation passes', async () => {
    await c.go('restaurar');
    const wizard = new RestoreWizardPage(c);
    await wizard.choosePoint(0);
    await wizard.chooseTarget('homologacao');
    await wizard.preflightButton().click();
    await page.getByText(/Estimativa:/).waitFor({ timeout: 60_000 });
    await c.screenshot('flow-restaurar-preflight');
    await c.button(/Iniciar restauração/).click();
    await page.locator('[data-testid="rto-elapsed"]').waitFor();
    await page.getByText('Restauração concluída e validada.').waitFor({ timeout: 150_000 });
    await page.getByText(/Validação/).first().waitFor();
    await page.getByText(/RTO medido/).waitFor();
    await c.screenshot('flow-restaurar-relatorio');
    expect(c.problems).toEqual([]);
  });

  it('shows a failing plan with its error in plain words, in Portuguese, and opens the run from its link', async () => {
    await c.go('painel');
    const dash = new DashboardPage(c);
    await dash.runNow('quebrado');
    const card = dash.planCard('quebrado');
    await card.getByText('Falhando').waitFor({ timeout: 60_000 });
    // in Portuguese: what failed and what to do, the engine's words folded beneath
    const cell = card.locator('.error-cell');
    await cell.waitFor();
    expect(await cell.getAttribute('data-error-code')).toBe('REMOTE_COMMAND_FAILED');
    // said by the error's key (what failed, named), the English folded beneath
    const title = /^A (sessão com o banco|cópia do banco PostgreSQL) nao_existe_mais (terminou antes do fim|falhou)$/;
    await cell.getByText(title).waitFor();
    await cell.getByText(/^O que fazer: /).waitFor();
    await cell.getByText(/Detalhe técnico/).waitFor();
    await card.getByText(/nao_existe_mais/).first().waitFor();
    await card.getByText(translate('pt-BR', 'rpo.failing')).waitFor();
    // geo-separation said by its fields, not the engine's English sentence
    await dash.planCard('local').getByText(/^(Separada|Não separada|Não verificada):/).waitFor();
    await c.screenshot('flow-painel-falha');
    await c.go('execucoes');
    await new RunsPage(c).latestRow('quebrado').locator('.badge', { hasText: 'Falhou' }).waitFor();
    await new RunsPage(c).latestRow('quebrado').getByText(title).waitFor();
    await c.screenshot('flow-execucoes-falha');
    // what a failure notification opens: #/execucoes?run=<id> shows that run's error and log
    await c.go('painel');
    const href = await card.locator('a[href^="#/execucoes?run="]').first().getAttribute('href');
    expect(href).toMatch(/^#\/execucoes\?run=\d+$/);
    await page.evaluate(`location.hash = ${JSON.stringify(href ?? '')}`);
    const details = page.locator('#run-details');
    await details.waitFor();
    expect(await details.getAttribute('data-run')).toBe(href?.split('=')[1]);
    await details.getByRole('heading', { name: /quebrado/ }).waitFor();
    await details.getByText(title).first().waitFor();
    await details.locator('ol.log-lines li').first().waitFor();
    await details.locator('pre.log').waitFor({ state: 'attached' }); // the English log, folded
    await c.screenshot('flow-execucoes-detalhe-falha');
    await details.getByRole('button', { name: 'Fechar detalhes' }).click();
    await details.waitFor({ state: 'detached' });
    expect(c.problems).toEqual([]);
  });

  it('renders every screen with the real engine, without console errors', async () => {
    for (const screen of SCREENS) {
      await c.go(screen);
      await page.locator('#root[data-app-state="ready"]').waitFor();
      await page.locator('main h1').waitFor();
      await c.screenshot(`flow-${screen}`);
    }
    await c.go('auditoria');
    await page.getByTestId('audit-row').getByText('Confiou na chave de um servidor').first().waitFor();
    expect(c.problems).toEqual([]);
  });
});
