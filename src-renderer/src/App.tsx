import { useEffect, useState } from 'react';
import { useStores, useStatus, useT, useLanguage } from './hooks.js';
import { SCREENS, useScreen, type Screen } from './navigation.js';
import { Painel } from './screens/Painel.js';
import { Servidores } from './screens/Servidores.js';
import { Planos } from './screens/Planos.js';
import { Copias } from './screens/Copias.js';
import { Execucoes } from './screens/Execucoes.js';
import { Restaurar } from './screens/Restaurar.js';
import { Testes } from './screens/Testes.js';
import { Configuracoes } from './screens/Configuracoes.js';
import { Auditoria } from './screens/Auditoria.js';
import type { Stores } from './stores/index.js';
import { DemoBadge } from './components/demo.js';

const VIEWS: Record<Screen, () => React.JSX.Element> = {
  painel: Painel,
  servidores: Servidores,
  planos: Planos,
  copias: Copias,
  execucoes: Execucoes,
  restaurar: Restaurar,
  testes: Testes,
  configuracoes: Configuracoes,
  auditoria: Auditoria,
};

/** What each screen needs fresh when it is opened. */
function refresh(stores: Stores, screen: Screen): Promise<unknown> {
  switch (screen) {
    case 'painel':
      return Promise.all([stores.status.getState().load(), stores.runs.getState().load(), stores.config.getState().load(), stores.demo.getState().load()]);
    case 'servidores':
    case 'planos':
      return stores.config.getState().load();
    case 'copias':
      return Promise.all([stores.sets.getState().load(), stores.config.getState().load()]);
    case 'execucoes':
      return stores.runs.getState().load();
    case 'restaurar':
      return Promise.all([stores.sets.getState().load(), stores.restore.getState().loadTargets(), stores.kept.getState().load()]);
    case 'testes':
      return stores.drills.getState().load();
    case 'configuracoes':
      return Promise.all([stores.settings.getState().load(), stores.config.getState().load()]);
    case 'auditoria':
      return stores.audit.getState().load();
  }
}

/** A short notice after a run ends, with a link to that run. */
export interface Toast {
  text: string;
  runId: string;
  tone: 'ok' | 'failing';
}

export function App({ toast }: { toast: Toast | undefined }) {
  const stores = useStores();
  const t = useT();
  const lang = useLanguage();
  const screen = useScreen();
  const { loaded } = useStatus();
  const [settled, setSettled] = useState(false);

  useEffect(() => {
    // Settings first (language, time zone), then the status the dashboard needs.
    void stores.settings
      .getState()
      .load()
      .then(() => Promise.all([stores.status.getState().load(), stores.runs.getState().load(), stores.demo.getState().load()]))
      .then(() => setSettled(true));
  }, [stores]);

  useEffect(() => {
    if (settled) void refresh(stores, screen);
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [stores, screen, settled]);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = `${t(`nav.${screen}`)} · ${t('app.title')}`;
  }, [lang, screen, t]);

  const ready = loaded && settled;
  useEffect(() => {
    document.getElementById('root')?.setAttribute('data-app-state', ready ? 'ready' : 'loading');
  }, [ready]);

  const View = VIEWS[screen];
  return (
    <div className="app">
      <a className="skip" href="#main">
        {t('app.skip')}
      </a>
      <header className="top">
        <span className="logo" aria-hidden="true">
          ▣
        </span>
        <span className="brand">{t('app.title')}</span>
        <span className="muted">{t('app.subtitle')}</span>
        <DemoBadge />
      </header>
      <nav className="side" aria-label={t('nav.label')}>
        <ul>
          {SCREENS.map((s) => (
            <li key={s}>
              <a href={`#/${s}`} aria-current={s === screen ? 'page' : undefined}>
                {t(`nav.${s}`)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1} data-screen={screen}>
        <h1>{t(`nav.${screen}`)}</h1>
        {ready ? <View /> : <p aria-busy="true">{t('app.loading')}</p>}
      </main>
      <div className="toast-region" role="status" aria-live="polite">
        {toast ? (
          <p className={`toast toast-${toast.tone}`}>
            {toast.text} <a href={`#/execucoes?run=${encodeURIComponent(toast.runId)}`}>{t('execucoes.details')}</a>
          </p>
        ) : null}
      </div>
    </div>
  );
}
