import type { Handlers } from '../server.js';
import type { EngineServices } from '../services.js';
import { statusHandlers } from './status.js';
import { setsHandlers } from './sets.js';
import { configHandlers } from './config.js';
import { restoreHandlers } from './restore.js';
import { settingsHandlers } from './settings.js';
import { demoHandlers } from './demo.js';
import { filesHandlers } from './files.js';
import { keptHandlers } from './kept.js';

/** Every method of the contract, implemented over the engine's services. */
export function createHandlers(services: EngineServices): Handlers {
  return {
    ...statusHandlers(services),
    ...setsHandlers(services),
    ...configHandlers(services),
    ...restoreHandlers(services),
    ...settingsHandlers(services),
    ...demoHandlers(services),
    ...filesHandlers(services),
    ...keptHandlers(services),
  };
}
