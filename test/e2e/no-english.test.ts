/**
 * Every failure explains itself in Portuguese: against `cofre ui` (the real engine) and the
 * harness services, the engine is made to fail in several ways — an unreachable S3 storage, a
 * server whose host key is not the pinned one, a failed restore preflight, a broken config
 * value — and the test fails when any English sentence the engine sent over the WebSocket
 * (messages, hints, check and log lines) is visible in the default UI, i.e. outside the
 * collapsed "Detalhe técnico" blocks. Screenshots go to test-results/screens/i18n-*.png.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { editConfig } from '../../src-main/config/edit.js';
import { makeFixture, type Fixture } from '../support/backup-fixture.js';
import { assertBuilt, startUi, type UiProcess } from './pages/ui-process.js';
import { ConsolePage, DashboardPage, RestoreWizardPage } from './pages/console.js';
import { ServersPage, RunsPage } from './pages/flow.js';
import { EngineEnglish } from './pages/messages.js';

const h = inject('harness');
const shots = resolve('test-results/screens');
let fx: Fixture;
let ui: UiProcess | undefined;
let browser: Browser;
let page: Page;
let c: ConsolePage;
let english: EngineEnglish;

/** Fails with the leaked sentences, so the report says exactly what reached the screen in English. */
async function expectNoEnglish(where: string): Promise<void> {
  expect(english.sentences.size, 'the engine sent English messages to look for').toBeGreaterThan(0);
  expect(await english.visibleEnglish(), `English from the engine visible on ${where}`).toEqual([]);
  expect(await english.visibleKeys(), `message keys visible on ${where}`).toEqual([]);
}

beforeAll(async () => {
  assertBuilt();
  fx = await makeFixture(h);
  const restoreRoot = join(fx.dir, 'restore');
  mkdirSync(restoreRoot);
  const wrongKey = `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
  editConfig(fx.configPath, (doc) => {
    doc.setIn(['drill'], doc.createNode({ auto: false }));
    // the same sshd, but pinned to a host key it does not have
    doc.setIn(['servers', 'impostor'], doc.createNode({ host: h.ssh.host, port: h.ssh.port, user: h.ssh.user, privateKeyFile: h.ssh.privateKeyPath, hostKey: wrongKey }));
    doc.setIn(['sources', 'arquivos_impostor'], doc.createNode({ server: 'impostor', type: 'files', paths: [join(fx.filesDir, 'uploads')] }));
    // an S3 endpoint where nothing listens
    doc.setIn(['storage', 'fora'], doc.createNode({
      type: 's3', endpoint: 'http://127.0.0.1:1', region: h.s3.region, bucket: fx.bucket, forcePathStyle: true,
      accessKeyIdEnv: 'TEST_S3_KEY', secretAccessKeyEnv: 'TEST_S3_SECRET', location: { provider: 'outro', region: 'longe' },
    }));
    doc.setIn(['plans', 'arquivos'], doc.createNode({ sources: ['arquivos'], storage: 'nas', schedule: '0 5 * * *', timezone: 'America/Sao_Paulo' }));
    doc.setIn(['plans', 'nuvem_fora'], doc.createNode({ sources: ['arquivos'], storage: 'fora', schedule: '0 6 * * *', timezone: 'America/Sao_Paulo' }));
    doc.setIn(['plans', 'chave_trocada'], doc.createNode({ sources: ['arquivos_impostor'], storage: 'nas', schedule: '0 7 * * *', timezone: 'America/Sao_Paulo' }));
    doc.setIn(['restoreTargets'], doc.createNode({ homolog_impostor: { kind: 'staging', server: 'impostor', filesRoot: restoreRoot } }));
  });
  ui = await startUi({ ...fx.env, USER: 'e2e' });
  const url = ui.url;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  english = new EngineEnglish(page);
  c = new ConsolePage(page, shots);
  await c.open(url);
});

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
});

describe('no English sentence from the engine in the default UI (chromium, cofre ui)', () => {
  it('an unreachable storage: the plan card says so in Portuguese, the English folded', async () => {
    await c.go('painel');
    const dash = new DashboardPage(c);
    await dash.runNow('nuvem_fora');
    const card = dash.planCard('nuvem_fora');
    await card.getByText('Falhando').waitFor({ timeout: 60_000 });
    await card.getByText('O armazenamento fora não respondeu').waitFor();
    await card.getByText(/^O que fazer: Confira a internet/).waitFor();
    await card.locator('details.tech-detail summary', { hasText: 'Detalhe técnico' }).first().waitFor();
    expect(await card.locator('details.tech-detail[open]').count()).toBe(0);
    await c.screenshot('i18n-painel-armazenamento');
    await expectNoEnglish('the dashboard (storage unreachable)');
  });

  it('a changed host key: the run stops and says the server identity changed, in Portuguese', async () => {
    const dash = new DashboardPage(c);
    await dash.runNow('chave_trocada');
    const card = dash.planCard('chave_trocada');
    await card.getByText('Falhando').waitFor({ timeout: 60_000 });
    await card.getByText(/^A identidade do servidor impostor mudou/).waitFor();
    await card.getByText(/^O que fazer: Não continue/).waitFor();
    await c.screenshot('i18n-painel-chave');
    await expectNoEnglish('the dashboard (host key mismatch)');
    // the run's details and log read in Portuguese too
    await c.go('execucoes');
    await new RunsPage(c).latestRow('chave_trocada').getByText('Falhou').waitFor();
    await expectNoEnglish('Execuções');
    await c.go('painel');
    const link = await card.locator('a[href^="#/execucoes?run="]').first().getAttribute('href');
    await page.evaluate(`location.hash = ${JSON.stringify(link ?? '')}`);
    const details = page.locator('#run-details');
    await details.locator('ol.log-lines li').first().waitFor();
    await details.getByText(/A identidade do servidor impostor mudou/).first().waitFor();
    await c.screenshot('i18n-execucoes-log');
    await expectNoEnglish('the run details and log');
  });

  it('a failed preflight reads as failed ("✕ Destino impostor inacessível") with the reason in Portuguese', async () => {
    // listing sets across storages while one is down is the retention work's (multi-storage
    // listing); here the unreachable storage has done its part and leaves the config
    editConfig(fx.configPath, (doc) => {
      doc.deleteIn(['plans', 'nuvem_fora']);
      doc.deleteIn(['storage', 'fora']);
    });
    // a real set to restore first
    await c.go('painel');
    const dash = new DashboardPage(c);
    await dash.runNow('arquivos');
    await dash.planCard('arquivos').getByText('Protegido').waitFor({ timeout: 120_000 });
    await c.go('restaurar');
    const wizard = new RestoreWizardPage(c);
    await wizard.choosePoint(0);
    await wizard.chooseTarget('homolog_impostor');
    await wizard.preflightButton().click();
    const failed = page.locator('ul.checks li[data-ok="false"]').first();
    await failed.waitFor({ timeout: 60_000 });
    // the check is named by the target's server
    await failed.getByText('Destino impostor inacessível').waitFor();
    await failed.getByText(/^ ?Motivo: A identidade do servidor impostor mudou/).waitFor();
    expect(await page.locator('ul.checks').getByText('Destino impostor acessível').count()).toBe(0);
    expect(await c.button(/Iniciar restauração/).isDisabled()).toBe(true);
    await c.screenshot('i18n-restaurar-preflight');
    await expectNoEnglish('the restore preflight');
    // opening the technical detail shows the engine's English, which is the point of folding it
    await failed.locator('summary').click();
    await failed.getByText(/HOST KEY MISMATCH/).first().waitFor();
    await failed.locator('summary').click();
  });

  it('the connection test of that server fails in Portuguese', async () => {
    await c.go('servidores');
    await new ServersPage(c).testConnection('impostor');
    await page.getByText('A conexão com o servidor impostor falhou').waitFor({ timeout: 30_000 });
    await c.screenshot('i18n-servidores-teste');
    await expectNoEnglish('Servidores');
  });

  it('a broken config value is explained in Portuguese, naming the file and the item', async () => {
    const good = readFileSync(fx.configPath, 'utf8');
    writeFileSync(fx.configPath, good.replace(/(\n {2}clinica:\n(?: {4}.*\n)*? {4}port: )\d+/, '$1"vinte e dois"'));
    expect(readFileSync(fx.configPath, 'utf8')).toContain('port: "vinte e dois"');
    try {
      await c.go('configuracoes');
      await c.go('painel');
      await page.getByText(/^Valor inválido em .*cofre\.yaml.*, no item servers\.clinica\.port/).first().waitFor({ timeout: 30_000 });
      await page.getByText(/^O que fazer: Corrija esse item no cofre\.yaml/).first().waitFor();
      await c.screenshot('i18n-config-invalida');
      await expectNoEnglish('the dashboard (invalid config)');
    } finally {
      writeFileSync(fx.configPath, good);
    }
  });

  it('storage types and every screen: no engine English anywhere', async () => {
    await c.go('configuracoes');
    await page.locator('main').getByText('Pasta', { exact: true }).first().waitFor();
    expect(await page.locator('main td', { hasText: /^folder$/ }).count()).toBe(0);
    await expectNoEnglish('Configurações');
    for (const screen of ['painel', 'copias', 'execucoes', 'testes', 'auditoria'] as const) {
      await c.go(screen);
      await page.locator('main h1').waitFor();
      await expectNoEnglish(screen);
    }
    expect(english.sentences.size).toBeGreaterThan(5);
  });
});
