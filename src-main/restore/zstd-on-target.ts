/**
 * Whether a restore needs zstd on the restore target. A compressed dump is decompressed there; a
 * format-2 files item only when a compressed pack it needs is sent whole: a pack filtered on the
 * backup host (granular restore) arrives as a plain tar. The preflight asks the transfer's own
 * routing (routePacks, on the selection it kept while reading the index), so it requires exactly
 * what the transfer will run. Without that selection every compressed pack counts (fail closed).
 */
import { packKey, isCompressedPack } from '../files2/packs.js';
import { routePacks, type PreparedSelection } from '../files2/restore.js';
import type { ManifestRef } from '../../shared/domain.js';
import type { RestoreItem } from './types.js';

/** The item holds compressed objects: a `.zst` dump, or files in zstd-compressed packs. */
export function needsZstd(item: RestoreItem): boolean {
  return item.object.format.endsWith('.zst') || (item.packs ?? []).some((p) => isCompressedPack(p.key));
}

/** The item, restored from this selection, runs zstd on the target. */
export async function zstdOnTarget(item: RestoreItem, prepared: PreparedSelection | undefined): Promise<boolean> {
  if (item.object.format !== 'files-v2' || !prepared) return needsZstd(item);
  const byKey = new Map((item.packs ?? []).map((p) => [p.key, p]));
  const refs: ManifestRef[] = [];
  for (const name of prepared.packs) {
    const ref = byKey.get(packKey(name));
    // a pack the manifest does not list: the transfer refuses the set; here, assume the worst
    if (!ref) return needsZstd(item);
    refs.push(ref);
  }
  const routes = await routePacks(refs, prepared.packs, prepared, undefined);
  return routes.some((r) => !r.filter && isCompressedPack(r.ref.key));
}
