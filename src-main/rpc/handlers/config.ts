import type { Handlers } from '../server.js';
import type { EngineServices } from '../services.js';
import { CofreError } from '../../errors.js';
import { said } from '../../../shared/i18n/catalog.js';
import { assertTimeZone } from '../../scheduler/timezone.js';

export function configHandlers(services: EngineServices): Pick<
  Handlers,
  'servers.list' | 'servers.save' | 'servers.probe' | 'servers.trust' | 'servers.test' | 'sources.list' | 'sources.save' | 'storage.list' | 'plans.list' | 'plans.save'
> {
  return {
    'servers.list': async () => ({ servers: await services.servers.list() }),
    'servers.save': async (input, ctx) => {
      await services.servers.save(input, ctx);
      return { saved: true };
    },
    'servers.probe': ({ host, port }) => services.servers.probe(host, port),
    'servers.trust': async ({ name, fingerprint, replace }, ctx) => {
      await services.servers.trust(name, fingerprint, ctx, replace);
      return { saved: true };
    },
    'servers.test': ({ name }) => services.servers.test(name),
    'sources.list': async () => ({ sources: await services.sources.list() }),
    'sources.save': async (input, ctx) => {
      const servers = await services.servers.list();
      if (!servers.some((s) => s.name === input.server)) {
        throw new CofreError('CONFIG_REFERENCE', `Source "${input.name}" refers to server "${input.server}", which does not exist.`, { ...said('config.sourceServer', { source: input.name, server: input.server }), hint: 'Add the server in Servidores first.' });
      }
      await services.sources.save(input, ctx);
      return { saved: true };
    },
    'storage.list': async () => ({ storage: await services.storage.list() }),
    'plans.list': async () => ({ plans: await services.plans.list() }),
    'plans.save': async (input, ctx) => {
      assertTimeZone(input.timezone);
      const result = await services.plans.save(input, ctx);
      return result.nextRunAt === undefined ? { saved: true } : { saved: true, nextRunAt: result.nextRunAt };
    },
  };
}
