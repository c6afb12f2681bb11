import type { Handlers } from '../server.js';
import type { EngineServices } from '../services.js';

export function settingsHandlers(services: EngineServices): Pick<Handlers, 'settings.get' | 'settings.setLanguage' | 'alerts.test' | 'keys.addRecipient' | 'audit.list'> {
  return {
    'settings.get': () => services.settings.get(),
    'settings.setLanguage': async ({ language }, ctx) => {
      await services.settings.setLanguage(language, ctx);
      return { saved: true };
    },
    'alerts.test': (_input, ctx) => services.alerts.test(ctx),
    'keys.addRecipient': async ({ recipient }, ctx) => ({ recipients: await services.keys.addRecipient(recipient, ctx) }),
    'audit.list': async (query) => ({ entries: await services.audit.list(query) }),
  };
}
