/** The one place where pushed server events reach the stores. */
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RunFinished } from '../../../shared/rpc/contracts/runs.js';
import type { Stores } from './index.js';

export function wireEvents(client: RpcClient, stores: Stores, onRunFinished?: (f: RunFinished) => void): () => void {
  const offs = [
    client.on('run.progress', (p) => stores.runs.getState().onProgress(p)),
    client.on('run.finished', (f) => {
      stores.runs.getState().onFinished(f);
      void stores.status.getState().load();
      if (stores.sets.getState().loaded) void stores.sets.getState().load();
      onRunFinished?.(f);
    }),
    client.on('restore.progress', (p) => {
      stores.restore.getState().onProgress(p);
      stores.drills.getState().onProgress(p);
    }),
    client.on('restore.finished', (f) => {
      stores.restore.getState().onFinished(f);
      stores.drills.getState().onFinished(f);
      void stores.status.getState().load();
      // a drill is a run too: Execuções lists it
      if (stores.runs.getState().loaded) void stores.runs.getState().load();
      // what it kept of what it replaced joins Restaurar → Cópias guardadas
      if (f.kept?.length && stores.kept.getState().loaded) void stores.kept.getState().load();
    }),
    client.on('demo.changed', (info) => stores.demo.getState().onChanged(info)),
  ];
  return () => offs.forEach((off) => off());
}
