/**
 * The audit log: the newest 1000 entries loaded once, filtered on the page (who, action, since)
 * so the filters always fit what is there, shown a page at a time and exported as CSV.
 */
import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { AuditEntry } from '../../../shared/rpc/contracts/settings.js';
import { instantOfWallClock } from '../../../shared/zoned-time.js';
import { filterEntries, type AuditFilter } from './audit-view.js';

export type { AuditFilter } from './audit-view.js';

const EMPTY: AuditFilter = { who: '', action: '', since: '' };

export interface AuditState {
  entries: AuditEntry[];
  filter: AuditFilter;
  page: number;
  error: RpcError | undefined;
  loaded: boolean;
  setFilter(patch: Partial<AuditFilter>): void;
  clearFilter(): void;
  setPage(page: number): void;
  load(): Promise<void>;
  /** The entries the filter keeps, newest first; `since` is a day in `timezone` (the clinic's). */
  visible(timezone: string): AuditEntry[];
}

export function createAuditStore(client: RpcClient) {
  return createStore<AuditState>()((set, get) => ({
    entries: [],
    filter: { ...EMPTY },
    page: 1,
    error: undefined,
    loaded: false,
    setFilter(patch) {
      set({ filter: { ...get().filter, ...patch }, page: 1 });
    },
    clearFilter() {
      set({ filter: { ...EMPTY }, page: 1 });
    },
    setPage(page) {
      set({ page });
    },
    async load() {
      const res = await client.call('audit.list', { limit: 1000 });
      set(res.ok ? { entries: res.value.entries, error: undefined, loaded: true } : { error: res.error, loaded: true });
    },
    visible(timezone) {
      const { since } = get().filter;
      const sinceIso = since ? instantOfWallClock(`${since}T00:00`, timezone) : undefined;
      return filterEntries(get().entries, get().filter, sinceIso);
    },
  }));
}
export type AuditStore = ReturnType<typeof createAuditStore>;
