/**
 * The one multi-storage listing (issue 14, "Independent storages"): every storage is listed on its
 * own, in parallel, each within its own timeout (`storage.<name>.timeoutSeconds`, default 60 s). A
 * storage that fails or does not answer in time is named with its error in `unreachable`, beside the
 * sets of the others: one unreachable storage never hides the others, and its sets are unknown,
 * never taken as absent. Every listing (CLI sets/status/restore/drill/prune/verify, the console)
 * goes through here.
 */
import type { AppContext } from '../app/context.js';
import { CofreError, toErrorInfo, type ErrorInfo } from '../errors.js';
import { listSetsOf, type SetInfo } from './sets.js';

export const DEFAULT_LIST_TIMEOUT_SECONDS = 60;

export type StorageSet = SetInfo & { storage: string };

export interface UnreachableStorage {
  storage: string;
  error: ErrorInfo;
}

export interface StorageListing {
  /** oldest first (as listSets orders), across storages */
  sets: StorageSet[];
  /** storages that could not be listed; their sets are unknown */
  unreachable: UnreachableStorage[];
}

export interface ListStoragesOptions {
  /** only these storages (default: every storage the plans use, else every storage in the config) */
  storages?: readonly string[];
  /** store each listed storage's sets in the catalog cache (default true) */
  cache?: boolean;
  /** overrides the configured timeout (tests) */
  timeoutMs?: number;
}

/** Storage names that plans use (every storage when no plan names one). */
export function planStorages(ctx: AppContext): string[] {
  const fromPlans = [...new Set(Object.values(ctx.config.plans).map((p) => p.storage))];
  return fromPlans.length > 0 ? fromPlans : Object.keys(ctx.config.storage);
}

/** Throws CONFIG_REFERENCE for a `--storage NAME` that the config does not have. */
export function checkStorageName(ctx: AppContext, name: string): void {
  if (!ctx.config.storage[name]) {
    throw new CofreError('CONFIG_REFERENCE', `"${name}" is not a storage in the config; known: ${Object.keys(ctx.config.storage).join(', ') || '(none)'}`, {
      hint: 'pass --storage with one of the names under storage: in the config',
    });
  }
}

/** The storages a command reads: `--storage NAME` when given, else every storage the plans use. */
export function storagesFor(ctx: AppContext, only: string | undefined): string[] {
  if (only === undefined) return planStorages(ctx);
  checkStorageName(ctx, only);
  return [only];
}

function timeoutOf(ctx: AppContext, name: string): number {
  return (ctx.config.storage[name]?.timeoutSeconds ?? DEFAULT_LIST_TIMEOUT_SECONDS) * 1000;
}

/** Lists one storage within `ms`; rejects with STORAGE_UNREACHABLE naming it when time runs out. */
/** Every set is authenticated against the config's signers (listSetsOf). */
export async function listStorageWithin(ctx: AppContext, name: string, ms: number): Promise<SetInfo[]> {
  const storage = ctx.storage(name);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new CofreError('STORAGE_UNREACHABLE', `storage ${name} (${storage.describe}) did not answer the listing within ${Math.round(ms / 1000)} s`, {
        hint: `check that storage ${name} is reachable (network, credentials, disk); raise storage.${name}.timeoutSeconds if it is only slow`,
      }));
    }, ms);
  });
  try {
    return await Promise.race([listSetsOf(ctx, storage), timeout]);
  } catch (err) {
    throw named(name, err);
  } finally {
    clearTimeout(timer);
    storage.close();
  }
}

/** An error about a storage always names it. */
function named(name: string, err: unknown): CofreError {
  const info = toErrorInfo(err);
  if (err instanceof CofreError && info.message.includes(name)) return err;
  return new CofreError(info.code === 'INTERNAL' ? 'STORAGE_UNREACHABLE' : info.code, `storage ${name}: ${info.message}`, {
    hint: info.hint ?? `check that storage ${name} is reachable, then run the command again`,
    cause: err,
  });
}

export async function listStorages(ctx: AppContext, opts: ListStoragesOptions = {}): Promise<StorageListing> {
  const names = opts.storages ?? planStorages(ctx);
  type Result = { name: string; sets: SetInfo[] } | { name: string; error: ErrorInfo };
  const results = await Promise.all(
    names.map(async (name): Promise<Result> => {
      try {
        return { name, sets: await listStorageWithin(ctx, name, opts.timeoutMs ?? timeoutOf(ctx, name)) };
      } catch (err) {
        return { name, error: toErrorInfo(err) };
      }
    }),
  );
  const sets: StorageSet[] = [];
  const unreachable: UnreachableStorage[] = [];
  for (const r of results) {
    if ('error' in r) {
      unreachable.push({ storage: r.name, error: r.error });
      ctx.catalog.setState(unreachableKey(r.name), JSON.stringify({ at: ctx.now().toISOString(), error: r.error }));
      continue;
    }
    if (opts.cache !== false) {
      ctx.catalog.cacheSets(
        r.name,
        r.sets.map((s) => ({ setId: s.setId, plan: s.plan, createdAt: s.createdAt, complete: s.complete, state: s.state, finishedAt: s.finishedAt, bytes: s.bytes, manifest: s.manifest })),
      );
    }
    ctx.catalog.deleteState(unreachableKey(r.name));
    ctx.catalog.setState(`storage.listed.${r.name}`, ctx.now().toISOString());
    for (const s of r.sets) sets.push({ ...s, storage: r.name });
  }
  sets.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.setId.localeCompare(b.setId) || a.storage.localeCompare(b.storage));
  return { sets, unreachable };
}

/** The catalog state key that remembers a storage's last listing failure (status shows it). */
export function unreachableKey(storage: string): string {
  return `storage.unreachable.${storage}`;
}

/** The last listing failure of a storage, if its last listing failed. */
export function lastUnreachable(ctx: AppContext, storage: string): { at: string; error: ErrorInfo } | undefined {
  const raw = ctx.catalog.getState(unreachableKey(storage));
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as { at: string; error: ErrorInfo };
  } catch {
    return undefined;
  }
}

/** One line per unreachable storage, for the CLI's stderr. */
export function unreachableLines(unreachable: readonly UnreachableStorage[]): string[] {
  return unreachable.map((u) => `storage ${u.storage} UNREACHABLE: ${u.error.message}${u.error.hint ? `\n  → ${u.error.hint}` : ''}`);
}
