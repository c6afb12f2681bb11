/**
 * The console speaks Portuguese about what the engine reports in English: errors by code, the
 * geo-separation state by its fields, RPO state, progress phases; the runs store keeps progress
 * per source and opens a run by id (what a failure notification links to); the desktop shell's
 * tray and notification texts follow the configured language.
 */
import { describe, it, expect, afterEach } from 'vitest';
import type { MemoryServices } from '../support/memory-services.js';
import type { Stores } from '../../src-renderer/src/stores/index.js';
import { consoleStores, until } from '../support/console-stores.js';
import { createTranslator, describeCheck, describeEngineError, describeGeo, describePhase, ptBR, en } from '../../shared/i18n/index.js';
import { failureNotification, shellTranslator, trayMenuLabels, trayTooltip } from '../../src-main/electron/texts.js';
import type { ErrorCode } from '../../src-main/errors.js';

const ALL_CODES: ErrorCode[] = [
  'CONFIG_MISSING', 'CONFIG_INVALID', 'CONFIG_REFERENCE', 'SECRET_MISSING', 'KEY_UNREADABLE', 'HOST_UNREACHABLE',
  'HOST_KEY_MISMATCH', 'HOST_KEY_UNPINNED', 'AUTH_FAILED', 'REMOTE_COMMAND_FAILED', 'REMOTE_BUSY', 'STORAGE_UNREACHABLE',
  'STORAGE_FAILED', 'SET_NOT_FOUND', 'SET_INCOMPLETE', 'INTEGRITY', 'DECRYPT_FAILED', 'PRECONDITION',
  'CONFIRMATION_REQUIRED', 'CANCELLED', 'INVALID_ARGUMENT', 'ALERT_DELIVERY', 'INTERNAL',
];

let services: MemoryServices | undefined;
afterEach(() => services?.close());

function setup(): Stores {
  const made = consoleStores({ ticks: 6 });
  services = made.services;
  return made.stores;
}

describe('engine texts in the console language', () => {
  const pt = createTranslator('pt-BR');
  const english = createTranslator('en');

  it('every engine error code has a Portuguese title and action, and an English one', () => {
    for (const code of ALL_CODES) {
      const e = describeEngineError({ code, message: 'psql: database "x" does not exist', hint: 'check the name' }, pt);
      expect(e.title, code).not.toMatch(/^error\./);
      expect(e.action.length, code).toBeGreaterThan(10);
      expect(e.detail).toBe('psql: database "x" does not exist');
      expect(e.hint).toBe('check the name');
      expect(describeEngineError({ code, message: 'm' }, english).title).not.toBe(e.title);
    }
    expect(describeEngineError({ code: 'REMOTE_COMMAND_FAILED', message: 'm' }, pt).title).toBe('Um comando no servidor falhou');
  });

  it('an unknown code falls back to the generic error, never to a key', () => {
    const e = describeEngineError({ code: 'SOMETHING_NEW', message: 'boom' }, pt);
    expect(e.title).toBe(pt('error.INTERNAL.title'));
    expect(e.detail).toBe('boom');
  });

  it('says the geo-separation state from its fields', () => {
    expect(describeGeo(true, pt)).toMatchObject({ tone: 'ok', action: undefined });
    expect(describeGeo(true, pt).text).toMatch(/^Separada/);
    expect(describeGeo(false, pt).text).toMatch(/^Não separada/);
    expect(describeGeo(false, pt).action).toMatch(/outra região ou provedor/);
    expect(describeGeo(null, pt).text).toMatch(/^Não verificada/);
    expect(describeGeo(null, english).text).toMatch(/^Not checked/);
  });

  it('says RPO reasons by state, progress phases and check names in Portuguese', () => {
    for (const state of ['ok', 'late', 'failing', 'unknown'] as const) expect(pt(`rpo.${state}`, { rpo: '24 h' })).not.toMatch(/rpo\./);
    expect(pt('rpo.late', { rpo: '24 h' })).toContain('24 h');
    expect(describePhase('upload', pt)).toBe('enviando');
    expect(describePhase('mystery', pt)).toBe('mystery');
    expect(describeCheck('target reachable', pt)).toBe('Destino acessível');
    expect(describeCheck('disk space /', pt)).toBe('Espaço em disco /');
    expect(describeCheck('pg_restore', pt)).toBe('pg_restore');
  });

  it('the two tables have the same keys', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(ptBR).sort());
  });
});

describe('desktop shell texts', () => {
  const failed = { runId: '42', plan: 'diario', status: 'failed' as const, error: { code: 'HOST_UNREACHABLE', message: 'connect ECONNREFUSED 10.0.0.5:22', hint: 'check the address' } };

  it('failure notification in Portuguese opens that run', () => {
    const n = failureNotification(failed, shellTranslator('pt-BR'));
    expect(n.title).toBe('Cópia do plano diario falhou');
    expect(n.body).toContain('O servidor não respondeu');
    expect(n.body).not.toContain('ECONNREFUSED');
    expect(n.hash).toBe('execucoes?run=42');
  });

  it('follows the configured language (English) and defaults to Portuguese', () => {
    expect(failureNotification(failed, shellTranslator('en')).title).toBe('Backup of plan diario failed');
    expect(trayMenuLabels(shellTranslator('en'))).toEqual({ open: 'Open Cofre', startAtLogin: 'Start at login', quit: 'Quit' });
    expect(trayMenuLabels(shellTranslator(undefined)).quit).toBe('Sair');
    const status = { generatedAt: '2026-01-01T00:00:00Z', plans: [{ plan: 'diario', rpoState: 'failing' as const, rpoHours: 24, storageName: 'nas', geo: { separated: null } }] };
    expect(trayTooltip(status, shellTranslator('pt-BR'))).toBe('Cofre — diario: Falhando');
    expect(trayTooltip(undefined, shellTranslator('pt-BR'))).toBe('Cofre — Sem dados');
  });
});

describe('runs store: per-source progress and opening a run by id', () => {
  it('keeps the latest progress of each source of a running run, then clears it', async () => {
    const stores = setup();
    await stores.runs.getState().load();
    const started = await stores.status.getState().runNow('diario');
    if ('code' in started) throw new Error(started.message);
    const { runId } = started;
    const s = await until(stores.runs, (x) => Object.keys(x.liveSources[runId] ?? {}).filter((k) => k !== '').length >= 2);
    const sources = s.liveSources[runId] ?? {};
    for (const p of Object.values(sources)) {
      expect(p.bytesPerSecond).toBeGreaterThanOrEqual(0);
      expect(p.at).toBeGreaterThan(0);
    }
    await until(stores.runs, (x) => x.liveSources[runId] === undefined && x.runs.some((r) => r.id === runId && r.status === 'succeeded'));
  });

  it('opens a failed run by id with its error and log, and says when the id is unknown', async () => {
    const stores = setup();
    await stores.runs.getState().load();
    const failedRun = stores.runs.getState().runs.find((r) => r.status === 'failed');
    expect(failedRun).toBeDefined();
    await stores.runs.getState().open(failedRun?.id ?? '');
    const sel = stores.runs.getState().selected;
    expect(sel?.id).toBe(failedRun?.id);
    expect(sel?.error?.code).toBeTruthy();
    expect(sel?.log.length).toBeGreaterThan(0);
    await stores.runs.getState().open('no-such-run');
    expect(stores.runs.getState().selected).toBeUndefined();
    expect(stores.runs.getState().missing).toBe('no-such-run');
    stores.runs.getState().close();
    expect(stores.runs.getState().missing).toBeUndefined();
  });
});
