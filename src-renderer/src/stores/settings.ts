import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { Settings, AlertTest, Language } from '../../../shared/rpc/contracts/settings.js';
import { createTranslator, type Translate } from '../../../shared/i18n/index.js';

export interface SettingsState {
  settings: Settings | undefined;
  language: Language;
  timezone: string;
  t: Translate;
  error: RpcError | undefined;
  alertTest: AlertTest | RpcError | undefined;
  testing: boolean;
  load(): Promise<void>;
  setLanguage(language: Language): Promise<void>;
  /** The clinic's zone for every date shown; switches at once, the saved value follows. */
  setTimezone(timezone: string): Promise<void>;
  addRecipient(recipient: string): Promise<RpcError | undefined>;
  testAlerts(): Promise<void>;
}

export function createSettingsStore(client: RpcClient) {
  return createStore<SettingsState>()((set, get) => ({
    settings: undefined,
    language: 'pt-BR',
    timezone: 'America/Sao_Paulo',
    t: createTranslator('pt-BR'),
    error: undefined,
    alertTest: undefined,
    testing: false,
    async load() {
      const res = await client.call('settings.get');
      if (!res.ok) return set({ error: res.error });
      set({ settings: res.value, language: res.value.language, timezone: res.value.timezone, t: createTranslator(res.value.language), error: undefined });
    },
    async setLanguage(language) {
      // Switch at once; the saved value follows.
      set({ language, t: createTranslator(language) });
      const res = await client.call('settings.setLanguage', { language });
      if (!res.ok) set({ error: res.error });
    },
    async setTimezone(timezone) {
      const before = get().timezone;
      set({ timezone, error: undefined });
      const res = await client.call('settings.setTimezone', { timezone });
      if (!res.ok) return set({ timezone: before, error: res.error });
      const settings = get().settings;
      if (settings) set({ settings: { ...settings, timezone } });
    },
    async addRecipient(recipient) {
      const res = await client.call('keys.addRecipient', { recipient });
      if (!res.ok) return res.error;
      const settings = get().settings;
      if (settings) set({ settings: { ...settings, recipients: res.value.recipients } });
      return undefined;
    },
    async testAlerts() {
      set({ testing: true, alertTest: undefined });
      const res = await client.call('alerts.test');
      set({ testing: false, alertTest: res.ok ? res.value : res.error });
    },
  }));
}
export type SettingsStore = ReturnType<typeof createSettingsStore>;
