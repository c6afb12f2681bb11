/** Screens are addressed by the URL hash (#/painel), which works from file:// and http alike. */
import { useSyncExternalStore } from 'react';

export const SCREENS = ['painel', 'servidores', 'planos', 'copias', 'execucoes', 'restaurar', 'testes', 'configuracoes', 'auditoria'] as const;
export type Screen = (typeof SCREENS)[number];

function current(): Screen {
  const name = location.hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  return (SCREENS as readonly string[]).includes(name) ? (name as Screen) : 'painel';
}

export function navigate(screen: Screen): void {
  location.hash = `#/${screen}`;
}

export function useScreen(): Screen {
  return useSyncExternalStore(
    (cb) => {
      window.addEventListener('hashchange', cb);
      return () => window.removeEventListener('hashchange', cb);
    },
    current,
  );
}
