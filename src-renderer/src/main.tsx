import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { createRpcClient } from '../../shared/rpc/client.js';
import { pickTransport } from './transport.js';
import { createStores } from './stores/index.js';
import { wireEvents } from './stores/wire-events.js';
import { StoresContext } from './hooks.js';
import { App } from './App.js';
import type { RunFinished } from '../../shared/rpc/contracts/runs.js';
import { describeEngineError } from '../../shared/i18n/index.js';
import type { Toast } from './App.js';
import './styles.css';

const client = createRpcClient(pickTransport());
const stores = createStores(client);

function Root() {
  const [toast, setToast] = useState<Toast>();
  useEffect(
    () =>
      wireEvents(client, stores, (f: RunFinished) => {
        const t = stores.settings.getState().t;
        setToast(
          f.status === 'failed'
            ? { text: `${t('notify.runFailed', { plan: f.plan })}: ${f.error ? describeEngineError(f.error, t).title : ''}`, runId: f.runId, tone: 'failing' }
            : { text: t('notify.runOk', { plan: f.plan }), runId: f.runId, tone: 'ok' },
        );
      }),
    [],
  );
  useEffect(() => {
    if (!toast) return undefined;
    const id = setTimeout(() => setToast(undefined), toast.tone === 'failing' ? 15000 : 8000);
    return () => clearTimeout(id);
  }, [toast]);
  return (
    <StoresContext value={stores}>
      <App toast={toast} />
    </StoresContext>
  );
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <Root />
    </StrictMode>,
  );
}
