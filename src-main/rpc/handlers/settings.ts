import type { Handlers } from '../server.js';
import type { EngineServices } from '../services.js';
import { assertTimeZone } from '../../scheduler/timezone.js';

export function settingsHandlers(services: EngineServices): Pick<Handlers, 'settings.get' | 'settings.setLanguage' | 'settings.setTimezone' | 'alerts.test' | 'keys.addRecipient' | 'audit.list'> {
  return {
    'settings.get': () => services.settings.get(),
    'settings.setLanguage': async ({ language }, ctx) => {
      await services.settings.setLanguage(language, ctx);
      return { saved: true };
    },
    'settings.setTimezone': async ({ timezone }, ctx) => {
      assertTimeZone(timezone);
      await services.settings.setTimezone(timezone, ctx);
      return { saved: true };
    },
    'alerts.test': (_input, ctx) => services.alerts.test(ctx),
    'keys.addRecipient': async ({ recipient }, ctx) => ({ recipients: await services.keys.addRecipient(recipient, ctx) }),
    'audit.list': async (query) => ({ entries: await services.audit.list(query) }),
  };
}
