/**
 * Keeps what a prune's pack garbage collection did in the catalog (table pack_gc), so the console
 * shows it where a technician looks after a nightly run: the run's detail in Execuções and the
 * storage's line in Cópias. The English reason stays the technical detail; the key names the text.
 */
import type { Catalog } from '../catalog/catalog.js';
import type { PackGcResult } from './pack-gc.js';

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
