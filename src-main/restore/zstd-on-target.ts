/**
 * Whether a restore needs zstd on the restore target. A compressed dump is decompressed there; a
 * format-2 files item only when a compressed pack it needs is sent whole: a pack filtered on the
 * backup host (granular restore) arrives as a plain tar. The preflight asks the transfer's own
 * routing (routePacks, on the selection it kept while reading the index), so it requires exactly
 * what the transfer will run. Without that selection every compressed pack counts (fail closed).
 */
import { isCompressedPack, neededRefs } from '../files2/packs.js';
import { routePacks, routesNeedZstd, type PreparedSelection } from '../files2/restore.js';
import type { ManifestRef } from '../../shared/domain.js';
import type { RestoreItem } from './types.js';

/** The item holds compressed objects: a `.zst` dump, or files in zstd-compressed packs. */
export function needsZstd(item: RestoreItem): boolean {
  return item.object.format.endsWith('.zst') || (item.packs ?? []).some((p) => isCompressedPack(p.key));
}

/** The item, restored from this selection, runs zstd on the target. */
export async function zstdOnTarget(item: RestoreItem, prepared: PreparedSelection | undefined): Promise<boolean> {
  if (item.object.format !== 'files-v2' || !prepared) return needsZstd(item);
  const found = neededRefs(item.packs ?? [], prepared.packs);
  const refs = found.filter((ref): ref is ManifestRef => ref !== undefined);
  // a pack the manifest does not list: the transfer refuses the set; here, assume the worst
  if (refs.length < found.length) return needsZstd(item);
  return routesNeedZstd(await routePacks(refs, prepared.packs, prepared, undefined));
}
