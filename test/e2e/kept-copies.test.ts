/**
 * The copies restores keep, in the console (Debian chromium against `cofre ui`, the real engine and
 * the harness services): a restore into a staging target under the production names moves the
 * database already there aside; its last step names that copy and links to Restaurar → Cópias
 * guardadas, which lists it with its facts; removing it asks first, naming the copy and the target,
 * and (the newest copy of the database) only with the second confirmation ticked; then the database
 * is gone from the staging PostgreSQL and the removal is in the audit log.
 * Screenshots go to test-results/screenshots/.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { addOriginalNamesStaging, makeFixture, type Fixture } from '../support/backup-fixture.js';
import { cofre } from '../support/cli.js';
import { AppContext } from '../../src-main/app/context.js';
import { pgCreateDatabase, pgPsql } from '../harness/index.js';
import { assertBuilt, startUi, type UiProcess } from './pages/ui-process.js';
import { ConsolePage, RestoreWizardPage } from './pages/console.js';
import { DrillsPage } from './pages/choices.js';

const h = inject('harness');
const shots = resolve('test-results/screenshots');
let fx: Fixture;
let ui: UiProcess | undefined;
let browser: Browser;
let page: Page;
let c: ConsolePage;
const dbs = async (): Promise<string[]> => (await pgPsql(h.postgresStaging, 'SELECT datname FROM pg_database ORDER BY 1')).split('\n');

/** A whole restore of the newest set into homologacao from the wizard; returns the database it kept aside. */
async function restoreIntoHomologacao(): Promise<string> {
  const w = new RestoreWizardPage(c);
  await w.choosePoint(0);
  await w.chooseTarget('homologacao');
  await w.preflightButton().click();
  await page.getByText(/Estimativa:/).waitFor({ timeout: 60_000 });
  await c.button(/Iniciar restauração/).click();
  await page.getByText('Restauração concluída e validada.').waitFor({ timeout: 150_000 });
  const aside = (await dbs()).find((d) => d.startsWith(`${fx.pgDb}_antes_`)) ?? '';
  expect(aside).toMatch(/_antes_\d{14}$/);
  return aside;
}

beforeAll(async () => {
  assertBuilt();
  fx = await makeFixture(h, { largeBytes: 64 * 1024 });
  // staging has no MySQL of its own here: the set holds what the drill can restore
  addOriginalNamesStaging(fx, h, { sources: ['banco', 'arquivos'] });
  const backup = await cofre(['backup', '--plan', 'local', '--json'], { env: fx.env });
  expect(backup.code, backup.stderr).toBe(0);
  // staging already holds a database under the production name: the restore keeps it aside
  await pgCreateDatabase(h.postgresStaging, fx.pgDb);
  ui = await startUi({ ...fx.env, USER: 'e2e' });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  c = new ConsolePage(page, shots);
  await c.open(ui.url);
});

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
  for (const d of (await dbs().catch(() => [] as string[])).filter((n) => fx && n.startsWith(fx.pgDb))) await pgPsql(h.postgresStaging, `DROP DATABASE "${d}" WITH (FORCE)`).catch(() => undefined);
});

describe('kept copies in the console (chromium, cofre ui, real engine)', () => {
  it('a restore names the copy it kept, the list shows it, and removing it asks twice (newest) and drops it on the target, audited', async () => {
    await c.go('restaurar');
    const list = page.getByTestId('kept-copies');
    await list.locator('[data-testid="kept-none"]').waitFor();

    const aside = await restoreIntoHomologacao();

    // the last step says what was kept, and where to see it
    const mention = page.getByTestId('restore-kept');
    expect(await mention.innerText()).toMatch(new RegExp(`guardou no destino homologacao 1 cópia\\(s\\) do que substituiu[\\s\\S]*Banco PostgreSQL ${aside} \\(cópia de ${fx.pgDb}\\)`));
    await c.screenshot('restaurar-copias-guardadas-aviso');
    await page.getByTestId('restore-kept-link').click();
    await page.waitForURL(/#\/restaurar\?view=kept$/);
    const row = list.locator(`tr[data-name="${aside}"]`);
    await row.waitFor({ timeout: 60_000 });
    const cells = await row.locator('th, td').allInnerTexts();
    expect(cells[0]).toBe('homologacao');
    expect(cells[1]).toBe(`${aside}\nBanco PostgreSQL, cópia de ${fx.pgDb}`);
    expect(cells[2]).toMatch(/^\d+(,\d+)? (MB|kB|KB|MiB|KiB)$/);
    expect(cells[3]).toMatch(/^\d{2}\/\d{2}\/\d{4},? \d{2}:\d{2}/);
    expect(cells[4]).toMatch(/^nº \d+, do backup \d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(cells[5]).toBe('! Mais recente\no único caminho de volta da última restauração');
    expect(await list.locator('thead').innerText()).toContain('Feita em (America/Sao_Paulo)');
    await c.screenshot('restaurar-copias-guardadas-lista');

    // English, second language: the same facts in its words (the language is the console's setting: always set back)
    await c.go('configuracoes');
    await page.getByRole('combobox', { name: 'Idioma' }).selectOption('en');
    await page.locator('main h1', { hasText: 'Settings' }).waitFor();
    try {
      await c.go('restaurar');
      await list.getByRole('heading', { name: 'Copies kept by restores' }).waitFor();
      await row.waitFor({ timeout: 60_000 });
      expect(await row.locator('th, td').allInnerTexts()).toEqual([
        'homologacao', `${aside}\nPostgreSQL database, copy of ${fx.pgDb}`, expect.stringMatching(/^\d+(\.\d+)? (MB|kB)$/) as string,
        expect.stringMatching(/^\d{1,2}\/\d{1,2}\/\d{2,4},? \d{1,2}:\d{2}/) as string, expect.stringMatching(/^#\d+, of set /) as string, '! Newest\nthe only way back from the last restore', 'Remove…',
      ]);
      await c.screenshot('restaurar-copias-guardadas-en');
    } finally {
      await c.go('configuracoes');
      await page.getByRole('combobox', { name: 'Language' }).selectOption('pt-BR');
      await page.locator('main h1', { hasText: 'Configurações' }).waitFor();
    }
    await c.go('restaurar');
    await row.waitFor();

    // removal asks first: names the copy and the target, says it cannot be undone, and (newest) needs the second confirmation
    await row.getByRole('button', { name: `Remover ${aside} de homologacao` }).click();
    const dialog = page.getByTestId('kept-confirm');
    await dialog.waitFor();
    expect(await dialog.getByTestId('kept-confirm-body').innerText()).toBe(`A cópia ${aside} (Banco PostgreSQL) será apagada do destino homologacao. Isto não pode ser desfeito: depois disso, ela não serve mais de caminho de volta.`);
    expect(await dialog.getByTestId('kept-newest').innerText()).toContain(`Esta é a cópia mais recente de ${fx.pgDb}`);
    const confirm = dialog.getByTestId('kept-confirm-remove');
    expect(await confirm.isDisabled()).toBe(true);
    await c.screenshot('restaurar-copias-guardadas-confirmar');
    // cancel leaves it where it is
    await dialog.getByRole('button', { name: 'Cancelar' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await dbs()).toContain(aside);

    await row.getByRole('button', { name: `Remover ${aside} de homologacao` }).click();
    await dialog.getByTestId('kept-force').check();
    expect(await confirm.isEnabled()).toBe(true);
    await confirm.click();
    await page.getByTestId('kept-removed').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('kept-removed').innerText()).toContain(`${aside} foi removida do destino homologacao.`);
    await list.locator('[data-testid="kept-none"]').waitFor({ timeout: 60_000 });
    expect(await dbs()).not.toContain(aside);
    expect(await dbs()).toContain(fx.pgDb); // the restored database stays
    await c.screenshot('restaurar-copias-guardadas-removida');

    const ctx = new AppContext({ env: fx.env });
    try {
      const audit = ctx.catalog.listAudit({ action: 'kept.remove' });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ target: 'homologacao', details: { name: aside, kind: 'postgres', of: fx.pgDb, forced: true } });
      expect(audit[0]?.actor).toMatch(/e2e/);
    } finally {
      ctx.close();
    }
    expect(c.problems).toEqual([]);
  });

  it('a copy removed by hand meanwhile: the removal says so in the catalog\'s words, with what to do, and nothing else happens', async () => {
    await c.button('Nova restauração').click();
    const aside = await restoreIntoHomologacao();
    // this time the files restored by the first one were there too: that folder is kept as well
    const folder = `${await page.getByTestId('restore-kept').locator('li', { hasText: 'Pasta' }).locator('code').innerText()}`;
    expect(folder).toMatch(/\/srv\/uploads_antes_\d{14}$/);
    expect(await page.getByTestId('restore-kept').innerText()).toContain('guardou no destino homologacao 2 cópia(s)');
    await page.getByTestId('restore-kept-link').click();
    const row = page.getByTestId('kept-copies').locator(`tr[data-name="${aside}"]`);
    await row.getByRole('button', { name: `Remover ${aside} de homologacao` }).click();
    const dialog = page.getByTestId('kept-confirm');
    await dialog.getByTestId('kept-force').check();
    await pgPsql(h.postgresStaging, `DROP DATABASE "${aside}"`);
    await dialog.getByTestId('kept-confirm-remove').click();
    const error = dialog.locator('[role="alert"][data-key="drill.kept.gone"]');
    await error.waitFor({ timeout: 60_000 });
    expect(await error.locator('.error-title').innerText()).toBe(`${aside} não existe mais no destino homologacao: nada a remover`);
    expect(await error.locator('.error-action').innerText()).toBe('O que fazer: A lista foi atualizada: a cópia já não está no destino.');
    await c.screenshot('restaurar-copias-guardadas-ja-removida');
    await dialog.getByRole('button', { name: 'Cancelar' }).click();
    // the list, refreshed: the database is no longer in it, the folder still is (nothing else was touched)
    await row.waitFor({ state: 'detached', timeout: 60_000 });
    await page.getByTestId('kept-copies').locator(`tr[data-name="${folder}"]`).waitFor();
    expect(existsSync(folder)).toBe(true);
    const ctx = new AppContext({ env: fx.env });
    try {
      expect(ctx.catalog.listAudit({ action: 'kept.remove' })).toHaveLength(1);
    } finally {
      ctx.close();
    }
    expect(c.problems).toEqual([]);
  });

  it('a drill under the production names says what it kept too, and links to the list', async () => {
    await c.go('testes');
    const drills = new DrillsPage(c);
    await drills.startButton().click();
    await drills.confirm();
    const mention = page.getByTestId('restore-kept');
    await mention.waitFor({ timeout: 150_000 });
    expect(await page.getByTestId('drill-outcome').getAttribute('data-ok')).toBe('true');
    const aside = (await dbs()).find((d) => d.startsWith(`${fx.pgDb}_antes_`)) ?? '';
    expect(await mention.innerText()).toContain(`Banco PostgreSQL ${aside} (cópia de ${fx.pgDb})`);
    await c.screenshot('testes-copias-guardadas');
    await page.getByTestId('restore-kept-link').click();
    await page.locator('main[data-screen="restaurar"]').waitFor();
    await page.getByTestId('kept-copies').locator(`tr[data-name="${aside}"][data-newest="true"]`).waitFor();
    expect(c.problems).toEqual([]);
  });
});
