/**
 * Issue 15, console side, in Debian chromium against the real engine (harness sshd, a folder
 * storage, format-2 files sets):
 * - "Executar agora" runs backup + prune; the prune deletes the packs a forgotten set alone used
 *   (found unused by an earlier prune more than the lease max age before: that prune's clock is
 *   moved back, nothing sleeps) and leaves pending the packs of a set forgotten since. The run's
 *   detail in Execuções and the storage's card in Cópias show packs deleted and bytes freed, packs
 *   pending and when they become deletable (clinic time zone), read back from the catalog.
 * - A doubtful set on the storage blocks GC: the next run shows the warning naming the set and the
 *   `cofre forget` command, and no pack is deleted. Forgetting that set clears the Painel's warning
 *   at once, before any prune, and Cópias says the next prune collects.
 * - Planos edits the plan's bandwidth limit: cofre.yaml gets it with its comments kept; a value the
 *   config loader refuses shows the pt-BR error and leaves the file byte for byte as it was.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AppContext } from '../../src-main/app/context.js';
import { createEngineServices, type RealEngineServices } from '../../src-main/rpc/engine-services.js';
import { startConsoleServer, type ConsoleServer } from '../../src-main/rpc/ws-server.js';
import { runBackup } from '../../src-main/backup/run.js';
import { listSetsOf } from '../../src-main/backup/sets.js';
import { manifestKey, newSetId } from '../../src-main/backup/layout.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { forgetSet } from '../../src-main/retention/forget.js';
import { prunePlan } from '../../src-main/retention/prune.js';
import { GC_DELAY_MS } from '../../src-main/retention/pack-gc.js';
import { formatBytes, formatDateTime } from '../../shared/format.js';
import { makeFixture, ownServerName, type Fixture } from '../support/backup-fixture.js';
import { ConsolePage, DashboardPage } from './pages/console.js';

const h = inject('harness');
const PLAN = 'limpeza';
const STORAGE = 'nas';
const ZONE = 'America/Sao_Paulo';
let fx: Fixture;
let ctx: AppContext;
let services: RealEngineServices;
let server: ConsoleServer;
let browser: Browser;
let page: Page;
let c: ConsolePage;
let uploads: string;

/** a context whose clock is `offsetMs` away from the real one */
const ctxAt = (offsetMs: number): AppContext => new AppContext({ env: fx.env, actor: 'e2e', now: () => new Date(Date.now() + offsetMs) });
async function withCtx<T>(offsetMs: number, fn: (c: AppContext) => Promise<T>): Promise<T> {
  const x = ctxAt(offsetMs);
  try {
    return await fn(x);
  } finally {
    x.close();
  }
}
const write = (rel: string, bytes: number): void => {
  mkdirSync(join(uploads, rel, '..'), { recursive: true });
  writeFileSync(join(uploads, rel), randomBytes(bytes));
};
async function backup(): Promise<string> {
  const r = await withCtx(0, (x) => runBackup(x, PLAN));
  expect(r.error).toBeUndefined();
  return r.setId;
}
async function packsOf(setId: string): Promise<string[]> {
  return withCtx(0, async (x) => {
    const s = storageFromConfig(x.config, STORAGE, fx.env);
    try {
      const m = (await listSetsOf(x, s)).find((set) => set.setId === setId)?.manifest;
      if (m?.format !== 'cofre-set/2') throw new Error(`set ${setId} has no format-2 manifest`);
      return (m.packs ?? []).map((p) => p.key);
    } finally {
      s.close();
    }
  });
}
/** pack key → bytes, as the storage folder holds them now */
async function storedPacks(): Promise<Map<string, number>> {
  const s = storageFromConfig(ctx.config, STORAGE, fx.env);
  const out = new Map<string, number>();
  try {
    for await (const o of s.list('packs/')) out.set(o.key, o.bytes);
  } finally {
    s.close();
  }
  return out;
}

/** Clicks "Executar agora" on the plan's card and waits (in the catalog) for that run's prune to be recorded. */
async function runNowAndWait(): Promise<number> {
  const before = ctx.catalog.listRuns({ kind: 'backup', plan: PLAN, limit: 1 })[0]?.id ?? 0;
  await c.go('painel');
  await new DashboardPage(c).runNow(PLAN);
  let runId = 0;
  await expect.poll(() => {
    const r = ctx.catalog.listRuns({ kind: 'backup', plan: PLAN, limit: 1 })[0];
    runId = r && r.id > before && r.status === 'succeeded' && ctx.catalog.packGcOfRun(r.id) ? r.id : 0;
    return runId;
  }, { timeout: 120_000, interval: 250 }).toBeGreaterThan(0);
  return runId;
}

async function openRun(runId: number): Promise<void> {
  await c.go('execucoes');
  await page.evaluate((id) => { window.location.hash = `#/execucoes?run=${id}`; }, runId);
  await page.locator(`#run-details[data-run="${runId}"]`).waitFor();
}

beforeAll(async () => {
  if (!existsSync(resolve('dist/renderer/index.html'))) throw new Error('dist/renderer is missing: run `npm run build` first');
  fx = await makeFixture(h, {
    filesFormat: 'packs',
    largeBytes: 1024,
    extraYaml: `  ${PLAN}:
    sources: [arquivos]
    storage: ${STORAGE}
    schedule: "0 4 * * *"
    timezone: ${ZONE}
    rpoHours: 10000
`,
  });
  const doc = parseDocument(readFileSync(fx.configPath, 'utf8'));
  ownServerName(doc);
  doc.setIn(['sources', 'arquivos', 'packBytes'], 128 * 1024); // small packs: each day's new files fill packs of their own
  // a comment of the technician's on the plan, which the console's edits must keep
  writeFileSync(fx.configPath, doc.toString().replace(`\n  ${PLAN}:\n`, `\n  # limite de banda combinado com a clínica\n  ${PLAN}:\n`));
  expect(readFileSync(fx.configPath, 'utf8')).toContain('# limite de banda combinado com a clínica');
  uploads = join(fx.filesDir, 'uploads');
  rmSync(uploads, { recursive: true, force: true });
  ctx = new AppContext({ env: fx.env, actor: 'e2e' });
  services = createEngineServices(ctx, { pollMs: 0 });
  server = await startConsoleServer({ services, staticDir: resolve('dist/renderer'), actor: 'console:e2e' });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  c = new ConsolePage(page, resolve('test-results/screenshots'));
  await c.open(server.newLink());
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  services?.close();
  ctx?.close();
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

describe('pack garbage collection in the console (real prune)', () => {
  let goneKeys: string[] = [];
  let goneBytes = 0;
  let waitingKeys: string[] = [];
  /** the doubtful set that blocks GC, made by the second test */
  let doubtful = '';

  it('a run whose prune deletes some packs and pends others shows both, with when they become deletable', async () => {
    for (let i = 0; i < 8; i++) write(`base/exame-${i}.bin`, 30_000);
    const a = await backup();
    for (let i = 0; i < 6; i++) write(`dia2/temporario-${i}.bin`, 60_000);
    const b = await backup();
    rmSync(join(uploads, 'dia2'), { recursive: true });
    for (let i = 0; i < 6; i++) write(`dia3/temporario-${i}.bin`, 60_000);
    const c3 = await backup();
    rmSync(join(uploads, 'dia3'), { recursive: true });
    await backup();
    const base = new Set(await packsOf(a));
    goneKeys = (await packsOf(b)).filter((k) => !base.has(k));
    waitingKeys = (await packsOf(c3)).filter((k) => !base.has(k));
    expect(goneKeys.length).toBeGreaterThanOrEqual(2);
    expect(waitingKeys.length).toBeGreaterThanOrEqual(2);
    const stored = await storedPacks();
    goneBytes = goneKeys.reduce((sum, k) => sum + (stored.get(k) ?? 0), 0);

    // day 2's set is forgotten and a prune (its clock past the wait before now) finds its packs unused
    await withCtx(0, (x) => forgetSet(x, b, { yes: true, storage: STORAGE }));
    const early = await withCtx(-(GC_DELAY_MS + 10 * 60_000), (x) => prunePlan(x, PLAN, { dryRun: false }));
    expect(early.gc.blocked).toBeUndefined();
    expect(early.gc.pending.map((p) => p.key).sort()).toEqual([...goneKeys].sort());
    // then day 3's set is forgotten: its packs are found unused only by the console's run
    await withCtx(0, (x) => forgetSet(x, c3, { yes: true, storage: STORAGE }));

    const runId = await runNowAndWait();
    const after = await storedPacks();
    for (const k of goneKeys) expect(after.has(k)).toBe(false);
    for (const k of waitingKeys) expect(after.has(k)).toBe(true);
    const gc = ctx.catalog.packGcOfRun(runId);
    expect(gc).toMatchObject({ deleted: goneKeys.length, bytesFreed: goneBytes, pending: waitingKeys.length, blocked: null });
    const when = formatDateTime(gc?.nextDeletableAt ?? '', ZONE, 'pt-BR');
    expect(Date.parse(gc?.nextDeletableAt ?? '')).toBeGreaterThan(Date.now() + GC_DELAY_MS - 60 * 60_000);

    await openRun(runId);
    const details = page.locator('#run-details');
    await details.getByRole('heading', { name: 'Limpeza de pacotes sem uso' }).waitFor();
    const facts = details.getByTestId('pack-gc');
    expect(await facts.getByTestId('pack-gc-deleted').innerText()).toBe(`${goneKeys.length} pacote(s) sem uso apagado(s), ${formatBytes(goneBytes, 'pt-BR')} liberado(s).`);
    const pending = await facts.getByTestId('pack-gc-pending').innerText();
    expect(pending).toContain(`${waitingKeys.length} pacote(s) sem uso`);
    expect(pending).toContain(`a partir de ${when}`);
    expect(await details.getByTestId('pack-gc-blocked').count()).toBe(0);
    // what stays: the packs of the sets kept plus the ones waiting
    const kept = (await storedPacks()).size;
    expect(await facts.getByText(`de ${kept} pacote(s) em uso pelas cópias mantidas`, { exact: false }).count()).toBe(1);
    await c.screenshot('packs-01-execucao');

    await c.go('copias');
    const card = page.locator('section.card', { has: page.getByRole('heading', { name: `Limpeza de pacotes em ${STORAGE}` }) });
    await card.getByTestId('pack-gc-deleted').getByText(formatBytes(goneBytes, 'pt-BR'), { exact: false }).waitFor();
    expect(await card.getByTestId('pack-gc-pending').innerText()).toContain(when);
    await c.screenshot('packs-02-copias');
    expect(c.problems).toEqual([]);
  }, 300_000);

  it('a doubtful set blocks GC: the run shows the warning naming the set and the forget command, and no pack goes', async () => {
    doubtful = newSetId(new Date(Date.now() - 3_600_000));
    const s = storageFromConfig(ctx.config, STORAGE, fx.env);
    try {
      await s.putBytes(`sets/${doubtful}/arquivos.index.age`, randomBytes(100));
      await s.putBytes(manifestKey(doubtful), Buffer.from('{ "format": "cofre-set/2", "setId": '));
    } finally {
      s.close();
    }
    const before = await storedPacks();
    const runId = await runNowAndWait();
    expect(ctx.catalog.packGcOfRun(runId)?.blocked?.setId).toBe(doubtful);
    expect([...(await storedPacks()).keys()].filter((k) => !before.has(k))).toEqual([]);
    for (const k of waitingKeys) expect((await storedPacks()).has(k)).toBe(true);

    await openRun(runId);
    const warning = page.locator('#run-details').getByTestId('pack-gc-blocked');
    await warning.waitFor();
    expect(await warning.getAttribute('role')).toBe('alert');
    const text = await warning.innerText();
    expect(text).toContain(`Limpeza de pacotes bloqueada: nada foi apagado em ${STORAGE}`);
    expect(text).toContain(`a cópia ${doubtful} está duvidosa`);
    expect(await warning.getByTestId('pack-gc-forget').innerText()).toBe(`cofre forget ${doubtful} --storage ${STORAGE}`);
    // the engine's English reason stays folded under "Detalhe técnico"
    const reason = ctx.catalog.packGcOfRun(runId)?.blocked?.reason ?? '';
    expect(reason).toContain('is doubtful');
    expect(await page.locator('#run-details').innerText()).not.toContain(reason.slice(0, 40));
    // GC did not look for unused packs: the console does not claim none are waiting
    expect(await page.locator('#run-details').getByTestId('pack-gc-pending').count()).toBe(0);
    await c.screenshot('packs-03-bloqueada');

    await c.go('copias');
    const card = page.locator('section.card', { has: page.getByRole('heading', { name: `Limpeza de pacotes em ${STORAGE}` }) });
    await card.getByTestId('pack-gc-blocked').getByText(doubtful, { exact: false }).first().waitFor();
    // and on the dashboard, on the card of each plan of that storage
    await c.go('painel');
    const planWarning = new DashboardPage(c).planCard(PLAN).getByTestId('pack-gc-blocked');
    await planWarning.waitFor();
    expect(await planWarning.getByTestId('pack-gc-forget').innerText()).toBe(`cofre forget ${doubtful} --storage ${STORAGE}`);
    await c.screenshot('packs-04-painel');
    expect(c.problems).toEqual([]);
  }, 300_000);

  it('`cofre forget` of the blocking set clears the warning at once (no prune in between); Cópias says the next prune collects', async () => {
    expect(doubtful).not.toBe('');
    const packs = [...(await storedPacks()).keys()].sort();
    const runs = ctx.catalog.listRuns({ kind: 'backup', plan: PLAN, limit: 1 })[0]?.id;
    // what `cofre forget` does, in a context of its own (another process on the same $COFRE_HOME)
    await withCtx(0, (x) => forgetSet(x, doubtful, { yes: true, storage: STORAGE }));

    await c.go('copias');
    const card = page.locator('section.card', { has: page.getByRole('heading', { name: `Limpeza de pacotes em ${STORAGE}` }) });
    const note = card.getByTestId('pack-gc-forgotten');
    await note.waitFor();
    expect(await note.getAttribute('data-set')).toBe(doubtful);
    const said = await note.innerText();
    expect(said).toContain(`A cópia ${doubtful}, que impedia a limpeza de pacotes em ${STORAGE}, foi removida (cofre forget)`);
    expect(said).toContain('a próxima limpeza apaga os pacotes sem uso');
    expect(await card.getByTestId('pack-gc-blocked').count()).toBe(0);
    // the blocked collection did not look for unused packs: still no claim that none are waiting
    expect(await card.getByTestId('pack-gc-pending').count()).toBe(0);
    await c.screenshot('packs-05-esquecida');

    await c.go('painel');
    const planCard = new DashboardPage(c).planCard(PLAN);
    await planCard.waitFor();
    await expect.poll(() => planCard.getByTestId('pack-gc-blocked').count(), { timeout: 15_000, interval: 250 }).toBe(0);
    // nothing ran meanwhile: no new run, the same packs in storage
    expect(ctx.catalog.listRuns({ kind: 'backup', plan: PLAN, limit: 1 })[0]?.id).toBe(runs);
    expect([...(await storedPacks()).keys()].sort()).toEqual(packs);
    expect(c.problems).toEqual([]);
  }, 120_000);
});

describe('the plan bandwidth limit in Planos', () => {
  const planCard = (): ReturnType<Page['locator']> => page.locator('section.card', { has: page.getByRole('heading', { name: PLAN, exact: true }) });
  const form = (): ReturnType<Page['locator']> => page.locator('section.card', { has: page.getByRole('heading', { name: 'Plano', exact: true }) });

  it('saves a limit with a daily window into cofre.yaml, comments kept', async () => {
    await c.go('planos');
    expect(await planCard().getByTestId('plan-bandwidth-text').innerText()).toBe('Sem limite');
    await planCard().getByRole('button', { name: 'Editar' }).click();
    await form().getByLabel('Limite (vazio: sem limite)').fill('20MiB/s');
    await form().getByLabel('Só neste horário (opcional)').fill('07:00-19:00');
    await c.screenshot('bandwidth-01-editar');
    await form().getByRole('button', { name: 'Salvar' }).click();
    await form().waitFor({ state: 'detached' });
    expect(await planCard().getByTestId('plan-bandwidth-text').innerText()).toBe(`20MiB/s das 07:00-19:00 (${ZONE}); fora disso, sem limite`);
    const text = readFileSync(fx.configPath, 'utf8');
    expect(text).toContain('# test config');
    expect(text).toContain('# limite de banda combinado com a clínica');
    const saved = parseDocument(text).getIn(['plans', PLAN, 'bandwidth']) as { toJSON(): unknown };
    expect(saved.toJSON()).toEqual({ limit: '20MiB/s', window: '07:00-19:00' });
    expect(ctx.config.plans[PLAN]?.bandwidth).toEqual({ limit: '20MiB/s', window: '07:00-19:00' });
    expect(ctx.catalog.listAudit({ action: 'config.plans.update' })[0]?.details).toMatchObject({ bandwidth: { limit: '20MiB/s', window: '07:00-19:00' } });
    expect(c.problems).toEqual([]);
  });

  it('a limit that cannot parse shows a clear pt-BR error and writes nothing', async () => {
    const before = readFileSync(fx.configPath);
    await planCard().getByRole('button', { name: 'Editar' }).click();
    await form().getByLabel('Limite (vazio: sem limite)').fill('20 parsecs');
    await form().getByRole('button', { name: 'Salvar' }).click();
    const note = form().getByTestId('plan-bandwidth').locator('.error-note');
    await note.waitFor();
    const said = await note.innerText();
    expect(said).toContain('Limite de banda inválido');
    expect(said).toContain(`plans.${PLAN}.bandwidth`);
    expect(said).toContain('Use uma taxa como "20MiB/s", "5 MB/s", "500KiB/s" ou "50Mbit/s"');
    expect(said).not.toContain('expected a rate limit'); // the loader's English is the folded detail
    await c.screenshot('bandwidth-02-erro');
    expect(readFileSync(fx.configPath).equals(before)).toBe(true);
    // a window that cannot parse: the same parser, the same refusal
    await form().getByLabel('Limite (vazio: sem limite)').fill('5 MB/s');
    await form().getByLabel('Só neste horário (opcional)').fill('7h-19h');
    // the note of the first refusal goes when the form is sent again, and comes back with this one's
    await form().getByRole('button', { name: 'Salvar' }).click();
    await note.waitFor();
    expect(await note.innerText()).toContain('Limite de banda inválido');
    expect(readFileSync(fx.configPath).equals(before)).toBe(true);
    // clearing both fields removes the limit
    await form().getByLabel('Limite (vazio: sem limite)').fill('');
    await form().getByLabel('Só neste horário (opcional)').fill('');
    await form().getByRole('button', { name: 'Salvar' }).click();
    await form().waitFor({ state: 'detached' });
    expect(await planCard().getByTestId('plan-bandwidth-text').innerText()).toBe('Sem limite');
    const text = readFileSync(fx.configPath, 'utf8');
    expect(parseDocument(text).hasIn(['plans', PLAN, 'bandwidth'])).toBe(false);
    expect(text).toContain('# limite de banda combinado com a clínica');
    expect(c.problems).toEqual([]);
  });
});
