/**
 * All the console's stores, built from one RPC client. Server events are wired into them in
 * `wire-events.ts`; components read them through the hooks in `../hooks.ts`.
 */
import type { RpcClient } from '../../../shared/rpc/client.js';
import { createStatusStore } from './status.js';
import { createRunsStore } from './runs.js';
import { createSetsStore } from './sets.js';
import { createConfigStore } from './config.js';
import { createRestoreStore } from './restore.js';
import { createDrillsStore } from './drills.js';
import { createSettingsStore } from './settings.js';
import { createAuditStore } from './audit.js';

export function createStores(client: RpcClient) {
  const sets = createSetsStore(client);
  return {
    status: createStatusStore(client),
    runs: createRunsStore(client),
    sets,
    config: createConfigStore(client),
    restore: createRestoreStore(client, () => sets.getState().sets),
    drills: createDrillsStore(client),
    settings: createSettingsStore(client),
    audit: createAuditStore(client),
  };
}
export type Stores = ReturnType<typeof createStores>;
