import type { Handlers } from '../server.js';
import type { EngineServices } from '../services.js';

export function setsHandlers(services: EngineServices): Pick<Handlers, 'sets.list' | 'sets.verify'> {
  return {
    'sets.list': ({ plan }) => services.sets.list(plan === undefined ? {} : { plan }),
    'sets.verify': ({ setId, deep }, ctx) => services.sets.verify(setId, { deep }, ctx),
  };
}
