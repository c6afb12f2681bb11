/**
 * The restore choices, drills and audit log in Debian chromium against `cofre ui` (the real
 * engine) and the harness services. The staging target has no MySQL server, as a clinic's
 * homologação often lacks one:
 * - the point-in-time picker (clinic zone) picks the set a real backup made and shows its data age;
 * - step 2 leaves the MySQL source out, unticked, with the reason, and the restore of the
 *   other sources runs to a validated report;
 * - a drill asks first and names its target; it fails (the drill needs every source) and the
 *   failure shows its reason and report, is a run in Execuções and a red card on the Painel;
 * - the audit log reads in words and exports CSV.
 * Screenshots go to test-results/screenshots/.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { makeFixture, ownServerName, type Fixture } from '../support/backup-fixture.js';
import { cofre } from '../support/cli.js';
import { editConfig } from '../../src-main/config/edit.js';
import { wallClockOf } from '../../shared/zoned-time.js';
import { assertBuilt, startUi, type UiProcess } from './pages/ui-process.js';
import { ConsolePage } from './pages/console.js';
import { AuditPage, DrillsPage, PointInTimePage, SourcesChoicePage } from './pages/choices.js';

const h = inject('harness');
const shots = resolve('test-results/screenshots');
const ZONE = 'America/Sao_Paulo';
let fx: Fixture;
let ui: UiProcess | undefined;
let browser: Browser;
let page: Page;
let c: ConsolePage;
let setId = '';

beforeAll(async () => {
  assertBuilt();
  fx = await makeFixture(h, { largeBytes: 512 * 1024 });
  const restoreRoot = join(fx.dir, 'restore');
  mkdirSync(restoreRoot);
  editConfig(fx.configPath, (doc) => {
    ownServerName(doc);
    const server = Object.keys((doc.toJS() as { servers: Record<string, unknown> }).servers)[0] ?? 'clinica';
    doc.setIn(['drill'], doc.createNode({ auto: false, target: 'homologacao' }));
    doc.setIn(['restoreTargets'], doc.createNode({
      homologacao: { kind: 'staging', server, postgres: { host: '127.0.0.1', port: h.postgresStaging.port, user: 'postgres' }, filesRoot: restoreRoot },
    }));
  });
  const backup = await cofre(['backup', '--plan', 'local', '--json'], { env: fx.env });
  expect(backup.code, backup.stderr).toBe(0);
  setId = (backup.json as { setId: string }).setId;
  ui = await startUi({ ...fx.env, USER: 'e2e' });
  url = ui.url;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  c = new ConsolePage(page, shots);
  await c.open(url);
});
let url = '';

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
});

describe('restore choices, drills and audit (chromium, cofre ui, real engine)', () => {
  it('picks the set by an instant in the clinic zone and shows the data age', async () => {
    await c.go('restaurar');
    const pit = new PointInTimePage(c);
    await pit.form.waitFor();
    // before the only backup: nothing to pick, said in Portuguese
    await pit.find(wallClockOf(new Date(Date.now() - 3 * 86_400_000).toISOString(), ZONE));
    await pit.form.locator('[data-error-code="SET_NOT_FOUND"]').waitFor();
    // two minutes from now: the set the backup made
    await pit.find(wallClockOf(new Date(Date.now() + 120_000).toISOString(), ZONE));
    await pit.result().waitFor();
    expect(await pit.result().getAttribute('data-set')).toBe(setId);
    const rpo = await page.getByTestId('point-rpo').innerText();
    expect(rpo).toMatch(/Idade dos dados nesse instante \(RPO\): \d+ (s|min)/);
    await page.locator(`.choices li[data-set="${setId}"]`).getByText('escolhida pelo instante').waitFor();
    await c.screenshot('restaurar-ponto-no-tempo');
    await pit.use();
    expect(c.problems).toEqual([]);
  });

  it('leaves out the MySQL source the staging target cannot receive, explains why, and restores the rest', async () => {
    await page.getByRole('combobox', { name: /Destino da restauração/ }).selectOption('homologacao');
    const sources = new SourcesChoicePage(c);
    await sources.source('prontuarios').waitFor();
    expect(await sources.checkbox('prontuarios').isChecked()).toBe(false);
    expect(await sources.checkbox('prontuarios').isDisabled()).toBe(true);
    await sources.source('prontuarios').getByText(/não tem MySQL\/MariaDB configurado/).waitFor();
    expect(await sources.checkbox('banco').isChecked()).toBe(true);
    expect(await sources.checkbox('arquivos').isChecked()).toBe(true);
    await c.screenshot('restaurar-origens');
    await c.button(/Verificar antes de restaurar/).click();
    await page.getByText(/Estimativa:/).waitFor({ timeout: 60_000 });
    await c.button(/Iniciar restauração/).click();
    await page.getByText('Restauração concluída e validada.').waitFor({ timeout: 150_000 });
    const checks = await page.locator('main table tbody th').allInnerTexts();
    expect(checks.some((x) => x.includes('banco'))).toBe(true);
    expect(checks.some((x) => x.includes('prontuarios'))).toBe(false);
    await c.screenshot('restaurar-relatorio-sem-mysql');
    expect(c.problems).toEqual([]);
  });

  it('a drill asks first and names its target; its failure shows the reason and report, in Execuções and on the Painel', async () => {
    await c.go('testes');
    const drills = new DrillsPage(c);
    await drills.startButton().click();
    await drills.dialog().waitFor();
    expect(await drills.dialog().getByTestId('drill-confirm-target').innerText()).toBe('homologacao');
    await c.screenshot('testes-confirmacao');
    await drills.cancel();
    await page.getByText('Nenhum teste de restauração ainda').waitFor(); // cancelling started nothing
    await drills.startButton().click();
    await drills.confirm();
    const outcome = page.locator('main').getByTestId('drill-outcome');
    await outcome.waitFor({ timeout: 150_000 });
    expect(await outcome.getAttribute('data-ok')).toBe('false');
    await outcome.locator('[data-error-code="CONFIG_REFERENCE"]').waitFor();
    await outcome.getByText(/Motivo/).waitFor();
    const report = outcome.getByTestId('drill-report');
    // served by the console (same session), not a file:// link the browser blocks
    expect(await report.getAttribute('href')).toMatch(/^\/reports\/[^/]+\.html$/);
    await c.screenshot('testes-falha');
    await c.go('execucoes');
    const row = page.locator('main tbody tr[data-kind="drill"]').first();
    await row.getByText(/Teste de restauração → homologacao/).waitFor();
    await row.locator('.badge', { hasText: 'Falhou' }).waitFor();
    await c.screenshot('execucoes-teste-falho');
    await c.go('painel');
    const card = page.getByTestId('drill-failed-card');
    await card.getByText('Teste de restauração reprovado').waitFor();
    await card.locator('[data-error-code="CONFIG_REFERENCE"]').waitFor();
    await c.screenshot('painel-teste-falho');
    expect(c.problems).toEqual([]);
  });

  it('the audit log reads in words, filters by person and exports CSV', async () => {
    await c.go('auditoria');
    const audit = new AuditPage(c);
    await audit.rows().first().waitFor();
    await audit.rows().getByText('Pediu um teste de restauração').first().waitFor();
    await audit.rows().getByText('Pediu uma restauração').first().waitFor();
    // newest first: the drill was asked after the restore
    const actions = await audit.rows().locator('td:nth-child(3)').allInnerTexts();
    expect(actions.findIndex((a) => a.includes('Pediu um teste'))).toBeLessThan(actions.findIndex((a) => a.includes('Pediu uma restauração')));
    // dd/mm/aaaa in the clinic zone
    expect(await audit.rows().first().locator('td').first().innerText()).toMatch(/^\d{2}\/\d{2}\/\d{4}/);
    await audit.filterWho('e2e');
    const who = await audit.rows().locator('td:nth-child(2)').allInnerTexts();
    expect(who.length).toBeGreaterThan(0);
    expect(who.every((w) => w.startsWith('e2e'))).toBe(true);
    await c.screenshot('auditoria');
    const download = await audit.exportCsv();
    const path = await download.path();
    const csv = readFileSync(path, 'utf8');
    expect(csv.startsWith('\uFEFF"Quando","Quem","via","Ação","action","Alvo","Detalhes"\r\n')).toBe(true);
    expect(csv).toContain('"drill.request"');
    expect(csv).toContain('"restore.request"');
    expect(csv).toMatch(/"Pediu uma restauração","restore.request","homologacao","setId=/);
    expect(c.problems).toEqual([]);
  });

  it('the test alert says why nothing was sent; the time zone comes from a list', async () => {
    await c.go('configuracoes');
    await c.button(/Enviar alerta de teste/).click();
    const result = page.getByTestId('alert-test-result');
    await result.getByText(/Nenhum alerta foi enviado/).waitFor();
    await result.locator('li[data-channel="email"]').getByText(/canal não configurado/).waitFor();
    await result.locator('li[data-channel="desktop"]').getByText(/só o aplicativo de desktop/).waitFor();
    const zones = await page.getByTestId('timezone-select').locator('option').count();
    expect(zones).toBeGreaterThan(300);
    await c.screenshot('configuracoes-alerta-teste');
    expect(c.problems).toEqual([]);
  });
});
