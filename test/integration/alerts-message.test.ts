/** Alert texts: pure, no services (kept next to the delivery tests it feeds). */
import { describe, expect, it } from 'vitest';
import { buildAlert, redactSecrets } from '../../src-main/alerts/message.js';

const at = new Date('2026-11-25T05:00:00Z');

describe('buildAlert', () => {
  it('writes the late alert in Portuguese with the clinic time zone and the last good backup', () => {
    const msg = buildAlert({
      kind: 'backup_late',
      plan: 'diario',
      at,
      timezone: 'America/Sao_Paulo',
      lastGoodAt: new Date('2026-11-23T05:10:00Z'),
      rpoHours: 24,
    });
    expect(msg.subject).toBe('[Cofre] Backup atrasado: plano diario');
    expect(msg.text).toContain('verificado em 25/11/2026 02:00 (America/Sao_Paulo)');
    expect(msg.text).toContain('Último backup completo: 23/11/2026 02:10 (America/Sao_Paulo)');
    expect(msg.text).toContain('RPO: 24 h');
    expect(msg.text).toContain('O que fazer: Veja "cofre status"');
    expect(msg.json).toMatchObject({ kind: 'backup_late', severity: 'critical', lastGoodAt: '2026-11-23T05:10:00.000Z' });
  });

  it('says "none" when a late plan never had a complete backup, and speaks English on request', () => {
    const msg = buildAlert({ kind: 'backup_late', plan: 'diario', at, timezone: 'Europe/Lisbon', locale: 'en' });
    expect(msg.subject).toBe('[Cofre] Backup late: plan diario');
    expect(msg.text).toContain('checked at 2026-11-25 05:00 (Europe/Lisbon)');
    expect(msg.text).toContain('Last complete backup: none');
  });

  it('uses the error hint as the next step, and a default when there is none', () => {
    const withHint = buildAlert({
      kind: 'drill_failed',
      plan: 'diario',
      at,
      timezone: 'America/Sao_Paulo',
      error: { code: 'INTEGRITY', message: 'row count of pacientes differs: 1200 in the dump, 1199 restored', hint: 'Run cofre verify --deep.' },
    });
    expect(withHint.text).toContain('O que fazer: Run cofre verify --deep.');
    expect(withHint.json.action).toBe('Run cofre verify --deep.');
    const noHint = buildAlert({ kind: 'drill_overdue', plan: 'diario', at, timezone: 'America/Sao_Paulo' });
    expect(noHint.text).toContain('RF-BACK-003');
    expect(noHint.json.severity).toBe('warning');
  });

  it('escapes HTML and masks anything that looks like a credential', () => {
    const msg = buildAlert({
      kind: 'backup_failed',
      plan: '<diario>',
      at,
      timezone: 'America/Sao_Paulo',
      error: {
        code: 'REMOTE_COMMAND_FAILED',
        message: 'mysqldump: connect to mysql://backup:Pa55word@127.0.0.1 failed; PGPASSWORD=hunter2x password: "abc def"',
      },
    });
    for (const out of [msg.text, msg.html, JSON.stringify(msg.json)]) {
      expect(out).not.toContain('Pa55word');
      expect(out).not.toContain('hunter2x');
      expect(out).not.toContain('abc def');
    }
    expect(msg.text).toContain('mysql://backup:***@127.0.0.1');
    expect(msg.html).toContain('&lt;diario&gt;');
    expect(msg.html).not.toContain('<diario>');
  });
});

describe('redactSecrets', () => {
  it('leaves ordinary text alone', () => {
    const text = 'could not connect to clinica (203.0.113.10:22): connection refused';
    expect(redactSecrets(text)).toBe(text);
  });

  it('masks bearer tokens and AWS access key ids', () => {
    expect(redactSecrets('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x.y')).toBe('Authorization: Bearer ***');
    expect(redactSecrets('key AKIAIOSFODNN7EXAMPLE denied')).toBe('key AKIA*** denied');
  });
});
