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
import { createDemoStore } from './demo.js';
import { createFilesStore } from './files.js';
import { createKeptStore } from './kept.js';

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
    demo: createDemoStore(client),
    /** the file browser of a set's detail in Cópias */
    files: createFilesStore(client),
    /** the restore wizard's path picker (its own place in the set) */
    filePicker: createFilesStore(client),
    /** Restaurar → Cópias guardadas: what restores kept of what they replaced */
    kept: createKeptStore(client),
  };
}
export type Stores = ReturnType<typeof createStores>;
