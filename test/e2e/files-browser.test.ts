/**
 * The set's file browser on the REAL demo in Debian chromium: open a set in Cópias, walk its
 * folders, search by name, see the other versions of a file, restore ONE file to the demo's
 * staging target through the wizard (its bytes on disk equal the original, and nothing else of
 * the set is placed there), save one file on this computer (the one-time download's bytes
 * equal the original; the save is in Auditoria), and pick paths in the wizard's picker.
 * Screenshots under test-results/screenshots/.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { demoLeftovers, startDemo } from '../support/demo.js';
import { removeDir, tempDir } from '../harness/util.js';
import { ConsolePage, DashboardPage, RestoreWizardPage } from './pages/console.js';
import { FileBrowserPage } from './pages/files.js';

const shots = resolve('test-results/screenshots');
let browser: Browser | undefined;
let demo: ChildProcess | undefined;
let home: string | undefined;
let leftovers: string[] = [];

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

describe('files browser on the real demo (chromium)', () => {
  let c: ConsolePage;
  let page: Page;
  let dir: string;
  let filesRoot: string;
  let restoreRoot: string;
  let files: FileBrowserPage;
  const receita = 'prontuários/Zoë 🩺/receita.pdf';
  const xray = 'exames 2026/raio-x tórax — José da Conceição.png';

  beforeAll(async () => {
    home = await tempDir('demo-files');
    dir = join(home, 'demo-home');
    const started = await startDemo(dir);
    demo = started.child;
    const refresh = (): void => {
      leftovers = demoLeftovers(dir, started.output());
    };
    started.child.stdout?.on('data', refresh);
    started.child.stderr?.on('data', refresh);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    c = new ConsolePage(page, shots);
    files = new FileBrowserPage(c);
    await c.open(started.url);
    const config = readFileSync(join(dir, 'cofre-demo.yaml'), 'utf8');
    restoreRoot = /filesRoot: "([^"]+)"/.exec(config)?.[1] ?? '';
    filesRoot = /paths: \["([^"]+)"\]/.exec(config)?.[1] ?? '';
    expect(restoreRoot).not.toBe('');
    expect(filesRoot).not.toBe('');
    // the demo's first backup makes the set to browse
    await new DashboardPage(c).planCard('diario').getByText('Protegido').waitFor({ timeout: 120_000 });
  });

  it('opens a set, walks its folders and searches by name', async () => {
    await c.go('copias');
    await files.openFromSet(0);
    await files.row(filesRoot).waitFor();
    await c.screenshot('files-01-topo');
    await files.enter(filesRoot);
    await files.enter(`${filesRoot}/prontuários`);
    await files.enter(`${filesRoot}/prontuários/Zoë 🩺`);
    const row = files.row(`${filesRoot}/${receita}`);
    await row.waitFor();
    // size in human units, date in the clinic's zone (dd/mm/aaaa)
    expect(await row.locator('td').nth(0).innerText()).toMatch(/^\d+(,\d+)? (B|KB|MB)$/);
    expect(await row.locator('td').nth(1).innerText()).toMatch(/^\d{2}\/\d{2}\/\d{4}/);
    await c.screenshot('files-02-pasta');
    // the excluded temp file is not in the set
    await files.top();
    await files.search('miniaturas');
    await files.root().getByText('Nenhum arquivo encontrado com esses critérios.').waitFor();
    await files.search('RAIO-X TORAX');
    await files.row(`${filesRoot}/${xray}`).waitFor();
    await c.screenshot('files-03-busca');
    expect(c.problems).toEqual([]);
  });

  it('shows the other versions of a file across the complete sets', async () => {
    await files.row(`${filesRoot}/${xray}`).getByRole('button', { name: 'Outras versões' }).click();
    const versions = page.getByTestId('file-versions');
    await versions.getByText('esta cópia').waitFor();
    await c.screenshot('files-04-versoes');
    await versions.getByRole('button', { name: 'Fechar versões' }).click();
    expect(c.problems).toEqual([]);
  });

  it('saves one file on this computer after confirming: the downloaded bytes are the original, and Auditoria says so', async () => {
    await files.row(`${filesRoot}/${xray}`).getByRole('button', { name: 'Salvar no computador' }).click();
    const dialog = page.getByTestId('save-confirm');
    await dialog.getByText(/será decifrado e salvo neste computador/).waitFor();
    await c.screenshot('files-05-salvar-confirmacao');
    const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Sim, salvar' }).click()]);
    expect(download.suggestedFilename()).toBe('raio-x tórax — José da Conceição.png');
    const saved = await download.path();
    expect(readFileSync(saved).equals(readFileSync(join(filesRoot, xray)))).toBe(true);
    await page.getByTestId('save-result').waitFor();
    // the link was good once (asked outside the page, with its session cookie)
    const cookie = (await page.context().cookies()).map((k) => `${k.name}=${k.value}`).join('; ');
    const again = await fetch(download.url(), { headers: { Cookie: cookie } });
    expect(again.status).toBe(410);
    expect(await again.text()).toMatch(/^Este link de download já foi usado ou expirou/);
    await c.go('auditoria');
    const entry = page.getByTestId('audit-row').filter({ hasText: 'Salvou arquivos de uma cópia no computador' }).first();
    await entry.waitFor();
    await entry.getByText(xray, { exact: false }).first().waitFor();
    await c.screenshot('files-06-auditoria');
    expect(c.problems).toEqual([]);
  });

  it('restores one file to the staging target through the wizard, and only that file', async () => {
    await c.go('copias');
    await files.openFromSet(0);
    await files.search('receita');
    await files.row(`${filesRoot}/${receita}`).getByRole('button', { name: 'Restaurar…' }).click();
    await page.locator('main[data-screen="restaurar"]').waitFor();
    await page.getByTestId('restore-paths').locator(`li[data-path="${filesRoot}/${receita}"]`).waitFor();
    const wizard = new RestoreWizardPage(c);
    await wizard.chooseTarget('homologacao');
    await c.screenshot('files-07-restaurar-caminho');
    await wizard.preflightButton().click();
    await page.getByText(/Estimativa:/).waitFor({ timeout: 60_000 });
    await c.button(/Iniciar restauração/).click();
    await page.getByText('Restauração concluída e validada.').waitFor({ timeout: 150_000 });
    await c.screenshot('files-08-restaurar-relatorio');
    const restoredSet = readdirSync(restoreRoot).find((d) => /^\d{8}T\d{6}Z-/.test(d)) ?? '';
    const restored = readFileSync(join(restoreRoot, restoredSet, filesRoot, receita));
    expect(restored.equals(readFileSync(join(filesRoot, receita)))).toBe(true);
    expect(existsSync(join(restoreRoot, restoredSet, filesRoot, xray))).toBe(false);
    expect(existsSync(join(restoreRoot, restoredSet, filesRoot, 'leia-me.txt'))).toBe(false);
    expect(c.problems).toEqual([]);
  });

  it('the wizard offers paths besides sources, picked with the same browser', async () => {
    await c.button('Nova restauração').click();
    const wizard = new RestoreWizardPage(c);
    await wizard.choosePoint(0);
    await page.getByTestId('restore-paths').getByRole('button', { name: 'Escolher arquivos ou pastas…' }).click();
    await files.row(filesRoot).waitFor();
    await files.enter(filesRoot);
    await files.row(`${filesRoot}/fotos`).getByRole('button', { name: 'Escolher' }).click();
    await page.getByTestId('restore-paths').locator(`li[data-path="${filesRoot}/fotos"]`).waitFor();
    await c.screenshot('files-09-assistente-caminhos');
    expect(c.problems).toEqual([]);
  });
});
