import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { Drills, RestoreProgress, RestoreFinished } from '../../../shared/rpc/contracts/restore.js';

export interface DrillsState {
  drills: Drills | undefined;
  error: RpcError | undefined;
  loaded: boolean;
  running: { restoreId: string; progress: RestoreProgress | undefined } | undefined;
  /** the confirmation is open: the technician sees the target before the drill starts */
  confirming: boolean;
  /** the last drill started from here ended (pass or fail); shown until the next one starts */
  finished: RestoreFinished | undefined;
  load(): Promise<void>;
  /** Opens the confirmation (the drill starts only from confirm()). */
  ask(): void;
  cancel(): void;
  confirm(): Promise<void>;
  onProgress(p: RestoreProgress): void;
  onFinished(f: RestoreFinished): void;
}

export function createDrillsStore(client: RpcClient) {
  return createStore<DrillsState>()((set, get) => ({
    drills: undefined,
    error: undefined,
    loaded: false,
    running: undefined,
    confirming: false,
    finished: undefined,
    async load() {
      const res = await client.call('drills.list');
      set(res.ok ? { drills: res.value, error: undefined, loaded: true } : { error: res.error, loaded: true });
    },
    ask() {
      if (get().running) return;
      set({ confirming: true, error: undefined });
      if (!get().loaded) void get().load();
    },
    cancel() {
      set({ confirming: false });
    },
    async confirm() {
      if (!get().confirming || get().running) return;
      const target = get().drills?.target;
      set({ confirming: false, error: undefined, finished: undefined });
      const res = await client.call('drills.start', target ? { target } : {});
      set(res.ok ? { running: { restoreId: res.value.restoreId, progress: undefined } } : { error: res.error });
    },
    onProgress(p) {
      const running = get().running;
      if (running?.restoreId === p.restoreId) set({ running: { ...running, progress: p } });
    },
    onFinished(f) {
      if (get().running?.restoreId !== f.restoreId) return;
      set({ running: undefined, finished: f });
      void get().load();
    },
  }));
}
export type DrillsStore = ReturnType<typeof createDrillsStore>;
