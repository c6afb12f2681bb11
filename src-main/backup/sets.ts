/**
 * Lists sets from storage alone (the source of truth): a set is complete only when its
 * manifest is present, valid, and every object it names exists with the recorded size.
 */
import { ManifestSchema, type Manifest, type SourceType } from '../../shared/domain.js';
import type { AppContext } from '../app/context.js';
import type { Storage } from '../storage/types.js';
import { SETS_PREFIX, MANIFEST, isSetId, setIdTime, manifestKey } from './layout.js';

export interface SetInfo {
  setId: string;
  plan: string | null;
  createdAt: string;
  complete: boolean;
  /** why an incomplete set is incomplete */
  problem?: string;
  bytes: number;
  manifest?: Manifest;
  sources: Array<{ name: string; type: SourceType | null; bytes: number }>;
}

export async function listSets(storage: Storage): Promise<SetInfo[]> {
  const bySet = new Map<string, Map<string, number>>();
  for await (const o of storage.list(SETS_PREFIX)) {
    const [setId, ...rest] = o.key.slice(SETS_PREFIX.length).split('/');
    if (!setId || !isSetId(setId) || rest.length === 0) continue;
    const objects = bySet.get(setId) ?? new Map<string, number>();
    objects.set(o.key, o.bytes);
    bySet.set(setId, objects);
  }
  const out: SetInfo[] = [];
  for (const [setId, objects] of bySet) out.push(await describeSet(storage, setId, objects));
  // Oldest first. A set id carries its start to the second; the manifest's createdAt has the
  // milliseconds, so two sets started within one second still list in the order they ran.
  return out.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.setId.localeCompare(b.setId));
}

async function describeSet(storage: Storage, setId: string, objects: Map<string, number>): Promise<SetInfo> {
  const bytes = [...objects.values()].reduce((a, b) => a + b, 0);
  const base = { setId, createdAt: setIdTime(setId).toISOString(), bytes };
  const incomplete = (problem: string, plan: string | null = null): SetInfo => ({
    ...base, plan, complete: false, problem,
    sources: groupBySource([...objects].filter(([k]) => !k.endsWith(`/${MANIFEST}`)).map(([key, size]) => ({ key, size }))),
  });
  if (!objects.has(manifestKey(setId))) return incomplete('no manifest: the backup did not finish');
  let manifest: Manifest;
  try {
    const parsed = ManifestSchema.safeParse(JSON.parse((await storage.getBytes(manifestKey(setId))).toString('utf8')));
    if (!parsed.success) return incomplete('the manifest is not valid');
    manifest = parsed.data;
  } catch {
    return incomplete('the manifest cannot be read');
  }
  if (manifest.setId !== setId) return incomplete(`the manifest names another set (${manifest.setId})`, manifest.plan);
  for (const src of manifest.sources) {
    for (const o of src.objects) {
      const size = objects.get(o.key);
      if (size === undefined) return incomplete(`object ${o.key} is missing`, manifest.plan);
      if (size !== o.bytes) return incomplete(`object ${o.key} has ${size} bytes, the manifest says ${o.bytes}`, manifest.plan);
    }
  }
  return {
    ...base,
    createdAt: manifest.createdAt,
    plan: manifest.plan,
    complete: true,
    manifest,
    sources: manifest.sources.map((s) => ({ name: s.name, type: s.type, bytes: s.objects.reduce((a, o) => a + o.bytes, 0) })),
  };
}

function groupBySource(objects: Array<{ key: string; size: number }>): SetInfo['sources'] {
  const m = new Map<string, number>();
  for (const o of objects) {
    const name = (o.key.split('/').pop() ?? '').split('.')[0] ?? '';
    m.set(name, (m.get(name) ?? 0) + o.size);
  }
  return [...m].map(([name, bytes]) => ({ name, type: null, bytes }));
}

/** Lists sets from storage and stores the result in the catalog cache (status reads it). */
export async function refreshSetsCache(ctx: AppContext, storageName: string, storage: Storage): Promise<SetInfo[]> {
  const sets = await listSets(storage);
  ctx.catalog.cacheSets(
    storageName,
    sets.map((s) => ({ setId: s.setId, plan: s.plan, createdAt: s.createdAt, complete: s.complete, bytes: s.bytes, manifest: s.manifest })),
  );
  return sets;
}
