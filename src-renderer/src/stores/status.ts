import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { Status } from '../../../shared/rpc/contracts/status.js';

export interface StatusState {
  status: Status | undefined;
  error: RpcError | undefined;
  /** true once the first load finished (ok or not) */
  loaded: boolean;
  starting: Record<string, boolean>;
  load(): Promise<void>;
  runNow(plan: string): Promise<{ runId: string } | RpcError>;
}

export function createStatusStore(client: RpcClient) {
  return createStore<StatusState>()((set, get) => ({
    status: undefined,
    error: undefined,
    loaded: false,
    starting: {},
    async load() {
      const res = await client.call('status.get');
      set(res.ok ? { status: res.value, error: undefined, loaded: true } : { error: res.error, loaded: true });
    },
    async runNow(plan) {
      set({ starting: { ...get().starting, [plan]: true } });
      const res = await client.call('backup.start', { plan });
      set({ starting: { ...get().starting, [plan]: false } });
      if (!res.ok) return res.error;
      void get().load();
      return res.value;
    },
  }));
}
export type StatusStore = ReturnType<typeof createStatusStore>;
