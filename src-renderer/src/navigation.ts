/** Screens are addressed by the URL hash (#/painel), which works from file:// and http alike. */
import { useSyncExternalStore } from 'react';

export const SCREENS = ['painel', 'servidores', 'planos', 'copias', 'execucoes', 'restaurar', 'testes', 'configuracoes', 'auditoria'] as const;
export type Screen = (typeof SCREENS)[number];

function current(): Screen {
  const name = location.hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  return (SCREENS as readonly string[]).includes(name) ? (name as Screen) : 'painel';
}

/** Parameters after the screen in the hash: `#/execucoes?run=12` → { run: '12' }. */
export function hashParams(hash: string = location.hash): URLSearchParams {
  const q = hash.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : hash.slice(q + 1));
}

export function navigate(screen: Screen, params?: Record<string, string>): void {
  const query = params ? new URLSearchParams(params).toString() : '';
  location.hash = `#/${screen}${query ? `?${query}` : ''}`;
}

function subscribe(cb: () => void): () => void {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
}

export function useScreen(): Screen {
  return useSyncExternalStore(subscribe, current);
}

/** One hash parameter, re-read when the hash changes. */
export function useHashParam(name: string): string | undefined {
  return useSyncExternalStore(subscribe, () => hashParams().get(name) ?? undefined);
}
