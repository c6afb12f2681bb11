/**
 * Lists sets from storage alone (the source of truth) and says what each one is (SetState in
 * shared/domain.ts). Fail closed: a manifest that cannot be read is never taken for a missing one.
 * A set with no manifest is `incomplete`; a manifest that cannot be read, does not parse, is of an
 * unknown format or names missing / wrong-size objects (a format-2 set: also packs, from one listing
 * of `packs/` made after the sets' listing, only when a format-2 manifest is seen) makes the set
 * `doubtful`; a good manifest
 * that its authenticator refuses makes it `unsigned`. Listing the storage itself failing rejects
 * (the caller names the storage as unreachable, beside the others).
 */
import { KNOWN_MANIFEST_FORMATS, ManifestSchema, type Manifest, type SetState, type SourceType } from '../../shared/domain.js';
import type { AppContext } from '../app/context.js';
import { toErrorInfo } from '../errors.js';
import { setAuthenticator } from '../app/signing.js';
import type { Storage } from '../storage/types.js';
import { SETS_PREFIX, MANIFEST, MANIFEST_SIG, isSetId, setIdTime, manifestKey } from './layout.js';
import { PACKS_PREFIX } from '../files2/packs.js';

export interface SetInfo {
  setId: string;
  plan: string | null;
  createdAt: string;
  /** when the backup finished reading (the manifest's finishedAt): `--at` compares with this */
  finishedAt?: string;
  state: SetState;
  /** true only for `state === 'complete'`: a restore point */
  complete: boolean;
  /** why a set is not complete */
  problem?: string;
  /**
   * the manifest exists but reading it failed (I/O, network, 5xx after retries): nothing about this
   * set is known, so retention and garbage collection must not delete anything on its storage
   */
  unreadable?: boolean;
  bytes: number;
  manifest?: Manifest;
  /**
   * doubtful only because packs its good, authentic manifest references are missing or of another
   * size: never a restore point, but `verify` still checks it whole (and stops their reuse)
   */
  packsDoubtful?: boolean;
  sources: Array<{ name: string; type: SourceType | null; bytes: number }>;
}

/** Decides whether a well-formed manifest is authentic (signature by a configured signer). */
export type SetAuthenticator = (input: {
  setId: string;
  manifest: Manifest;
  /** the exact bytes of manifest.json as stored */
  manifestBytes: Buffer;
  /** every object key under the set's folder, with sizes */
  objects: ReadonlyMap<string, number>;
  storage: Storage;
}) => Promise<{ ok: true } | { ok: false; problem: string }>;

export interface ListSetsOptions {
  /** decides which well-formed sets are authentic; the engine's is `setAuthenticator(config)` (use `listSetsOf`) */
  authenticate: SetAuthenticator;
}

/** Lists a storage's sets, authenticated against the config's signers: what every engine caller uses. */
export async function listSetsOf(ctx: Pick<AppContext, 'config' | 'now'>, storage: Storage): Promise<SetInfo[]> {
  return await listSets(storage, { authenticate: setAuthenticator(ctx.config, ctx.now) });
}

export async function listSets(storage: Storage, opts: ListSetsOptions): Promise<SetInfo[]> {
  const bySet = new Map<string, Map<string, number>>();
  for await (const o of storage.list(SETS_PREFIX)) {
    const [setId, ...rest] = o.key.slice(SETS_PREFIX.length).split('/');
    if (!setId || !isSetId(setId) || rest.length === 0) continue;
    const objects = bySet.get(setId) ?? new Map<string, number>();
    objects.set(o.key, o.bytes);
    bySet.set(setId, objects);
  }
  // Packs are listed once, after the sets (a backup stores its packs before its manifest, so a
  // manifest seen above has its packs in this later listing), alongside the manifests' reads; only
  // a format-2 set waits for it (and sees its failure).
  const packs = (async () => {
    const m = new Map<string, number>();
    for await (const o of storage.list(PACKS_PREFIX)) m.set(o.key, o.bytes);
    return m;
  })();
  packs.catch(() => undefined);
  const storedPacks = (): Promise<Map<string, number>> => packs;
  const out: SetInfo[] = [];
  for (const [setId, objects] of bySet) out.push(await describeSet(storage, setId, objects, storedPacks, opts));
  // Oldest first. A set id carries its start to the second; the manifest's createdAt has the
  // milliseconds, so two sets started within one second still list in the order they ran.
  return out.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.setId.localeCompare(b.setId));
}

async function describeSet(storage: Storage, setId: string, objects: Map<string, number>, storedPacks: () => Promise<Map<string, number>>, opts: ListSetsOptions): Promise<SetInfo> {
  const bytes = [...objects.values()].reduce((a, b) => a + b, 0);
  const base = { setId, createdAt: setIdTime(setId).toISOString(), bytes };
  const notGood = (state: 'incomplete' | 'doubtful', problem: string, plan: string | null = null, extra: Partial<SetInfo> = {}): SetInfo => ({
    ...base, plan, state, complete: false, problem,
    sources: groupBySource([...objects].filter(([k]) => !k.endsWith(`/${MANIFEST}`) && !k.endsWith(`/${MANIFEST_SIG}`)).map(([key, size]) => ({ key, size }))),
    ...extra,
  });
  if (!objects.has(manifestKey(setId))) return notGood('incomplete', 'no manifest: the backup did not finish (or is still running)');
  let manifestBytes: Buffer;
  try {
    manifestBytes = await storage.getBytes(manifestKey(setId));
  } catch (err) {
    return notGood('doubtful', `the manifest could not be read: ${toErrorInfo(err).message}`, null, { unreadable: true });
  }
  let json: unknown;
  try {
    json = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    return notGood('doubtful', 'the manifest is not valid JSON (corrupted)');
  }
  const format = typeof json === 'object' && json !== null ? (json as { format?: unknown }).format : undefined;
  const plan = typeof json === 'object' && json !== null && typeof (json as { plan?: unknown }).plan === 'string' ? (json as { plan: string }).plan : null;
  if (typeof format !== 'string' || !KNOWN_MANIFEST_FORMATS.includes(format)) {
    return notGood('doubtful', `the manifest has an unknown format ${JSON.stringify(format)}: a newer Cofre may have written it; upgrade Cofre to read it`, plan);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) return notGood('doubtful', `the manifest is not valid (${parsed.error.issues[0]?.path.join('.') ?? '?'}: ${parsed.error.issues[0]?.message ?? '?'})`, plan);
  const manifest = parsed.data;
  if (manifest.setId !== setId) return notGood('doubtful', `the manifest names another set (${manifest.setId})`, manifest.plan);
  for (const src of manifest.sources) {
    for (const o of src.objects) {
      const size = objects.get(o.key);
      if (size === undefined) return notGood('doubtful', `object ${o.key} is missing`, manifest.plan);
      if (size !== o.bytes) return notGood('doubtful', `object ${o.key} has ${size} bytes, the manifest says ${o.bytes}`, manifest.plan);
    }
  }
  const script = manifest.format === 'cofre-set/2' ? manifest.restoreScript : undefined;
  if (script && objects.get(script.key) === undefined) return notGood('doubtful', `object ${script.key} is missing`, manifest.plan);
  const good: SetInfo = {
    ...base,
    createdAt: manifest.createdAt,
    finishedAt: manifest.finishedAt,
    plan: manifest.plan,
    state: 'complete',
    complete: true,
    manifest,
    sources: manifest.sources.map((s) => ({ name: s.name, type: s.type, bytes: s.objects.reduce((a, o) => a + o.bytes, 0) })),
  };
  const auth = await opts.authenticate({ setId, manifest, manifestBytes, objects, storage });
  if (!auth.ok) return { ...good, state: 'unsigned', complete: false, problem: auth.problem };
  if (manifest.format === 'cofre-set/2' && manifest.packs?.length) {
    const stored = await storedPacks(); // a failing listing rejects: the storage is unreachable, never "no packs"
    for (const p of manifest.packs) {
      const size = stored.get(p.key);
      const problem = size === undefined ? `pack ${p.key} is missing` : size !== p.bytes ? `pack ${p.key} has ${size} bytes, the manifest says ${p.bytes}` : undefined;
      if (problem) return { ...good, state: 'doubtful', complete: false, problem, packsDoubtful: true };
    }
  }
  return good;
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
  const sets = await listSetsOf(ctx, storage);
  ctx.catalog.cacheSets(
    storageName,
    sets.map((s) => ({ setId: s.setId, plan: s.plan, createdAt: s.createdAt, complete: s.complete, state: s.state, finishedAt: s.finishedAt, bytes: s.bytes, manifest: s.manifest })),
  );
  return sets;
}
