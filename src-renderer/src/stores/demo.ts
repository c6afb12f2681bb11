import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { DemoInfo } from '../../../shared/rpc/contracts/demo.js';

export interface DemoState {
  /** undefined until loaded; `demo: false` outside `cofre demo` */
  info: DemoInfo | undefined;
  load(): Promise<void>;
  /** the engine pushed `demo.changed` (a database became ready or failed, the first set was made) */
  onChanged(info: DemoInfo): void;
}

export function createDemoStore(client: RpcClient) {
  return createStore<DemoState>()((set) => ({
    info: undefined,
    async load() {
      const res = await client.call('demo.info', {});
      // an engine without the method is not a demo: nothing to show
      set({ info: res.ok ? res.value : { demo: false, databases: [], notices: [] } });
    },
    onChanged(info) {
      set({ info });
    },
  }));
}
export type DemoStore = ReturnType<typeof createDemoStore>;
