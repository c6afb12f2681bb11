/**
 * The console's message components render what the real engine functions report (a refused
 * SSH connection, an unreachable S3 endpoint, a bad config value, failed preflight checks,
 * validation lines, run log lines read back from a real catalog) in Portuguese, and show the
 * engine's English only inside collapsed "Detalhe técnico" blocks.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoresContext } from '../../src-renderer/src/hooks.js';
import { ErrorNote } from '../../src-renderer/src/components/ui.js';
import { CheckList, RunLog, ValidationRow } from '../../src-renderer/src/components/messages.js';
import { consoleStores } from '../support/console-stores.js';
import type { MemoryServices } from '../support/memory-services.js';
import type { Stores } from '../../src-renderer/src/stores/index.js';
import { toErrorInfo, type ErrorInfo } from '../../src-main/errors.js';
import { mapS3Error } from '../../src-main/storage/s3-errors.js';
import { parseConfigText } from '../../src-main/config/load.js';
import { checkReachable } from '../../src-main/restore/preflight.js';
import { compareCounts } from '../../src-main/restore/validate.js';
import { Catalog } from '../../src-main/catalog/catalog.js';
import type { CheckResult } from '../../src-main/restore/types.js';
import type { LogLine } from '../../shared/rpc/contracts/runs.js';

let dir: string;
let services: MemoryServices;
let stores: Stores;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofre-msg-'));
  const made = consoleStores();
  services = made.services;
  stores = made.stores;
});
afterAll(() => {
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

function render(el: ReactElement): string {
  return renderToStaticMarkup(createElement(StoresContext.Provider, { value: stores }, el));
}

const decode = (s: string): string => s.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** What a user sees with every "Detalhe técnico" closed: the markup minus <details> bodies, as text. */
function visibleText(html: string): string {
  const withoutDetails = html.replace(/<details\b[^>]*>\s*<summary>(.*?)<\/summary>[\s\S]*?<\/details>/g, ' $1 ');
  return decode(withoutDetails.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}

/** The English sentences the engine sent (messages, hints, check messages): none may be visible. */
function expectNoEngineEnglish(html: string, english: string[]): void {
  const visible = visibleText(html);
  const all = decode(html);
  for (const sentence of english.filter((s) => s.length > 12)) {
    expect(visible, `visible: ${sentence}`).not.toContain(sentence);
    // …but it is there for whoever opens the technical detail
    expect(all, `folded: ${sentence}`).toContain(sentence);
  }
}

async function realErrors(): Promise<ErrorInfo[]> {
  const storage = toErrorInfo(mapS3Error(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), {
    storageName: 'nuvem', bucket: 'clinica', where: 'http://127.0.0.1:1', action: 'list sets/',
  }));
  let config: ErrorInfo | undefined;
  try {
    parseConfigText('servers:\n  clinica:\n    host: 203.0.113.10\n    port: "vinte e dois"\n    user: backup\n    privateKeyFile: /k\n', '/etc/cofre.yaml');
  } catch (err) {
    config = toErrorInfo(err);
  }
  if (!config) throw new Error('the bad config was accepted');
  return [storage, config];
}

describe('engine messages in the console', () => {
  it('errors: a Portuguese title and what to do by key; the English message and hint only folded', async () => {
    const errors = await realErrors();
    expect(errors.map((e) => e.key)).toEqual(['storage.unreachable', 'config.value']);
    const html = render(createElement('div', null, ...errors.map((e, i) => createElement(ErrorNote, { key: i, error: e }))));
    const visible = visibleText(html);
    expect(visible).toContain('O armazenamento nuvem não respondeu');
    expect(visible).toContain('Valor inválido em /etc/cofre.yaml');
    expect(visible).toContain('O que fazer: Corrija esse item no cofre.yaml');
    expect(visible).toContain('Detalhe técnico');
    expect(html).toMatch(/<details class="tech-detail[^"]*">/);
    expect(html).not.toMatch(/<details[^>]* open/);
    expectNoEngineEnglish(html, errors.flatMap((e) => [e.message, e.hint ?? '']));
  });

  it('a failed preflight check reads as failed, says why and what to do; the English is folded', async () => {
    const key = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    // a real connection attempt to a closed port on loopback
    const reach = await checkReachable({ name: 'homolog', host: '127.0.0.1', port: 1, user: 'backup', privateKeyFile: key, hostKey: 'SHA256:x' });
    expect(reach.host).toBeUndefined();
    const checks: CheckResult[] = [reach.check, { name: 'tar', ok: true, message: 'tar (GNU tar) 1.35', key: 'check.tar' }];
    const html = render(createElement(CheckList, { checks }));
    const visible = visibleText(html);
    expect(visible).toContain('Destino homolog inacessível');
    expect(visible).not.toContain('Destino homolog acessível');
    expect(visible).toContain('Motivo: Não foi possível alcançar o servidor homolog');
    expect(visible).toContain('O que fazer: Confira se o servidor está ligado');
    expect(visible).toContain('tar instalado no destino');
    expectNoEngineEnglish(html, [reach.check.message, reach.check.cause?.message ?? '', reach.check.cause?.hint ?? '']);
  });

  it('validation lines say the table and the numbers in Portuguese', () => {
    const lines = compareCounts('banco.clinica', { 'public.pacientes': 12, 'public.agenda': 4 }, { 'public.pacientes': 12, 'public.extra': 1 });
    const html = render(createElement('table', null, createElement('tbody', null, ...lines.map((v) => createElement(ValidationRow, { key: v.name, v })))));
    const visible = visibleText(html);
    expect(visible).toContain('Tabela public.pacientes (banco.clinica): 12 linhas, como na cópia');
    expect(visible).toContain('Tabela public.agenda (banco.clinica) não existe no destino (a cópia tem 4 linhas)');
    expect(visible).toContain('Tabela public.extra (banco.clinica) a mais no destino, com 1 linhas');
    expectNoEngineEnglish(html, lines.map((v) => `${v.name}: expected ${v.expected}, found ${v.actual}`));
    expect(visible).not.toMatch(/\brows\b|table missing|not in the set/);
  });

  it('run log lines written with keys come back from the catalog and are shown in Portuguese', async () => {
    const catalog = Catalog.open(dir);
    try {
      const run = catalog.startRun({ kind: 'backup', plan: 'diario' });
      const [storageError] = await realErrors();
      catalog.logRun(run, 'info', 'set S1 → s3://clinica/cofre', { key: 'log.backup.set', params: { setId: 'S1', storage: 'nuvem' } });
      catalog.logRun(run, 'info', 'banco: dumping clinica (pg_dump 15)', { key: 'log.backup.dumping', params: { source: 'banco', part: 'clinica' } });
      catalog.logRun(run, 'error', storageError?.message ?? '', storageError?.key ? { key: storageError.key, ...(storageError.params ? { params: storageError.params } : {}) } : undefined);
      catalog.logRun(run, 'warn', 'an old line without a key');
      catalog.finishRun(run, { status: 'failed', ...(storageError ? { error: storageError } : {}) });
      expect(catalog.getRun(run)?.error).toMatchObject({ key: 'storage.unreachable', params: { storage: 'nuvem' } });
      const lines: LogLine[] = catalog.runLog(run).map((l) => ({ ...l, level: l.level as LogLine['level'] }));
      const html = render(createElement(RunLog, { lines }));
      const visible = visibleText(html);
      expect(visible).toContain('Cópia S1 iniciada para nuvem');
      expect(visible).toContain('banco: copiando clinica');
      expect(visible).toContain('O armazenamento nuvem não respondeu');
      expect(visible).toContain('Aviso do motor');
      expectNoEngineEnglish(html, lines.map((l) => l.message));
    } finally {
      catalog.close();
    }
  });
});
