import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { BackupSet, UnreachableStorage, VerifyResult } from '../../../shared/rpc/contracts/sets.js';
import type { PackGc } from '../../../shared/rpc/contracts/pack-gc.js';

export interface SetsState {
  sets: BackupSet[];
  /** storages that did not answer the last listing: their sets are unknown, never "no sets" */
  unreachable: UnreachableStorage[];
  /** the latest pack garbage collection on each storage shown */
  collections: PackGc[];
  plan: string | undefined;
  error: RpcError | undefined;
  loaded: boolean;
  verifying: Record<string, 'quick' | 'deep' | undefined>;
  verifications: Record<string, VerifyResult | RpcError>;
  load(plan?: string): Promise<void>;
  verify(setId: string, deep: boolean): Promise<void>;
}

export function createSetsStore(client: RpcClient) {
  return createStore<SetsState>()((set, get) => ({
    sets: [],
    unreachable: [],
    collections: [],
    plan: undefined,
    error: undefined,
    loaded: false,
    verifying: {},
    verifications: {},
    async load(plan = get().plan) {
      set({ plan });
      const res = await client.call('sets.list', plan === undefined ? {} : { plan });
      set(res.ok ? { sets: res.value.sets, unreachable: res.value.unreachable, collections: res.value.collections ?? [], error: undefined, loaded: true } : { error: res.error, loaded: true });
    },
    async verify(setId, deep) {
      set({ verifying: { ...get().verifying, [setId]: deep ? 'deep' : 'quick' } });
      const res = await client.call('sets.verify', { setId, deep });
      set({
        verifying: { ...get().verifying, [setId]: undefined },
        verifications: { ...get().verifications, [setId]: res.ok ? res.value : res.error },
      });
    },
  }));
}
export type SetsStore = ReturnType<typeof createSetsStore>;
