/** Servers, sources, storage and plans: the editable configuration. */
import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { Check } from '../../../shared/rpc/contracts/sets.js';
import type { ServerInfo, ServerInput, SourceInput, StorageInfo, PlanInfo, PlanInput } from '../../../shared/rpc/contracts/config.js';

export type Outcome = { ok: true } | { ok: false; error: RpcError };

export interface ConfigState {
  servers: ServerInfo[];
  sources: SourceInput[];
  storage: StorageInfo[];
  plans: PlanInfo[];
  error: RpcError | undefined;
  loaded: boolean;
  /** fingerprint offered for confirmation (TOFU), by server name */
  probed: Record<string, { fingerprint: string; algorithm: string } | undefined>;
  tests: Record<string, Omit<Check, 'name'> | undefined>;
  load(): Promise<void>;
  saveServer(input: ServerInput): Promise<Outcome>;
  probe(name: string): Promise<Outcome>;
  /** Pins the probed key; replacing a different pinned key needs the server's name typed (`confirmName`). */
  trust(name: string, confirmName?: string): Promise<Outcome>;
  test(name: string): Promise<void>;
  savePlan(input: PlanInput): Promise<Outcome>;
}

export function createConfigStore(client: RpcClient) {
  return createStore<ConfigState>()((set, get) => ({
    servers: [],
    sources: [],
    storage: [],
    plans: [],
    error: undefined,
    loaded: false,
    probed: {},
    tests: {},
    async load() {
      const [servers, sources, storage, plans] = await Promise.all([
        client.call('servers.list'),
        client.call('sources.list'),
        client.call('storage.list'),
        client.call('plans.list'),
      ]);
      const error = [servers, sources, storage, plans].find((r) => !r.ok);
      set({
        ...(servers.ok ? { servers: servers.value.servers } : {}),
        ...(sources.ok ? { sources: sources.value.sources } : {}),
        ...(storage.ok ? { storage: storage.value.storage } : {}),
        ...(plans.ok ? { plans: plans.value.plans } : {}),
        error: error && !error.ok ? error.error : undefined,
        loaded: true,
      });
    },
    async saveServer(input) {
      const res = await client.call('servers.save', input);
      if (!res.ok) return { ok: false, error: res.error };
      await get().load();
      return { ok: true };
    },
    async probe(name) {
      const server = get().servers.find((s) => s.name === name);
      if (!server) return { ok: false, error: { code: 'INVALID_ARGUMENT', message: `No server named ${name}.` } };
      const res = await client.call('servers.probe', { host: server.host, port: server.port });
      if (!res.ok) return { ok: false, error: res.error };
      set({ probed: { ...get().probed, [name]: res.value } });
      return { ok: true };
    },
    async trust(name, confirmName) {
      const probed = get().probed[name];
      if (!probed) return { ok: false, error: { code: 'PRECONDITION', message: 'Fetch the fingerprint first.', key: 'ssh.probeFirst' } };
      const pinned = get().servers.find((s) => s.name === name)?.hostKey;
      const replace = pinned !== undefined && pinned !== probed.fingerprint ? { previous: pinned, confirmName: confirmName ?? '' } : undefined;
      const res = await client.call('servers.trust', { name, fingerprint: probed.fingerprint, ...(replace ? { replace } : {}) });
      if (!res.ok) return { ok: false, error: res.error };
      set({ probed: { ...get().probed, [name]: undefined } });
      await get().load();
      return { ok: true };
    },
    async test(name) {
      set({ tests: { ...get().tests, [name]: undefined } });
      const res = await client.call('servers.test', { name });
      set({ tests: { ...get().tests, [name]: res.ok ? res.value : { ok: false, message: res.error.message, cause: res.error } } });
    },
    async savePlan(input) {
      const res = await client.call('plans.save', input);
      if (!res.ok) return { ok: false, error: res.error };
      await get().load();
      return { ok: true };
    },
  }));
}
export type ConfigStore = ReturnType<typeof createConfigStore>;
