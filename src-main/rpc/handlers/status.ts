import type { Handlers } from '../server.js';
import type { EngineServices } from '../services.js';
import { CofreError } from '../../errors.js';
import { said } from '../../../shared/i18n/catalog.js';

export function statusHandlers(services: EngineServices): Pick<Handlers, 'status.get' | 'runs.list' | 'runs.get' | 'backup.start'> {
  return {
    'status.get': () => services.status.get(),
    'runs.list': async (input) => ({ runs: await services.runs.list(input.plan === undefined ? { limit: input.limit } : { plan: input.plan, limit: input.limit }) }),
    'runs.get': async ({ id }) => {
      const run = await services.runs.get(id);
      if (!run) throw new CofreError('INVALID_ARGUMENT', `There is no run with id ${id}.`, { ...said('run.notFound', { id }), hint: 'Pick a run from the list in Execuções.' });
      return run;
    },
    'backup.start': ({ plan }, ctx) => services.backup.start(plan, ctx),
  };
}
