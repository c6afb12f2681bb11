import type { Handlers } from '../server.js';
import type { EngineServices } from '../services.js';

export function keptHandlers(services: EngineServices): Pick<Handlers, 'kept.list' | 'kept.remove'> {
  return {
    'kept.list': () => services.kept.list(),
    'kept.remove': ({ target, name, force }, ctx) => services.kept.remove({ target, name, force }, ctx),
  };
}
