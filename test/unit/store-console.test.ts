/** Console stores against the in-memory engine through the real RPC server and an in-memory transport. */
import { describe, it, expect, afterEach } from 'vitest';
import type { MemoryServices } from '../support/memory-services.js';
import type { Stores } from '../../src-renderer/src/stores/index.js';
import { consoleStores, until } from '../support/console-stores.js';

let services: MemoryServices | undefined;
afterEach(() => services?.close());

function setup(options: { empty?: boolean } = {}): Stores {
  const made = consoleStores(options);
  services = made.services;
  return made.stores;
}


describe('console stores', () => {
  it('status store loads per-plan RPO state', async () => {
    const stores = setup();
    await stores.status.getState().load();
    const s = stores.status.getState();
    expect(s.loaded).toBe(true);
    expect(s.status?.plans.map((p) => [p.plan, p.rpoState])).toEqual([['diario', 'ok'], ['local', 'failing']]);
  });

  it('"Executar agora" streams progress into the runs store and refreshes status when done', async () => {
    const stores = setup();
    await stores.runs.getState().load();
    const before = stores.runs.getState().runs.length;
    const started = await stores.status.getState().runNow('local');
    expect('runId' in started).toBe(true);
    const runId = 'runId' in started ? started.runId : '';
    await until(stores.runs, (s) => s.live[runId] !== undefined);
    await until(stores.runs, (s) => s.live[runId] === undefined && s.runs.some((r) => r.id === runId && r.status === 'succeeded'));
    expect(stores.runs.getState().runs.length).toBe(before + 1);
    const status = await until(stores.status, (s) => s.status?.plans.find((p) => p.plan === 'local')?.rpoState === 'ok');
    expect(status.status?.plans.find((p) => p.plan === 'local')?.lastRun?.id).toBe(runId);
  });

  it('running a plan twice reports the busy error as a value', async () => {
    const stores = setup();
    await stores.status.getState().runNow('diario');
    const second = await stores.status.getState().runNow('diario');
    expect(second).toMatchObject({ code: 'REMOTE_BUSY' });
  });

  it('restore wizard needs the typed name for production and ends in a validated report', async () => {
    const stores = setup();
    await stores.sets.getState().load();
    await stores.restore.getState().loadTargets();
    const setId = stores.sets.getState().sets.find((s) => s.complete)?.setId ?? '';
    const r = stores.restore;
    r.getState().choosePoint(setId);
    r.getState().chooseTarget('producao');
    expect(r.getState().canProceed()).toBe(false);
    await r.getState().runPreflight();
    expect(r.getState().step).toBe('target');
    r.getState().setConfirmName('producao');
    expect(r.getState().canProceed()).toBe(true);
    r.getState().chooseTarget('homologacao');
    await r.getState().runPreflight();
    expect(r.getState().step).toBe('preflight');
    expect(r.getState().preflight?.projection.budgetMs).toBe(4 * 3_600_000);
    await r.getState().start();
    expect(r.getState().step).toBe('transfer');
    const done = await until(r, (s) => s.step === 'report');
    expect(done.finished?.status).toBe('succeeded');
    expect(done.finished?.validation.every((v) => v.ok)).toBe(true);
  });

  it('config store: TOFU probe then trust pins the fingerprint; bad plan input comes back as an error value', async () => {
    const stores = setup({ empty: true });
    const c = stores.config;
    expect((await c.getState().saveServer({ name: 'clinica', host: '10.0.0.5', port: 22, user: 'backup', privateKeyFile: '/k' })).ok).toBe(true);
    expect(c.getState().servers[0]?.trusted).toBe(false);
    expect((await c.getState().probe('clinica')).ok).toBe(true);
    expect(c.getState().probed['clinica']?.fingerprint).toMatch(/^SHA256:/);
    expect((await c.getState().trust('clinica')).ok).toBe(true);
    expect(c.getState().servers[0]?.trusted).toBe(true);
    const bad = await c.getState().savePlan({ name: 'diario', sources: ['banco'], storage: 'nuvem', schedule: '0 2 * * *', timezone: 'Mars/Olympus', retention: { keepDays: 30, keepMin: 7 } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });

  it('settings store switches language for every text at once', async () => {
    const stores = setup();
    await stores.settings.getState().load();
    expect(stores.settings.getState().t('nav.painel')).toBe('Painel');
    await stores.settings.getState().setLanguage('en');
    expect(stores.settings.getState().t('nav.painel')).toBe('Dashboard');
    await stores.audit.getState().load();
    expect(stores.audit.getState().entries[0]).toMatchObject({ actor: 'console:test', action: 'settings.setLanguage' });
  });
});
