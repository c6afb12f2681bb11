import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { AuditEntry } from '../../../shared/rpc/contracts/settings.js';

export interface AuditFilter {
  actor: string;
  action: string;
  since: string;
}

export interface AuditState {
  entries: AuditEntry[];
  filter: AuditFilter;
  error: RpcError | undefined;
  loaded: boolean;
  setFilter(patch: Partial<AuditFilter>): void;
  load(): Promise<void>;
}

export function createAuditStore(client: RpcClient) {
  return createStore<AuditState>()((set, get) => ({
    entries: [],
    filter: { actor: '', action: '', since: '' },
    error: undefined,
    loaded: false,
    setFilter(patch) {
      set({ filter: { ...get().filter, ...patch } });
    },
    async load() {
      const { actor, action, since } = get().filter;
      const res = await client.call('audit.list', {
        limit: 200,
        ...(actor.trim() ? { actor: actor.trim() } : {}),
        ...(action.trim() ? { action: action.trim() } : {}),
        ...(since ? { since: new Date(since).toISOString() } : {}),
      });
      set(res.ok ? { entries: res.value.entries, error: undefined, loaded: true } : { error: res.error, loaded: true });
    },
  }));
}
export type AuditStore = ReturnType<typeof createAuditStore>;
