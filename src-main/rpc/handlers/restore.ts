import type { Handlers } from '../server.js';
import type { EngineServices } from '../services.js';
import { CofreError } from '../../errors.js';

export function restoreHandlers(services: EngineServices): Pick<Handlers, 'targets.list' | 'restore.preflight' | 'restore.resolveAt' | 'restore.start' | 'drills.list' | 'drills.start'> {
  return {
    'targets.list': async () => ({ targets: await services.targets.list() }),
    'restore.preflight': (input) => services.restore.preflight(input),
    'restore.resolveAt': ({ at }) => {
      if (Number.isNaN(Date.parse(at))) throw new CofreError('INVALID_ARGUMENT', `${at} is not a date and time`, { hint: 'Choose a date and a time.' });
      return services.restore.resolveAt(at);
    },
    'restore.start': async (input, ctx) => {
      const target = (await services.targets.list()).find((t) => t.name === input.target);
      if (!target) throw new CofreError('INVALID_ARGUMENT', `There is no restore target named "${input.target}".`, { hint: 'Add it under restoreTargets in cofre.yaml.' });
      // Defense in depth: the engine checks too, but the boundary never lets a production restore start unconfirmed.
      if (target.kind === 'production' && input.confirmName !== target.name) {
        throw new CofreError('CONFIRMATION_REQUIRED', `Restoring into production target "${target.name}" overwrites its data.`, {
          hint: `Type the target's name (${target.name}) to confirm.`,
        });
      }
      return services.restore.start(input, ctx);
    },
    'drills.list': () => services.drills.list(),
    'drills.start': ({ target }, ctx) => services.drills.start(target, ctx),
  };
}
