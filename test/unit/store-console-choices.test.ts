/**
 * The console's restore choices, drills, audit log, pagination and settings feedback, through
 * the real RPC server and stores against the in-memory engine (plus the pure helpers).
 */
import { describe, it, expect, afterEach } from 'vitest';
import type { MemoryServices } from '../../src-main/rpc/memory-services.js';
import type { Stores } from '../../src-renderer/src/stores/index.js';
import { consoleStores, until } from '../support/console-stores.js';
import { isRestorable, sourcesToSend, dataAgeMs } from '../../src-renderer/src/stores/restore-choice.js';
import { actorOf, auditCsv, describeAction, detailPairs, filterChoices, filterEntries } from '../../src-renderer/src/stores/audit-view.js';
import { pageOf } from '../../src-renderer/src/stores/paging.js';
import { instantOfWallClock, wallClockOf, timeZoneChoices } from '../../shared/zoned-time.js';
import { createTranslator } from '../../shared/i18n/index.js';
import type { BackupSet } from '../../shared/rpc/contracts/sets.js';
import type { AuditEntry } from '../../shared/rpc/contracts/settings.js';

let services: MemoryServices | undefined;
afterEach(() => services?.close());

function setup(options: { failDrills?: boolean } = {}): Stores {
  const made = consoleStores(options);
  services = made.services;
  return made.stores;
}

const pt = createTranslator('pt-BR');

describe('restore wizard: what to restore', () => {
  it('leaves out, unticked, a source the target has no server for, and sends only the ticked ones', async () => {
    const stores = setup();
    await stores.sets.getState().load();
    await stores.restore.getState().loadTargets();
    const set = stores.sets.getState().sets.find((s) => s.complete && s.sources.some((x) => x.type === 'mysql'));
    expect(set).toBeDefined();
    const r = stores.restore;
    r.getState().choosePoint(set?.setId ?? '');
    r.getState().chooseTarget('homologacao'); // postgres + files only
    const mysql = set?.sources.find((x) => x.type === 'mysql')?.name ?? '';
    expect(r.getState().sources).not.toContain(mysql);
    expect(r.getState().sources.length).toBe((set?.sources.length ?? 0) - 1);
    r.getState().toggleSource(mysql, true); // cannot be ticked
    expect(r.getState().sources).not.toContain(mysql);
    await r.getState().runPreflight();
    expect(r.getState().step).toBe('preflight');
    const expected = (set?.sources ?? []).filter((x) => x.type !== 'mysql').reduce((a, x) => a + x.bytes, 0);
    expect(r.getState().preflight?.projection.totalBytes).toBe(expected);
    // production has every server: all ticked, and "all" is sent as no --sources at all
    r.getState().back();
    r.getState().chooseTarget('producao');
    expect(r.getState().sources.sort()).toEqual((set?.sources ?? []).map((x) => x.name).sort());
    expect(sourcesToSend(set, r.getState().sources)).toBeUndefined();
  });

  it('cannot go on with nothing ticked', async () => {
    const stores = setup();
    await stores.sets.getState().load();
    await stores.restore.getState().loadTargets();
    const set = stores.sets.getState().sets.find((s) => s.complete);
    const r = stores.restore;
    r.getState().choosePoint(set?.setId ?? '');
    r.getState().chooseTarget('homologacao');
    expect(r.getState().canProceed()).toBe(true);
    for (const name of [...r.getState().sources]) r.getState().toggleSource(name, false);
    expect(r.getState().canProceed()).toBe(false);
  });

  it('never offers a set whose listing says it is not complete (doubtful, unsigned, incomplete)', () => {
    const base: BackupSet = { setId: 's', plan: 'p', createdAt: '2026-01-01T00:00:00Z', complete: true, sources: [] };
    expect(isRestorable(base)).toBe(true);
    expect(isRestorable({ ...base, complete: false })).toBe(false);
    for (const state of ['doubtful', 'unsigned', 'incomplete']) expect(isRestorable({ ...base, state } as BackupSet), state).toBe(false);
    expect(isRestorable({ ...base, state: 'complete' } as BackupSet)).toBe(true);
  });
});

describe('restore wizard: point in time', () => {
  it('an instant picks the newest complete set at or before it and says how old its data is', async () => {
    const stores = setup();
    await stores.sets.getState().load();
    const complete = stores.sets.getState().sets.filter((s) => s.complete);
    const [newer, older] = complete; // newest first
    expect(newer && older).toBeTruthy();
    const between = new Date((Date.parse(newer?.createdAt ?? '') + Date.parse(older?.createdAt ?? '')) / 2).toISOString();
    const r = stores.restore;
    await r.getState().resolveAt(between);
    expect(r.getState().point?.setId).toBe(older?.setId);
    expect(dataAgeMs(between, r.getState().point?.createdAt ?? '')).toBe(Date.parse(between) - Date.parse(older?.createdAt ?? ''));
    await r.getState().resolveAt(newer?.createdAt ?? '');
    expect(r.getState().point?.setId).toBe(newer?.setId);
    await r.getState().resolveAt('2001-01-01T00:00:00Z');
    expect(r.getState().point).toBeUndefined();
    expect(r.getState().pointError?.code).toBe('SET_NOT_FOUND');
  });

  it('reads the picker in the clinic zone, not the browser zone', () => {
    expect(instantOfWallClock('2026-03-01T14:30', 'America/Sao_Paulo')).toBe('2026-03-01T17:30:00.000Z');
    expect(instantOfWallClock('2026-07-01T14:30', 'Europe/Berlin')).toBe('2026-07-01T12:30:00.000Z');
    expect(instantOfWallClock('2026-01-01T14:30', 'Europe/Berlin')).toBe('2026-01-01T13:30:00.000Z');
    // 02:30 does not exist in Berlin on 29 March 2026: after the jump
    expect(instantOfWallClock('2026-03-29T02:30', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
    expect(instantOfWallClock('not a date', 'UTC')).toBeUndefined();
    expect(wallClockOf('2026-03-01T17:30:00.000Z', 'America/Sao_Paulo')).toBe('2026-03-01T14:30');
    expect(timeZoneChoices()).toContain('America/Sao_Paulo');
    expect(timeZoneChoices('Brazil/East')[0]).toBe('Brazil/East');
  });
});

describe('drills', () => {
  it('a drill starts only after the confirmation that names its target', async () => {
    const stores = setup();
    const d = stores.drills;
    await d.getState().load();
    const before = d.getState().drills?.drills.length ?? 0;
    d.getState().ask();
    expect(d.getState().confirming).toBe(true);
    expect(d.getState().drills?.target).toBe('homologacao');
    d.getState().cancel();
    expect(d.getState().confirming).toBe(false);
    await d.getState().confirm(); // not asked: nothing happens
    expect(d.getState().running).toBeUndefined();
    d.getState().ask();
    await d.getState().confirm();
    expect(d.getState().running).toBeDefined();
    const done = await until(d, (s) => s.running === undefined && (s.drills?.drills.length ?? 0) > before);
    expect(done.finished?.status).toBe('succeeded');
    expect(done.drills?.lastResult?.ok).toBe(true);
  });

  it('a failed drill has its reason and report, is a run in Execuções and turns the Painel red until one passes', async () => {
    const stores = setup({ failDrills: true });
    await stores.runs.getState().load();
    stores.drills.getState().ask();
    await stores.drills.getState().confirm();
    const done = await until(stores.drills, (s) => s.finished !== undefined && s.drills?.lastResult?.ok === false);
    const last = done.drills?.lastResult;
    expect(last?.error?.code).toBe('INTEGRITY');
    expect(last?.reportPath).toMatch(/\.html$/);
    expect(last?.runId).toBeTruthy();
    const runs = await until(stores.runs, (s) => s.runs.some((r) => r.kind === 'drill'));
    const run = runs.runs.find((r) => r.kind === 'drill');
    expect(run).toMatchObject({ status: 'failed', target: 'homologacao', id: last?.runId });
    const status = await until(stores.status, (s) => s.status?.lastDrill?.ok === false);
    expect(status.status?.lastDrill?.error?.code).toBe('INTEGRITY');
    // opening the run from the card works
    await stores.runs.getState().open(run?.id ?? '');
    expect(stores.runs.getState().selected?.reportPath).toBe(last?.reportPath);
  });
});

describe('audit log in words', () => {
  const entries: AuditEntry[] = [
    { at: '2026-03-01T10:00:00Z', actor: 'console:maria', action: 'backup.start', target: 'diario', details: '{"runId":7}' },
    { at: '2026-03-02T10:00:00Z', actor: 'maria@cli', action: 'restore.start', target: 'homologacao', details: '{"setId":"20260301T100000Z-abc123","sources":["banco","arquivos"],"at":null}' },
    { at: '2026-02-01T10:00:00Z', actor: 'daemon', action: 'set.delete', target: 'diario/x', details: 'old "quoted" text' },
    { at: '2026-03-03T10:00:00Z', actor: 'desktop:joao', action: 'something.new', target: '=cmd|calc', details: '' },
  ];

  it('one identity per person whatever the channel, actions in words, details as pairs', () => {
    expect(actorOf('console:maria')).toEqual({ who: 'maria', via: 'console' });
    expect(actorOf('maria@cli')).toEqual({ who: 'maria', via: 'cli' });
    expect(actorOf('daemon')).toEqual({ who: 'daemon', via: '' });
    expect(filterChoices(entries).who).toEqual(['daemon', 'joao', 'maria']);
    expect(describeAction('backup.start', pt)).toBe('Iniciou uma cópia');
    expect(describeAction('something.new', pt)).toBe('something.new');
    expect(detailPairs(entries[1]?.details ?? '')).toEqual([['setId', '20260301T100000Z-abc123'], ['sources', 'banco, arquivos'], ['at', '—']]);
    expect(detailPairs('{"rtoMs":8622,"bytes":1048576,"safetyDumps":[]}')).toEqual([['rtoMs', '9 s'], ['bytes', '1 MB'], ['safetyDumps', '—']]);
    expect(detailPairs('plain words')).toEqual([['', 'plain words']]);
    expect(detailPairs('')).toEqual([]);
  });

  it('filters newest first by person, action and day', () => {
    const all = filterEntries(entries, { who: '', action: '', since: '' });
    expect(all.map((e) => e.at)).toEqual(['2026-03-03T10:00:00Z', '2026-03-02T10:00:00Z', '2026-03-01T10:00:00Z', '2026-02-01T10:00:00Z']);
    expect(filterEntries(entries, { who: 'maria', action: '', since: '' }).map((e) => e.action)).toEqual(['restore.start', 'backup.start']);
    expect(filterEntries(entries, { who: '', action: 'set.delete', since: '' })).toHaveLength(1);
    expect(filterEntries(entries, { who: '', action: '', since: '2026-03-02' }, '2026-03-02T03:00:00.000Z')).toHaveLength(2);
  });

  it('exports CSV with quoting, defused formulas and dates as given', () => {
    const csv = auditCsv(filterEntries(entries, { who: '', action: '', since: '' }), pt, (iso) => `d(${iso.slice(0, 10)})`);
    expect(csv.startsWith('\uFEFF"Quando","Quem","via","Ação","action","Alvo","Detalhes"\r\n')).toBe(true);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(lines).toHaveLength(5);
    expect(lines[1]).toBe('"d(2026-03-03)","joao","desktop","something.new","something.new","\'=cmd|calc",""');
    expect(lines[2]).toContain('"Iniciou uma restauração","restore.start","homologacao","setId=20260301T100000Z-abc123; sources=banco, arquivos; at=—"');
    expect(lines[4]).toContain('"old ""quoted"" text"');
  });

  it('the store filters what it loaded, newest first, in the clinic zone', async () => {
    const stores = setup();
    await stores.settings.getState().setLanguage('en');
    await stores.audit.getState().load();
    const a = stores.audit;
    expect(a.getState().visible('America/Sao_Paulo')[0]).toMatchObject({ actor: 'console:test', action: 'settings.setLanguage' });
    a.getState().setFilter({ who: 'tecnico' });
    expect(a.getState().visible('America/Sao_Paulo').every((e) => actorOf(e.actor).who === 'tecnico')).toBe(true);
    a.getState().setPage(3);
    a.getState().clearFilter();
    expect(a.getState().page).toBe(1);
  });
});

describe('long lists and settings feedback', () => {
  it('pages a list and clamps the page asked for', () => {
    const items = Array.from({ length: 45 }, (_, i) => i);
    expect(pageOf(items, 1)).toMatchObject({ page: 1, pages: 3, total: 45, items: items.slice(0, 20) });
    expect(pageOf(items, 3).items).toEqual([40, 41, 42, 43, 44]);
    expect(pageOf(items, 9).page).toBe(3);
    expect(pageOf([], 1)).toMatchObject({ page: 1, pages: 1, total: 0, items: [] });
  });

  it('the time zone is chosen from a list, saved, audited; an unknown one is refused and the old one kept', async () => {
    const stores = setup();
    const s = stores.settings;
    await s.getState().load();
    await s.getState().setTimezone('Europe/Lisbon');
    expect(s.getState().timezone).toBe('Europe/Lisbon');
    expect(s.getState().settings?.timezone).toBe('Europe/Lisbon');
    await s.getState().setTimezone('Mars/Olympus');
    expect(s.getState().timezone).toBe('Europe/Lisbon');
    expect(s.getState().error?.code).toBe('INVALID_ARGUMENT');
    await stores.audit.getState().load();
    expect(stores.audit.getState().entries[0]).toMatchObject({ action: 'config.console.timezone', details: 'Europe/Lisbon' });
  });
});
