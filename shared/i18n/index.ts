import { ptBR, en, type MessageKey, type Messages } from './messages.js';

export type Language = 'pt-BR' | 'en';
export const DEFAULT_LANGUAGE: Language = 'pt-BR';
export const LANGUAGES: readonly { id: Language; label: string }[] = [
  { id: 'pt-BR', label: 'Português (Brasil)' },
  { id: 'en', label: 'English' },
];

const tables: Record<Language, Messages> = { 'pt-BR': ptBR, en };

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translate(language: Language, key: MessageKey, params?: Record<string, string | number>): string {
  const text = tables[language][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function createTranslator(language: Language): Translate {
  return (key, params) => translate(language, key, params);
}

/** Cron in words for the common shapes; anything else is shown as the expression. */
export function describeSchedule(cron: string, t: Translate): string {
  const f = cron.trim().split(/\s+/);
  if (f.length !== 5) return t('schedule.cron', { expr: cron });
  const [min, hour, dom, mon, dow] = f as [string, string, string, string, string];
  const time = /^\d+$/.test(min) && /^\d+$/.test(hour) ? `${hour.padStart(2, '0')}:${min.padStart(2, '0')}` : undefined;
  if (time && dom === '*' && mon === '*' && dow === '*') return t('schedule.daily', { time });
  const every = /^\*\/(\d+)$/.exec(hour);
  if (every && /^\d+$/.test(min) && dom === '*' && mon === '*' && dow === '*') return t('schedule.everyHours', { n: every[1] ?? '' });
  if (time && dom === '*' && mon === '*' && /^[0-6]$/.test(dow)) return t('schedule.weekly', { time, dow });
  return t('schedule.cron', { expr: cron });
}

export type { MessageKey, Messages };
