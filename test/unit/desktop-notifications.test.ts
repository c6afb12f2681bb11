/**
 * The desktop app's notifications, through the shell's Notifier interface (Electron itself
 * cannot run here): failed backups, late plans and failed drills, each announced once, in the
 * console's language, and none when alerts.desktop is off.
 */
import { describe, it, expect } from 'vitest';
import { createDesktopNotifications, type DesktopNotice } from '../../src-main/electron/notifications.js';
import { createTranslator, type Language } from '../../shared/i18n/index.js';
import type { Status, PlanStatus } from '../../shared/rpc/contracts/status.js';

function plan(p: Partial<PlanStatus> & { plan: string }): PlanStatus {
  return { rpoState: 'ok', rpoHours: 24, storageName: 'nas', geo: { separated: true }, ...p };
}

function status(plans: PlanStatus[], lastDrill?: Status['lastDrill']): Status {
  return { plans, ...(lastDrill ? { lastDrill } : {}), generatedAt: '2026-03-01T12:00:00Z' };
}

function setup(opts: { language?: Language; enabled?: boolean } = {}) {
  const shown: DesktopNotice[] = [];
  let language: Language = opts.language ?? 'pt-BR';
  let enabled = opts.enabled ?? true;
  const n = createDesktopNotifications({ notifier: { show: (x) => shown.push(x) }, t: () => createTranslator(language), enabled: () => enabled });
  return { n, shown, setLanguage: (l: Language) => (language = l), setEnabled: (e: boolean) => (enabled = e) };
}

const pgError = { code: 'REMOTE_COMMAND_FAILED', message: 'pg_dump: permission denied', hint: 'grant access' };

describe('desktop notifications', () => {
  it('a failed backup is announced once, in Portuguese, and opens its run', () => {
    const { n, shown } = setup();
    n.onEvent({ event: 'run.finished', payload: { runId: '12', plan: 'diario', status: 'failed', error: pgError } });
    // the status read after it shows the same run failed: not announced again
    n.onStatus(status([plan({ plan: 'diario', rpoState: 'failing', lastRun: { id: '12', status: 'failed', startedAt: '2026-03-01T02:00:00Z', error: pgError } })]));
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ title: 'Cópia do plano diario falhou', hash: 'execucoes?run=12', tone: 'failing' });
    expect(shown[0]?.body).toContain('Um comando no servidor falhou');
  });

  it('a run that failed elsewhere (daemon, CLI) is announced from the status; a succeeded one is not', () => {
    const { n, shown } = setup({ language: 'en' });
    n.onEvent({ event: 'run.finished', payload: { runId: '3', plan: 'diario', status: 'succeeded', setId: 's' } });
    n.onStatus(status([plan({ plan: 'local', rpoState: 'failing', lastRun: { id: '7', status: 'failed', startedAt: '2026-03-01T02:00:00Z' } })]));
    expect(shown.map((s) => s.title)).toEqual(['Backup of plan local failed']);
  });

  it('a late plan is announced when it becomes late, and again only after it was ok', () => {
    const { n, shown } = setup();
    const late = status([plan({ plan: 'diario', rpoState: 'late', ageMs: 30 * 3_600_000 })]);
    n.onStatus(late);
    n.onStatus(late);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ title: 'Cópia do plano diario atrasada', tone: 'late', hash: 'painel' });
    expect(shown[0]?.body).toBe('A última cópia boa tem 30 h; o limite é 24 h.');
    n.onStatus(status([plan({ plan: 'diario', rpoState: 'ok', ageMs: 3_600_000 })]));
    n.onStatus(late);
    expect(shown).toHaveLength(2);
  });

  it('a failed drill is announced once with its reason and target; a passing one is not', () => {
    const { n, shown } = setup();
    n.onEvent({ event: 'restore.finished', payload: { restoreId: 'drill-9', status: 'failed', validation: [], rtoMs: 1, rpoMs: 1, error: { code: 'INTEGRITY', message: 'validation failed' } } });
    expect(shown).toHaveLength(0); // waits for the status, which names the target
    const failed = { restoreId: 'drill-9', at: '2026-03-01T12:00:00Z', ok: false, target: 'homologacao', error: { code: 'INTEGRITY', message: 'validation failed' } };
    n.onStatus(status([], failed));
    n.onStatus(status([], failed));
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ title: 'Teste de restauração reprovado', hash: 'testes' });
    expect(shown[0]?.body).toContain('homologacao');
    n.onStatus(status([], { restoreId: 'drill-10', at: '2026-03-02T12:00:00Z', ok: true, target: 'homologacao' }));
    expect(shown).toHaveLength(1);
  });

  it('follows the language and stays quiet when alerts.desktop is off', () => {
    const { n, shown, setLanguage, setEnabled } = setup();
    setEnabled(false);
    n.onEvent({ event: 'run.finished', payload: { runId: '1', plan: 'diario', status: 'failed' } });
    expect(shown).toHaveLength(0);
    setEnabled(true);
    setLanguage('en');
    n.onEvent({ event: 'run.finished', payload: { runId: '2', plan: 'diario', status: 'failed' } });
    expect(shown.map((s) => s.title)).toEqual(['Backup of plan diario failed']);
  });
});
