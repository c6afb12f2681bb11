/**
 * The console's whole RPC contract: every method (input/output schema) and every pushed event,
 * merged from the per-domain files in contracts/. Both sides derive their types from here.
 */
import type * as z from 'zod';
import { statusMethods } from './contracts/status.js';
import { runsMethods, runsEvents } from './contracts/runs.js';
import { setsMethods } from './contracts/sets.js';
import { configMethods } from './contracts/config.js';
import { restoreMethods, restoreEvents } from './contracts/restore.js';
import { settingsMethods } from './contracts/settings.js';
import { filesMethods } from './contracts/files.js';
import { demoMethods, demoEvents } from './contracts/demo.js';
import { keptMethods } from './contracts/kept.js';

export const methods = {
  ...statusMethods,
  ...runsMethods,
  ...setsMethods,
  ...configMethods,
  ...restoreMethods,
  ...settingsMethods,
  ...demoMethods,
  ...filesMethods,
  ...keptMethods,
};

export const events = {
  ...runsEvents,
  ...restoreEvents,
  ...demoEvents,
};

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Events = typeof events;
export type EventName = keyof Events;

/** What a caller passes (defaults may be left out). */
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
/** What a handler receives (after parsing: defaults filled in). */
export type ParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(events, name);
}
