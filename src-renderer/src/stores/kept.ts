/**
 * Restaurar → *Cópias guardadas*: the copies restores kept of what they replaced, per target, and
 * their removal: a confirmation that names the copy and its target; the newest copy of something
 * also needs `force` ticked (the CLI's --force). The engine refuses the same things on its own.
 */
import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { KeptCopy, KeptList } from '../../../shared/rpc/contracts/kept.js';

export interface KeptState {
  /** the copies still on their targets (a copy removed by hand since is left out, as `cofre kept` does) */
  copies: KeptCopy[];
  unreachable: KeptList['unreachable'];
  loaded: boolean;
  loading: boolean;
  error: RpcError | undefined;
  /** the copy whose removal is being confirmed */
  pending: KeptCopy | undefined;
  /** the second confirmation, for the newest copy of something */
  force: boolean;
  removing: boolean;
  removeError: RpcError | undefined;
  /** the last copy removed from here, for the notice */
  removed: KeptCopy | undefined;
  load(): Promise<void>;
  ask(copy: KeptCopy): void;
  setForce(on: boolean): void;
  cancel(): void;
  /** true when the dialog's confirm button may be pressed */
  canConfirm(): boolean;
  confirm(): Promise<void>;
}

export function createKeptStore(client: RpcClient) {
  return createStore<KeptState>()((set, get) => ({
    copies: [],
    unreachable: [],
    loaded: false,
    loading: false,
    error: undefined,
    pending: undefined,
    force: false,
    removing: false,
    removeError: undefined,
    removed: undefined,
    async load() {
      set({ loading: true });
      const res = await client.call('kept.list');
      set(res.ok
        ? { copies: res.value.copies.filter((c) => c.exists), unreachable: res.value.unreachable, error: undefined, loaded: true, loading: false }
        : { error: res.error, loaded: true, loading: false });
    },
    ask(copy) {
      set({ pending: copy, force: false, removeError: undefined, removed: undefined });
    },
    setForce(on) {
      set({ force: on });
    },
    cancel() {
      if (!get().removing) set({ pending: undefined, force: false, removeError: undefined });
    },
    canConfirm() {
      const { pending, force, removing } = get();
      return pending !== undefined && !removing && (!pending.newest || force);
    },
    async confirm() {
      const { pending, force } = get();
      if (!pending || !get().canConfirm()) return;
      set({ removing: true, removeError: undefined });
      const res = await client.call('kept.remove', { target: pending.target, name: pending.name, confirmed: true, force: pending.newest && force });
      if (res.ok) set({ removing: false, pending: undefined, force: false, removed: res.value.removed });
      else set({ removing: false, removeError: res.error });
      // removed, gone meanwhile, or newest now: the list on the targets is what to show next
      await get().load();
    },
  }));
}
export type KeptStore = ReturnType<typeof createKeptStore>;
