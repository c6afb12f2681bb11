/**
 * What the desktop app opens with, decided without Electron (unit-tested): the real engine when
 * the config loads, otherwise a page that names the config file and says what is wrong with it.
 * Never a stand-in engine: fake storages, recipients or alert addresses in the window of a
 * backup tool would be taken for the real ones, and edits made there would be lost.
 */
import type { AppContext } from '../app/context.js';
import { toErrorInfo, type ErrorInfo } from '../errors.js';
import { translate, type Language } from '../../shared/i18n/index.js';

export type DesktopStart = { kind: 'engine' } | { kind: 'config-error'; configPath: string; error: ErrorInfo };

export function decideDesktopStart(ctx: Pick<AppContext, 'config' | 'configPath'>): DesktopStart {
  try {
    void ctx.config;
    return { kind: 'engine' };
  } catch (err) {
    return { kind: 'config-error', configPath: ctx.configPath, error: toErrorInfo(err) };
  }
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The error window's page: pt-BR first, English second; no script, nothing loaded from outside. */
export function configErrorPage(start: Extract<DesktopStart, { kind: 'config-error' }>): string {
  const section = (lang: Language): string => {
    const t = (key: Parameters<typeof translate>[1], params?: Record<string, string>): string => esc(translate(lang, key, params));
    const action = start.error.code === 'CONFIG_MISSING' ? t('shell.configError.missing') : t('shell.configError.fix');
    return `<section lang="${lang}">
<h1>${t('shell.configError.title')}</h1>
<p>${t('shell.configError.file')} <code>${esc(start.configPath)}</code></p>
<p><strong>${action}</strong></p>
<details open><summary>${t('error.detail')}</summary><pre lang="en">${esc(start.error.message)}${start.error.hint ? `\n${esc(start.error.hint)}` : ''}</pre></details>
</section>`;
  };
  return `<!doctype html><html lang="pt-BR"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Cofre</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:46rem;padding:0 1rem;color:#1b2733}h1{font-size:1.3rem;color:#a11d1d}code,pre{font-family:ui-monospace,monospace;background:#f1f3f5;padding:.1rem .3rem;border-radius:4px}pre{padding:.6rem;white-space:pre-wrap;word-break:break-word}hr{margin:2rem 0}</style>
</head><body>${section('pt-BR')}<hr>${section('en')}</body></html>`;
}
