import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { Run, RunDetail, RunProgress, RunFinished } from '../../../shared/rpc/contracts/runs.js';

/** Progress of one source of a running run, with when it was last heard of. */
export interface SourceProgress extends RunProgress {
  /** ms since epoch of the last event for this source */
  at: number;
}

export interface RunsState {
  runs: Run[];
  error: RpcError | undefined;
  loaded: boolean;
  /** latest progress per running run */
  live: Record<string, RunProgress>;
  /** latest progress per running run and source (key '' for events without a source) */
  liveSources: Record<string, Record<string, SourceProgress>>;
  selected: RunDetail | undefined;
  /** the run asked for (e.g. by a notification link) when it could not be opened */
  missing: string | undefined;
  load(): Promise<void>;
  open(id: string): Promise<void>;
  close(): void;
  onProgress(p: RunProgress): void;
  onFinished(f: RunFinished): void;
}

export function createRunsStore(client: RpcClient, now: () => number = () => Date.now()) {
  return createStore<RunsState>()((set, get) => ({
    runs: [],
    error: undefined,
    loaded: false,
    live: {},
    liveSources: {},
    selected: undefined,
    missing: undefined,
    async load() {
      const res = await client.call('runs.list', { limit: 500 });
      set(res.ok ? { runs: res.value.runs, error: undefined, loaded: true } : { error: res.error, loaded: true });
    },
    async open(id) {
      const res = await client.call('runs.get', { id });
      set(res.ok ? { selected: res.value, missing: undefined, error: undefined } : { selected: undefined, missing: id, error: res.error });
    },
    close() {
      set({ selected: undefined, missing: undefined });
    },
    onProgress(p) {
      const sources = { ...(get().liveSources[p.runId] ?? {}), [p.source ?? '']: { ...p, at: now() } };
      // a source-less event (e.g. "start") stops mattering once sources report
      if (p.source !== undefined) delete sources[''];
      set({ live: { ...get().live, [p.runId]: p }, liveSources: { ...get().liveSources, [p.runId]: sources } });
      if (!get().runs.some((r) => r.id === p.runId)) void get().load();
    },
    onFinished(f) {
      const { [f.runId]: _done, ...live } = get().live;
      const { [f.runId]: _doneSources, ...liveSources } = get().liveSources;
      set({ live, liveSources });
      void get().load();
      if (get().selected?.id === f.runId) void get().open(f.runId);
    },
  }));
}
export type RunsStore = ReturnType<typeof createRunsStore>;
