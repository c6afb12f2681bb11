import type { Handlers } from '../server.js';
import type { EngineServices } from '../services.js';

export function filesHandlers(services: EngineServices): Pick<Handlers, 'files.list' | 'files.versions' | 'files.save'> {
  return {
    'files.list': (input) => services.files.list(input),
    'files.versions': ({ setId, path }) => services.files.versions(setId, path),
    'files.save': (input, ctx) => services.files.save(input, ctx),
  };
}
