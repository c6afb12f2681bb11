import { ptBR, en, type MessageKey, type Messages } from './messages.js';
import { catalogText, isCatalogKey, type MessageParams } from './catalog.js';

export { ptBR, en };
export { CATALOG, said, isCatalogKey, catalogText, type CatalogKey, type MessageParams, type MessageRef } from './catalog.js';

export type Language = 'pt-BR' | 'en';
export const DEFAULT_LANGUAGE: Language = 'pt-BR';
export const LANGUAGES: readonly { id: Language; label: string }[] = [
  { id: 'pt-BR', label: 'Português (Brasil)' },
  { id: 'en', label: 'English' },
];

const tables: Record<Language, Messages> = { 'pt-BR': ptBR, en };

export type Translate = ((key: MessageKey, params?: Record<string, string | number>) => string) & { readonly language: Language };

export function translate(language: Language, key: MessageKey, params?: Record<string, string | number>): string {
  const text = tables[language][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function createTranslator(language: Language): Translate {
  return Object.assign((key: MessageKey, params?: Record<string, string | number>) => translate(language, key, params), { language });
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

export function isMessageKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(ptBR, key);
}

/** What the console says about an engine error: a title and what to do, chosen by its key (else its stable code). */
export interface ErrorText {
  title: string;
  action: string;
  /** the engine's own words (English), shown folded as a technical detail */
  detail: string;
  /** the engine's English hint, kept for the technical detail */
  hint: string | undefined;
}

/** The fields of an engine error the console reads (the RPC error shape). */
export interface EngineErrorLike {
  code: string;
  message: string;
  hint?: string | undefined;
  key?: string | undefined;
  params?: MessageParams | undefined;
}

export function describeEngineError(error: EngineErrorLike, t: Translate): ErrorText {
  const code = isMessageKey(`error.${error.code}.title`) ? error.code : 'INTERNAL';
  const title = `error.${code}.title`;
  const action = `error.${code}.action`;
  const generic = { title: isMessageKey(title) ? t(title) : error.code, action: isMessageKey(action) ? t(action) : '' };
  const said = isCatalogKey(error.key) ? catalogText(t.language, error.key, error.params, true) : undefined;
  return {
    title: said?.text ?? generic.title,
    action: said?.action ?? generic.action,
    detail: error.message,
    hint: error.hint,
  };
}

/** A line the engine reports with an optional key: a check, a validation line, a log line. */
export interface SaidLine {
  key?: string | undefined;
  params?: MessageParams | undefined;
}

/** What the console says about a preflight/verify check: its ok or failed text, what to do, and why (the error behind it). */
export function describeCheckResult(check: SaidLine & { name: string; ok: boolean; message: string; cause?: EngineErrorLike | undefined }, t: Translate): { text: string; action: string | undefined; cause: ErrorText | undefined } {
  const cause = check.cause ? describeEngineError(check.cause, t) : undefined;
  if (isCatalogKey(check.key)) {
    const s = catalogText(t.language, check.key, check.params, !check.ok);
    return { text: s.text, action: check.ok ? undefined : (cause?.action ?? s.action), cause };
  }
  const name = describeCheck(check.name, t);
  return { text: t(check.ok ? 'check.passed' : 'check.failed', { name }), action: check.ok ? undefined : (cause?.action ?? t('check.failedAction')), cause };
}

/** A validation line after a restore, by its key (else its name and the generic words). */
export function describeValidation(v: SaidLine & { name: string; ok: boolean }, t: Translate): string {
  if (isCatalogKey(v.key)) return catalogText(t.language, v.key, v.params, !v.ok).text;
  return t(v.ok ? 'check.passed' : 'check.failed', { name: v.name });
}

/** A run log line by its key; a line without one says only its level (the English line is the detail). */
export function describeLogLine(line: SaidLine & { level: string }, t: Translate): string {
  if (isCatalogKey(line.key)) return catalogText(t.language, line.key, line.params, line.level === 'error').text;
  const key = `log.level.${line.level}`;
  return isMessageKey(key) ? t(key) : t('log.level.info');
}

/** A storage type ("folder", "s3") in words. */
export function describeStorageType(type: string, t: Translate): string {
  const key = `storageType.${type}`;
  return isMessageKey(key) ? t(key) : type.toUpperCase();
}

/** Geo-separation by its fields: true (separated), false (same place), null (not checked). */
export function describeGeo(separated: boolean | null, t: Translate): { text: string; action: string | undefined; tone: 'ok' | 'late' | 'failing' } {
  if (separated === true) return { text: t('geo.separated'), action: undefined, tone: 'ok' };
  if (separated === false) return { text: t('geo.notSeparated'), action: t('geo.notSeparatedAction'), tone: 'failing' };
  return { text: t('geo.unknown'), action: t('geo.unknownAction'), tone: 'late' };
}

/** A progress phase name from the engine ("upload", "transfer"…) in the console's language. */
export function describePhase(phase: string, t: Translate): string {
  const key = `phase.${phase}`;
  return isMessageKey(key) ? t(key) : phase;
}

/** A preflight/verify check name ("object x.age", "disk space /") in the console's language. */
export function describeCheck(name: string, t: Translate): string {
  const whole = `check.${name}`;
  if (isMessageKey(whole)) return t(whole);
  for (const prefix of ['object', 'disk space', 'destination']) {
    const key = `check.${prefix}`;
    if (name.startsWith(`${prefix} `) && isMessageKey(key)) return t(key, { rest: name.slice(prefix.length + 1) });
  }
  return name;
}

export type { MessageKey, Messages };
