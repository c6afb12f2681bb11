/**
 * The catalog of engine messages: every key says what happened in pt-BR and English (checks in
 * their ok and failed forms), both languages use the same parameters, parameters interpolate,
 * and every ErrorCode has a generic pt-BR/en text for errors that name no key.
 */
import { describe, it, expect } from 'vitest';
import type { ErrorCode } from '../../src-main/errors.js';
import { CofreError, toErrorInfo } from '../../src-main/errors.js';
import { CATALOG, catalogText, type CatalogKey, type CheckEntry, type MessageEntry } from '../../shared/i18n/catalog.js';
import { createTranslator, describeCheckResult, describeEngineError, describeLogLine, describeStorageType, describeValidation, ptBR, en, type MessageKey } from '../../shared/i18n/index.js';

/** Exhaustive by type: adding an ErrorCode without listing it here fails the typecheck. */
const CODES: Record<ErrorCode, true> = {
  CONFIG_MISSING: true, CONFIG_INVALID: true, CONFIG_REFERENCE: true, SECRET_MISSING: true, KEY_UNREADABLE: true, HOST_UNREACHABLE: true,
  HOST_KEY_MISMATCH: true, HOST_KEY_UNPINNED: true, AUTH_FAILED: true, REMOTE_COMMAND_FAILED: true, REMOTE_BUSY: true, STORAGE_UNREACHABLE: true,
  STORAGE_FAILED: true, SET_NOT_FOUND: true, SET_INCOMPLETE: true, INTEGRITY: true, DECRYPT_FAILED: true, PRECONDITION: true,
  CONFIRMATION_REQUIRED: true, CANCELLED: true, INVALID_ARGUMENT: true, ALERT_DELIVERY: true, LOCAL_TOOLS_MISSING: true, DEMO_UNAVAILABLE: true, INTERNAL: true,
};

const pt = createTranslator('pt-BR');
const english = createTranslator('en');
const placeholders = (text: string | undefined): string[] => [...(text ?? '').matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();

describe('the catalog of engine messages', () => {
  const entries = Object.entries(CATALOG) as Array<[CatalogKey, MessageEntry & Partial<Pick<CheckEntry, 'ptFail' | 'enFail'>>]>;

  it('has many keys, each with a pt-BR and an English text that differ', () => {
    expect(entries.length).toBeGreaterThan(100);
    for (const [key, e] of entries) {
      expect(e.pt.trim().length, key).toBeGreaterThan(3);
      expect(e.en.trim().length, key).toBeGreaterThan(3);
      if (!/^(check\.destination\.|log\.backup\.dumping$)/.test(key)) expect(e.pt, key).not.toBe(e.en);
      // what to do comes in both languages or in neither
      expect(e.ptDo === undefined, key).toBe(e.enDo === undefined);
    }
  });

  it('gives every check (and validation line) an ok text and a different failed text, in both languages', () => {
    const checks = entries.filter(([key]) => key.startsWith('check.') || key.startsWith('validate.'));
    expect(checks.length).toBeGreaterThan(20);
    for (const [key, e] of checks) {
      expect(e.ptFail, key).toBeTruthy();
      expect(e.enFail, key).toBeTruthy();
      if (!key.startsWith('check.destination.')) expect(e.ptFail, key).not.toBe(e.pt);
    }
    expect(catalogText('pt-BR', 'check.target.reachable', { target: 'homologacao' }, true).text).toBe('Destino homologacao inacessível');
    expect(catalogText('pt-BR', 'check.target.reachable', { target: 'homologacao' }, false).text).toBe('Destino homologacao acessível');
  });

  it('uses the same parameters in pt-BR and English, in every form', () => {
    for (const [key, e] of entries) {
      expect(placeholders(e.pt), `${key} pt/en`).toEqual(placeholders(e.en));
      expect(placeholders(e.ptFail), `${key} fail`).toEqual(placeholders(e.enFail));
      expect(placeholders(e.ptDo), `${key} do`).toEqual(placeholders(e.enDo));
    }
  });

  it('fills parameters, and leaves an unknown placeholder visible instead of inventing text', () => {
    expect(catalogText('pt-BR', 'storage.unreachable', { storage: 'nuvem' })).toEqual({
      text: 'O armazenamento nuvem não respondeu',
      action: 'Confira a internet, o endereço (endpoint/região) e as credenciais do armazenamento; a próxima execução tenta de novo.',
    });
    expect(catalogText('en', 'storage.unreachable', { storage: 'nuvem' }).text).toBe('Storage nuvem did not answer');
    expect(catalogText('pt-BR', 'check.diskSpace', { mount: '/var', free: '1 GB', need: '3 GB' }, true).text).toBe('Falta espaço em disco em /var: 1 GB livres, cerca de 3 GB necessários');
    expect(catalogText('pt-BR', 'secret.env', { env: 'PGPASS', what: 'sources.banco' }).action).toBe('Defina PGPASS no ambiente que executa o Cofre e reinicie-o.');
    expect(catalogText('pt-BR', 'set.notFound').text).toBe('A cópia {setId} não está no armazenamento');
  });
});

describe('engine errors in the console language', () => {
  it('every ErrorCode has a generic pt-BR and English title and action', () => {
    for (const code of Object.keys(CODES)) {
      for (const part of ['title', 'action'] as const) {
        const key = `error.${code}.${part}` as MessageKey;
        expect(ptBR[key], key).toBeTruthy();
        expect(en[key], key).toBeTruthy();
        expect(ptBR[key], key).not.toBe(en[key]);
      }
    }
  });

  it('an error with a key is said by its key; the English stays as the detail', () => {
    const err = new CofreError('STORAGE_UNREACHABLE', 'storage "nuvem": http://127.0.0.1:1 is unreachable (connection refused) while trying to list sets/', {
      hint: 'check storage.nuvem.endpoint / region',
      key: 'storage.unreachable',
      params: { storage: 'nuvem' },
    });
    const info = toErrorInfo(err);
    expect(info).toMatchObject({ code: 'STORAGE_UNREACHABLE', key: 'storage.unreachable', params: { storage: 'nuvem' } });
    const said = describeEngineError(info, pt);
    expect(said.title).toBe('O armazenamento nuvem não respondeu');
    expect(said.action).toMatch(/^Confira a internet/);
    expect(said.detail).toBe(err.message);
    expect(said.hint).toBe('check storage.nuvem.endpoint / region');
    expect(describeEngineError(info, english).title).toBe('Storage nuvem did not answer');
  });

  it('a key this console does not know (a newer engine) falls back to the pt-BR text of the code, never the English message', () => {
    const said = describeEngineError({ code: 'HOST_KEY_MISMATCH', message: 'HOST KEY MISMATCH for x', key: 'ssh.somethingNew', params: { server: 'x' } }, pt);
    expect(said.title).toBe(ptBR['error.HOST_KEY_MISMATCH.title']);
    expect(said.title).not.toMatch(/MISMATCH/);
    expect(describeEngineError({ code: 'BRAND_NEW_CODE', message: 'boom' }, pt).title).toBe(ptBR['error.INTERNAL.title']);
  });

  it('a check reads as failed when it failed, with what to do and the error behind it', () => {
    const cause = toErrorInfo(new CofreError('HOST_KEY_MISMATCH', 'HOST KEY MISMATCH for homolog', { key: 'ssh.hostKeyMismatch', params: { server: 'homolog' } }));
    const failed = describeCheckResult({ name: 'target reachable', ok: false, message: 'HOST KEY MISMATCH for homolog', key: 'check.target.reachable', params: { target: 'homolog' }, cause }, pt);
    expect(failed.text).toBe('Destino homolog inacessível');
    expect(failed.cause?.title).toMatch(/^A identidade do servidor homolog mudou/);
    expect(failed.action).toMatch(/^Não continue/);
    const ok = describeCheckResult({ name: 'target reachable', ok: true, message: 'answered', key: 'check.target.reachable', params: { target: 'homolog' } }, pt);
    expect(ok).toMatchObject({ text: 'Destino homolog acessível', action: undefined });
    // a check without a key still says failed in Portuguese
    expect(describeCheckResult({ name: 'pg_restore', ok: false, message: 'x' }, pt).text).toBe('pg_restore: falhou');
  });

  it('validation lines, log lines and storage types are said in Portuguese', () => {
    expect(describeValidation({ name: 'banco.clinica public.pacientes', ok: false, key: 'validate.rows', params: { item: 'banco.clinica', table: 'public.pacientes', expected: 12, actual: 10 } }, pt))
      .toBe('Tabela public.pacientes (banco.clinica): 10 linhas, a cópia tem 12');
    expect(describeLogLine({ level: 'info', key: 'log.backup.complete', params: { setId: 'S1' } }, pt)).toBe('Cópia S1 completa');
    expect(describeLogLine({ level: 'warn' }, pt)).toBe('Aviso do motor');
    expect(describeLogLine({ level: 'info', key: 'not.a.key' }, pt)).toBe('Etapa registrada pelo motor');
    expect(describeStorageType('folder', pt)).toBe('Pasta');
    expect(describeStorageType('s3', pt)).toBe('S3');
    expect(describeStorageType('folder', english)).toBe('Folder');
  });
});
