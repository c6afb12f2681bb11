/**
 * Keeps what a prune's pack garbage collection did in the catalog (table pack_gc), so the console
 * shows it where a technician looks after a nightly run: the run's detail in Execuções and the
 * storage's line in Cópias. The English reason stays the technical detail; the key names the text.
 *
 * A collection blocked by a set (doubtful, or listed without its manifest) stays the latest one on
 * its storage until the next prune; `cofre forget` of that set notes here that the blocker is gone,
 * so the console stops warning at once and says instead that the next prune collects.
 */
import type { Catalog, PackGcRecord } from '../catalog/catalog.js';
import type { PackGcResult } from './pack-gc.js';

/** Blocks that name a set whose references are unknown: forgetting that set clears them. */
const SET_BLOCKS: ReadonlySet<string> = new Set(['gc.blockedBySet', 'gc.blockedNoManifest']);

/** The latest collection on a storage as the console shows it now. */
export interface CurrentPackGc extends PackGcRecord {
  /** the set that blocked this collection was forgotten since (blocked is then null) */
  blockerForgotten?: { setId: string; at: string };
}

const forgottenKey = (storage: string, setId: string): string => `pack-gc:forgotten:${storage}:${setId}`;

export function recordPackGc(catalog: Catalog, at: { storage: string; plan: string; runId?: number | undefined }, gc: PackGcResult): void {
  const next = gc.pending.map((p) => p.deletableAfter).sort()[0];
  catalog.recordPackGc({
    storage: at.storage, plan: at.plan, runId: at.runId ?? null,
    packs: gc.packs, referenced: gc.referenced, deleted: gc.deleted.length, bytesFreed: gc.bytesFreed,
    pending: gc.pending.length, pendingBytes: gc.pending.reduce((a, p) => a + p.bytes, 0), nextDeletableAt: next ?? null,
    failed: gc.failed.length,
    blocked: gc.blocked
      ? { setId: gc.blocked.setId ?? null, reason: gc.blocked.reason, key: gc.blocked.key, ...(gc.blocked.params ? { params: gc.blocked.params } : {}) }
      : null,
  });
}

/** After `cofre forget`: when the latest collection on `storage` was blocked by `setId`, notes that it is gone. */
export function noteSetForgotten(catalog: Catalog, storage: string, setId: string, at: Date): void {
  const latest = catalog.latestPackGc().find((g) => g.storage === storage);
  if (latest?.blocked?.setId === setId && SET_BLOCKS.has(latest.blocked.key ?? '')) catalog.setState(forgottenKey(storage, setId), at.toISOString());
}

/** The latest collection on each storage; one blocked by a set forgotten since is no longer blocked. */
export function currentPackGc(catalog: Catalog): CurrentPackGc[] {
  return catalog.latestPackGc().map((g) => {
    const setId = g.blocked?.setId;
    if (!setId || !SET_BLOCKS.has(g.blocked?.key ?? '')) return g;
    const at = catalog.getState(forgottenKey(g.storage, setId));
    return at !== undefined && Date.parse(at) >= Date.parse(g.at) ? { ...g, blocked: null, blockerForgotten: { setId, at } } : g;
  });
}
