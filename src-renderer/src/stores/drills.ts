import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { Drills, RestoreProgress, RestoreFinished } from '../../../shared/rpc/contracts/restore.js';

export interface DrillsState {
  drills: Drills | undefined;
  error: RpcError | undefined;
  loaded: boolean;
  running: { restoreId: string; progress: RestoreProgress | undefined } | undefined;
  load(): Promise<void>;
  start(): Promise<void>;
  onProgress(p: RestoreProgress): void;
  onFinished(f: RestoreFinished): void;
}

export function createDrillsStore(client: RpcClient) {
  return createStore<DrillsState>()((set, get) => ({
    drills: undefined,
    error: undefined,
    loaded: false,
    running: undefined,
    async load() {
      const res = await client.call('drills.list');
      set(res.ok ? { drills: res.value, error: undefined, loaded: true } : { error: res.error, loaded: true });
    },
    async start() {
      set({ error: undefined });
      const res = await client.call('drills.start', {});
      set(res.ok ? { running: { restoreId: res.value.restoreId, progress: undefined } } : { error: res.error });
    },
    onProgress(p) {
      const running = get().running;
      if (running?.restoreId === p.restoreId) set({ running: { ...running, progress: p } });
    },
    onFinished(f) {
      if (get().running?.restoreId !== f.restoreId) return;
      set({ running: undefined });
      void get().load();
    },
  }));
}
export type DrillsStore = ReturnType<typeof createDrillsStore>;
