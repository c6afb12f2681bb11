import type { Handlers } from '../server.js';
import type { EngineServices } from '../services.js';

export function demoHandlers(services: EngineServices): Pick<Handlers, 'demo.info'> {
  return {
    'demo.info': () => services.demo.info(),
  };
}
