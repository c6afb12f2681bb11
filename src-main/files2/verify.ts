/**
 * Verify for format 2, beside backup/verify.ts (which reads indexes, packs and restore.sh whole
 * in deep mode): every pack a set references exists with its recorded size, from one listing of
 * `packs/` (no identity needed); and the content check of an index read whole (every line
 * parses, the counts match the manifest).
 */
import { Writable } from 'node:stream';
import type { Storage } from '../storage/types.js';
import type { CheckStatus, Manifest, ManifestObject } from '../../shared/domain.js';
import { sinkInspector, type Inspector } from '../backup/object-reader.js';
import { toErrorInfo } from '../errors.js';
import { parseEntry } from './index-format.js';
import { PACKS_PREFIX } from './packs.js';
import { FilesState, stateExists } from './state.js';
import { packIdsKey } from './pack-ids.js';

export interface PackPresence {
  name: string;
  status: CheckStatus;
  message: string;
  /** keys (`packs/…`) of the packs missing or of the wrong size */
  bad: string[];
}

export async function checkPackPresence(storage: Storage, manifest: Manifest): Promise<PackPresence[]> {
  if (manifest.format !== 'cofre-set/2' || !manifest.packs?.length) return [];
  const packs = manifest.packs;
  const sizes = new Map<string, number>();
  for await (const o of storage.list(PACKS_PREFIX)) sizes.set(o.key, o.bytes);
  const bad = packs.filter((p) => sizes.get(p.key) !== p.bytes);
  if (bad.length === 0) return [{ name: 'packs', status: 'ok', message: `${packs.length} pack(s) referenced, every one present with its recorded size`, bad: [] }];
  const listed = bad.slice(0, 5).map((p) => `${p.key} (${sizes.has(p.key) ? `${sizes.get(p.key)} bytes, expected ${p.bytes}` : 'missing'})`);
  return [{ name: 'packs', status: 'failed', message: `${bad.length} of ${packs.length} pack(s) missing or of the wrong size: ${listed.join(', ')}${bad.length > 5 ? ', …' : ''}`, bad: bad.map((p) => p.key) }];
}

/** Reads a decrypted index whole, a line at a time (memory does not grow with it): every line parses and the counts equal the manifest's. */
export function indexInspector(o: ManifestObject): Inspector<{ status: CheckStatus; message: string }> {
  let rest = '';
  let lineNo = 0;
  let all = 0;
  const counts = { entries: 0, bytes: 0 };
  let failure: string | undefined;
  const take = (line: string): void => {
    lineNo++;
    if (failure !== undefined || line === '' || line.startsWith('#')) return;
    try {
      const e = parseEntry(line, lineNo);
      all++;
      if (e.type !== 'o') {
        counts.entries++;
        if (e.type === 'f' || e.type === 'h') counts.bytes += e.size;
      }
    } catch (err) {
      failure = toErrorInfo(err).message;
    }
  };
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      const text = rest + chunk.toString('latin1');
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        take(text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
      cb();
    },
  });
  return sinkInspector(sink, () => {
    if (rest !== '') take(rest);
    rest = '';
    if (failure !== undefined) return { status: 'failed', message: failure };
    const ok = counts.entries === o.fileCount && counts.bytes === o.fileBytes;
    return { status: ok ? 'ok' : 'failed', message: `index lists ${all} entries, ${counts.bytes} file bytes${ok ? '' : ` (manifest: ${o.fileCount}, ${o.fileBytes})`}` };
  });
}

/**
 * Packs that failed verify are never reused for deduplication: the dedup state of the backup
 * host whose $COFRE_HOME is `home` forgets their contents (the next backup re-reads those files
 * and uploads the content into new packs) and remembers them as bad; their `.ids` objects are
 * removed from storage (a dedup hint, not backup data), so no host that rebuilds its state from
 * storage trusts them again. Removing a hint only ever costs a re-upload; a storage that refuses
 * (read-only credentials) is left as it is. Returns how many content ids this host forgot.
 */
export async function forgetBadPacks(home: string, storage: Storage, keys: readonly string[], reason: string, now: Date): Promise<number> {
  if (keys.length === 0) return 0;
  await storage.delete(keys.map((k) => packIdsKey(k.slice(PACKS_PREFIX.length)))).catch(() => undefined);
  if (!stateExists(home)) return 0;
  const state = FilesState.open(home);
  try {
    let forgotten = 0;
    for (const key of keys) forgotten += state.markPackBad(storage.describe, key.slice(PACKS_PREFIX.length), reason, now);
    return forgotten;
  } finally {
    state.close();
  }
}
