/**
 * Issue 16, "Staging that can run the system", in Debian chromium against `cofre ui` (the real
 * engine) and the harness services: a staging target with `names: original` says so in step 2,
 * the preflight lists the production names and the aside name of what is there, and the restore
 * runs to a validated report with the old copy kept aside. Screenshots go to test-results/screenshots/.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { addOriginalNamesStaging, makeFixture, type Fixture } from '../support/backup-fixture.js';
import { cofre } from '../support/cli.js';
import { pgCreateDatabase, pgPsql } from '../harness/index.js';
import { pgFingerprint } from '../support/compare.js';
import { assertBuilt, startUi, type UiProcess } from './pages/ui-process.js';
import { ConsolePage, RestoreWizardPage } from './pages/console.js';

const h = inject('harness');
const shots = resolve('test-results/screenshots');
let fx: Fixture;
let ui: UiProcess | undefined;
let browser: Browser;
let page: Page;
let c: ConsolePage;

beforeAll(async () => {
  assertBuilt();
  fx = await makeFixture(h, { largeBytes: 256 * 1024 });
  addOriginalNamesStaging(fx, h);
  const backup = await cofre(['backup', '--plan', 'local', '--json'], { env: fx.env });
  expect(backup.code, backup.stderr).toBe(0);
  // an older copy under the production name on staging
  await pgCreateDatabase(h.postgresStaging, fx.pgDb);
  await pgPsql(h.postgresStaging, 'CREATE TABLE antes (x int); INSERT INTO antes VALUES (7);', fx.pgDb);
  ui = await startUi({ ...fx.env, USER: 'e2e' });
  const url = ui.url;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  c = new ConsolePage(page, shots);
  await c.open(url);
});

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
});

describe('staging under the production names in the console (chromium, cofre ui, real engine)', () => {
  it('step 2 says the production names are used and what happens to what exists; the preflight names the aside copy; the restore keeps it', async () => {
    const w = new RestoreWizardPage(c);
    await c.go('restaurar');
    await w.choosePoint(0);
    await w.chooseTarget('homologacao');
    const names = page.getByTestId('target-names');
    await names.waitFor();
    expect(await names.innerText()).toMatch(/Nomes de produção: .* movido para <nome>_antes_<aaaammddhhmmss> e mantido — nada é apagado/);
    await c.screenshot('restaurar-nomes-de-producao');
    await w.preflightButton().click();
    await page.getByText(/Estimativa:/).waitFor({ timeout: 60_000 });
    const text = await page.locator('main').innerText();
    expect(text).toMatch(new RegExp(`Destino ${fx.pgDb} \\(nome de produção\\): já existe e será movido para ${fx.pgDb}_antes_\\d{14}, sem apagar nada`));
    expect(text).toContain('O PostgreSQL do destino não é o da origem banco (produção)');
    expect(text).toContain('O filesRoot do destino não é o da origem arquivos (produção)');
    await c.screenshot('restaurar-verificacao-nomes-de-producao');
    await c.button(/Iniciar restauração/).click();
    await page.getByText('Restauração concluída e validada.').waitFor({ timeout: 150_000 });
    expect(await pgFingerprint(h.postgresStaging, fx.pgDb)).toEqual(await pgFingerprint(h.postgres, fx.pgDb));
    const aside = (await pgPsql(h.postgresStaging, `SELECT datname FROM pg_database WHERE datname LIKE '${fx.pgDb}_antes_%'`)).trim();
    expect(aside).toMatch(/_antes_\d{14}$/);
    expect(await pgPsql(h.postgresStaging, 'SELECT x FROM antes', aside)).toBe('7');
    expect(c.problems).toEqual([]);
  });
});
