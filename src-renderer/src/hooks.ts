/** Components read stores through these hooks; the stores decide, components draw. */
import { createContext, useContext } from 'react';
import { useStore, type StoreApi } from 'zustand';
import type { Stores } from './stores/index.js';
import type { Translate } from '../../shared/i18n/index.js';
import { formatDateTime, formatTime } from '../../shared/format.js';

export const StoresContext = createContext<Stores | undefined>(undefined);

export function useStores(): Stores {
  const stores = useContext(StoresContext);
  if (!stores) throw new Error('StoresContext is missing');
  return stores;
}

function use<K extends keyof Stores, S = Stores[K] extends StoreApi<infer T> ? T : never>(key: K): S {
  const stores = useStores();
  return useStore(stores[key] as unknown as StoreApi<S>);
}

export const useStatus = () => use('status');
export const useRuns = () => use('runs');
export const useSets = () => use('sets');
export const useConfig = () => use('config');
export const useRestore = () => use('restore');
export const useDrills = () => use('drills');
export const useSettings = () => use('settings');
export const useAudit = () => use('audit');
export const useDemo = () => use('demo');
export const useKept = () => use('kept');

export function useT(): Translate {
  return useStore(useStores().settings, (s) => s.t);
}

/** Dates in the clinic's time zone and the console's language. */
export function useDate(): (iso: string | undefined) => string {
  const tz = useStore(useStores().settings, (s) => s.timezone);
  const lang = useStore(useStores().settings, (s) => s.language);
  return (iso) => (iso ? formatDateTime(iso, tz, lang) : '—');
}

/** A clock time ("14:05") in the clinic's time zone, e.g. for a projected end. */
export function useClockTime(): (ms: number) => string {
  const tz = useStore(useStores().settings, (s) => s.timezone);
  const lang = useStore(useStores().settings, (s) => s.language);
  return (ms) => (Number.isFinite(ms) ? formatTime(new Date(ms).toISOString(), tz, lang) : '—');
}

export function useLanguage(): string {
  return useStore(useStores().settings, (s) => s.language);
}
