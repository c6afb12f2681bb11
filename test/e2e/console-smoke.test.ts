/**
 * Smoke test of the console in Debian chromium: the real HTTP/WebSocket server with the
 * in-memory engine and the built renderer (`npm run build:renderer` first). Visits every
 * screen, runs a plan, walks a restore, and fails on any console error.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeLinkPage } from '../../src-main/cli/commands/ui.js';
import { chromium, type Browser } from 'playwright-core';
import { startConsoleServer, type ConsoleServer } from '../../src-main/rpc/ws-server.js';
import { createMemoryServices, type MemoryServices } from '../support/memory-services.js';
import { ConsolePage, DashboardPage, RestoreWizardPage, SCREENS } from './pages/console.js';

const staticDir = resolve('dist/renderer');
const shots = resolve('test-results/screens');
let browser: Browser;
let server: ConsoleServer;
let services: MemoryServices;

beforeAll(async () => {
  if (!existsSync(resolve(staticDir, 'index.html'))) throw new Error('dist/renderer is missing: run `npm run build:renderer` first');
  services = createMemoryServices({ tickMs: 150, ticks: 12 });
  server = await startConsoleServer({ services, staticDir, actor: 'console:e2e' });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  services?.close();
});

describe('console smoke (chromium)', () => {
  it('shows every screen with data and no console errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const c = new ConsolePage(page, shots);
    await c.open(server.newLink());
    expect(page.url()).not.toContain('token=');
    expect(await c.heading()).toBe('Painel');
    const dash = new DashboardPage(c);
    await dash.planCard('diario').getByText('Protegido').waitFor();
    await dash.planCard('local').getByText('Falhando').waitFor();
    // the engine's English reason is kept, folded under "Detalhe técnico" (pt-BR is what shows)
    await dash.planCard('local').getByText(/permission denied for table agenda/).waitFor({ state: 'attached' });
    await c.screenshot('painel');

    const expectations: Record<(typeof SCREENS)[number], RegExp> = {
      painel: /Execuções recentes/,
      servidores: /clinica/,
      planos: /todos os dias às 02:00/,
      copias: /Sem manifesto: a cópia não terminou/,
      execucoes: /Histórico/,
      restaurar: /Escolha a cópia a restaurar/,
      testes: /Histórico de testes/,
      configuracoes: /Chaves de criptografia/,
      auditoria: /Adicionou uma chave pública/,
    };
    for (const screen of SCREENS) {
      await c.go(screen);
      await page.locator('main').getByText(expectations[screen]).filter({ visible: true }).first().waitFor();
      await c.screenshot(screen);
    }
    expect(c.problems).toEqual([]);
    await page.close();
  });

  it('runs a plan now and shows live progress, then the finished run', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const c = new ConsolePage(page, shots);
    await c.open(server.newLink());
    await new DashboardPage(c).runNow('diario');
    await c.go('execucoes');
    await page.getByRole('progressbar').first().waitFor();
    await page.getByText(/MB\/s/).first().waitFor();
    await c.screenshot('execucoes-live');
    await page.getByText('Nenhuma cópia em andamento.').waitFor();
    await page.locator('tbody tr').first().getByText('Concluída').waitFor();
    expect(c.problems).toEqual([]);
    await page.close();
  });

  it('walks the restore wizard; production needs the typed name', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const c = new ConsolePage(page, shots);
    await c.open(server.newLink());
    await c.go('restaurar');
    const wizard = new RestoreWizardPage(c);
    await wizard.choosePoint(0);
    await wizard.chooseTarget('producao');
    expect(await wizard.preflightButton().isDisabled()).toBe(true);
    await wizard.confirmField('producao').fill('produca');
    expect(await wizard.preflightButton().isDisabled()).toBe(true);
    await c.screenshot('restaurar-producao');
    await wizard.chooseTarget('homologacao');
    await wizard.preflightButton().click();
    await page.getByText(/Estimativa:/).waitFor();
    await c.screenshot('restaurar-preflight');
    await c.button(/Iniciar restauração/).click();
    // the transfer step: RTO timer (elapsed vs 4 h, projected end) and bytes, rate and time left
    await page.locator('[data-testid="restore-progress"]', { hasText: /\/s · faltam/ }).waitFor();
    expect(await page.locator('[data-testid="rto-projected"]').innerText()).toMatch(/^\d\d:\d\d:\d\d$/);
    await c.screenshot('restaurar-transferencia');
    await page.getByText('Restauração concluída e validada.').waitFor();
    await page.getByText(/RTO medido/).waitFor();
    await c.screenshot('restaurar-relatorio');
    expect(c.problems).toEqual([]);
    await page.close();
  });

  it('switches to English and keyboard focus is visible', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const c = new ConsolePage(page, shots);
    await c.open(server.newLink());
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).not.toBe('none');
    await c.go('configuracoes');
    await page.getByRole('combobox', { name: 'Idioma' }).selectOption('en');
    await page.locator('main h1', { hasText: 'Settings' }).waitFor();
    await c.screenshot('configuracoes-en');
    await page.getByRole('combobox', { name: 'Language' }).selectOption('pt-BR');
    await page.locator('main h1', { hasText: 'Configurações' }).waitFor();
    expect(c.problems).toEqual([]);
    await page.close();
  });

  it('the page `cofre ui` hands the browser opens the console; its link then opens nothing for anyone else', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cofre-link-'));
    const link = server.newLink();
    const file = writeLinkPage(home, link);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(file).href);
    await page.locator('#root[data-app-state="ready"]').waitFor();
    expect(page.url()).toBe(server.origin);
    const stranger = await browser.newContext();
    const other = await stranger.newPage();
    await other.goto(link);
    await other.getByText('Este link do console já foi usado.').waitFor();
    await other.getByText(/rode `cofre ui`/).waitFor();
    await stranger.close();
    await page.close();
    rmSync(home, { recursive: true, force: true });
  });
});
