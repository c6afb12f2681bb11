import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { Run, RunDetail, RunProgress, RunFinished } from '../../../shared/rpc/contracts/runs.js';

export interface RunsState {
  runs: Run[];
  error: RpcError | undefined;
  loaded: boolean;
  /** latest progress per running run */
  live: Record<string, RunProgress>;
  selected: RunDetail | undefined;
  load(): Promise<void>;
  open(id: string): Promise<void>;
  close(): void;
  onProgress(p: RunProgress): void;
  onFinished(f: RunFinished): void;
}

export function createRunsStore(client: RpcClient) {
  return createStore<RunsState>()((set, get) => ({
    runs: [],
    error: undefined,
    loaded: false,
    live: {},
    selected: undefined,
    async load() {
      const res = await client.call('runs.list', { limit: 100 });
      set(res.ok ? { runs: res.value.runs, error: undefined, loaded: true } : { error: res.error, loaded: true });
    },
    async open(id) {
      const res = await client.call('runs.get', { id });
      set(res.ok ? { selected: res.value, error: undefined } : { error: res.error });
    },
    close() {
      set({ selected: undefined });
    },
    onProgress(p) {
      set({ live: { ...get().live, [p.runId]: p } });
      if (!get().runs.some((r) => r.id === p.runId)) void get().load();
    },
    onFinished(f) {
      const { [f.runId]: _done, ...live } = get().live;
      set({ live });
      void get().load();
      if (get().selected?.id === f.runId) void get().open(f.runId);
    },
  }));
}
export type RunsStore = ReturnType<typeof createRunsStore>;
