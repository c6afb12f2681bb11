/**
 * The console's zustand stores against the in-memory engine, through the real RPC server and an
 * in-memory transport (what the renderer does, minus the browser). Close the services after use.
 */
import type { StoreApi } from 'zustand';
import { createConsoleRpc } from '../../src-main/rpc/index.js';
import { createMemoryServices, type MemoryServices } from './memory-services.js';
import { createMemoryTransportPair } from '../../shared/rpc/transport.js';
import { createRpcClient } from '../../shared/rpc/client.js';
import { createStores, type Stores } from '../../src-renderer/src/stores/index.js';
import { wireEvents } from '../../src-renderer/src/stores/wire-events.js';

export function consoleStores(options: Parameters<typeof createMemoryServices>[0] = {}): { stores: Stores; services: MemoryServices } {
  const services = createMemoryServices({ tickMs: 2, ticks: 4, ...options });
  const rpc = createConsoleRpc(services, { validateOutputs: true });
  const pair = createMemoryTransportPair();
  rpc.connect(pair.server, { actor: 'console:test' });
  const client = createRpcClient(pair.client);
  const stores = createStores(client);
  wireEvents(client, stores);
  return { stores, services };
}

/** Resolves with the store's state once `ok` holds (never sleeps). */
export function until<T>(store: StoreApi<T>, ok: (s: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    if (ok(store.getState())) return resolve(store.getState());
    const off = store.subscribe((s) => {
      if (ok(s)) {
        off();
        resolve(s);
      }
    });
  });
}
