/**
 * The console's file browser of a set: the set's index (format 2) read and decrypted once and
 * kept for a few sets in this process (the console asks for one folder or one search page at a
 * time) while the set stays complete in its storage's last listing (a set forgotten, pruned or
 * found doubtful since, by this process or another, is dropped at the next request); the same path across the other complete sets; "salvar no computador" (the desktop app's
 * save dialog, or a one-time download link for a browser console), audited with who, which set,
 * which path and where it went.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { CofreError, toErrorInfo } from '../../errors.js';
import { said } from '../../../shared/i18n/catalog.js';
import { configuredIdentities } from '../../app/identity.js';
import { selectSet } from '../../restore/select.js';
import { listStorages, storagesFor } from '../../backup/storage-sets.js';
import { readIndex } from '../../files2/restore.js';
import { BrowseIndex, toFileEntry, type SourcedEntry } from '../../files2/browse.js';
import { planExport, writeExport } from '../../files2/export.js';
import { sameContentId } from '../../files2/index-format.js';
import type { Manifest, ManifestRef } from '../../../shared/domain.js';
import type { FileVersion } from '../../../shared/rpc/contracts/files.js';
import type { CallContext, EngineServices } from '../services.js';
import type { Runtime } from './runtime.js';

/** How many sets' indexes stay in memory (about 150 bytes an entry). */
const CACHED_SETS = 4;
/** How many complete sets "outras versões" looks into, newest first. */
const VERSION_SETS = 30;
/** A download link is good once, for this long. */
const DOWNLOAD_TTL_MS = 5 * 60_000;

interface LoadedSet {
  setId: string;
  storage: string;
  manifest: Manifest;
  /** undefined: a format-1 set (one archive per files source) */
  index: BrowseIndex | undefined;
  filesSources: string[];
}

interface Ticket {
  setId: string;
  path: string;
  actor: string;
  expires: number;
}

type FilesServices = Pick<EngineServices, 'files'>;

export function filesServices(rt: Runtime): FilesServices {
  const { ctx } = rt;
  const cache = new Map<string, Promise<LoadedSet>>();
  const tickets = new Map<string, Ticket>();

  const load = async (setId: string, storage: string, manifest: Manifest): Promise<LoadedSet> => {
    const config = rt.config();
    const filesSources = manifest.sources.filter((s) => s.type === 'files');
    const v2 = filesSources.flatMap((s) => s.objects.filter((o) => o.format === 'files-v2').map((o) => ({ source: s.name, object: o })));
    if (v2.length === 0) return { setId, storage, manifest, index: undefined, filesSources: filesSources.map((s) => s.name) };
    const store = ctx.storage(storage);
    try {
      const identities = await configuredIdentities(config, ctx.env);
      const entries: SourcedEntry[] = [];
      for (const { source, object } of v2) for (const e of await readIndex(store, object, identities)) entries.push({ ...e, source });
      return { setId, storage, manifest, index: new BrowseIndex(entries), filesSources: filesSources.map((s) => s.name) };
    } finally {
      store.close();
    }
  };

  /** setId → storage of each loaded set (for dropping it) */
  const loadedOn = new Map<string, string>();
  /**
   * Drops the indexes of sets no longer complete in their storage's last listing (the catalog's
   * cache, refreshed by every listing: the console's, forget's, prune's, a backup's).
   */
  const dropGone = (): void => {
    const complete = new Map<string, Set<string>>();
    for (const [setId, storage] of loadedOn) {
      let ids = complete.get(storage);
      if (!ids) complete.set(storage, (ids = ctx.catalog.cachedCompleteSetIds(storage)));
      if (!ids.has(setId)) {
        cache.delete(setId);
        loadedOn.delete(setId);
      }
    }
  };

  const cached = (setId: string, make: () => Promise<LoadedSet>): Promise<LoadedSet> => {
    dropGone();
    const hit = cache.get(setId);
    if (hit) {
      cache.delete(setId);
      cache.set(setId, hit);
      return hit;
    }
    const p = make();
    cache.set(setId, p);
    p.then((set) => { if (cache.get(setId) === p) loadedOn.set(setId, set.storage); }, () => cache.delete(setId));
    while (cache.size > CACHED_SETS) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
      loadedOn.delete(oldest);
    }
    return p;
  };

  /** A complete set by id (the same fail-closed choice as a restore), its index loaded. */
  const setById = (setId: string): Promise<LoadedSet> =>
    cached(setId, async () => {
      const picked = await selectSet(ctx, { setId });
      return load(picked.setId, picked.storage, picked.manifest);
    });

  const indexOf = async (setId: string): Promise<LoadedSet & { index: BrowseIndex }> => {
    const set = await setById(setId);
    if (!set.index) {
      throw new CofreError('INVALID_ARGUMENT', `set ${setId} is in format 1 (one archive per source): it has no file index to browse`, {
        ...said('browser.noIndex', { setId }), hint: 'restore the whole set to a target',
      });
    }
    return { ...set, index: set.index };
  };

  const packsOf = (manifest: Manifest): readonly ManifestRef[] => (manifest.format === 'cofre-set/2' ? (manifest.packs ?? []) : []);

  /** Writes one path of a set; audits it as saved to `savedTo` once every byte is written. */
  const save = async (call: CallContext, setId: string, path: string, savedTo: string, out: Writable): Promise<number> => {
    const set = await indexOf(setId);
    const plan = planExport(set.index.entries, path);
    const config = rt.config();
    const store = ctx.storage(set.storage);
    try {
      const bytes = await writeExport({ storage: store, identities: await configuredIdentities(config, ctx.env), packs: packsOf(set.manifest), plan }, out);
      rt.audit(call, 'files.save', setId, { path, savedTo, bytes });
      return bytes;
    } catch (err) {
      rt.audit(call, 'files.saveFailed', setId, { path, savedTo, error: toErrorInfo(err).message });
      throw err;
    } finally {
      store.close();
    }
  };

  return {
    files: {
      async list(input) {
        const set = await setById(input.setId);
        if (!set.index) return { setId: set.setId, format: 'archive', entries: [], total: 0, page: 1, pages: 1, sources: set.filesSources };
        const page = set.index.list(input);
        return { setId: set.setId, format: 'index', ...page, sources: set.filesSources };
      },
      async versions(setId, path) {
        const current = await indexOf(setId);
        const mine = current.index.get(path);
        if (!mine) throw new CofreError('INVALID_ARGUMENT', `${path} is not in set ${setId}`, { ...said('browser.pathNotInSet', { path }), hint: "choose the path in the set's file browser" });
        const listing = await listStorages(ctx, { storages: storagesFor(ctx, undefined) });
        const complete = listing.sets
          .filter((s) => s.state === 'complete' && s.manifest)
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
          .slice(0, VERSION_SETS);
        const versions: FileVersion[] = [];
        const skipped: Array<{ setId: string; reason: 'archive' | 'unreadable' }> = [];
        for (const s of complete) {
          const manifest = s.manifest;
          if (!manifest) continue;
          let other: LoadedSet;
          try {
            other = s.setId === current.setId ? current : await cached(s.setId, () => load(s.setId, s.storage, manifest));
          } catch (err) {
            rt.log(`console: reading the index of ${s.setId}: ${toErrorInfo(err).message}`);
            skipped.push({ setId: s.setId, reason: 'unreadable' });
            continue;
          }
          if (!other.index) {
            if (other.filesSources.length > 0) skipped.push({ setId: s.setId, reason: 'archive' });
            continue;
          }
          const e = other.index.get(path);
          if (!e) continue;
          const f = toFileEntry(e);
          versions.push({
            setId: s.setId, plan: s.plan ?? manifest.plan, storage: s.storage, createdAt: s.createdAt, type: f.type, size: f.size, mtime: f.mtime,
            sameContent: e.type === mine.type && sameContentId(e.cid, mine.cid) && e.size === mine.size && e.target === mine.target, current: s.setId === current.setId,
          });
        }
        return { path, versions, skipped };
      },
      async save(input, call) {
        const set = await indexOf(input.setId);
        const plan = planExport(set.index.entries, input.path);
        const dialog = rt.opts.saveDialog;
        if (dialog) {
          const dest = await dialog(plan.name);
          if (!dest) return { kind: 'cancelled' };
          const part = `${dest}.cofre-part`;
          try {
            const bytes = await save(call, input.setId, input.path, dest, createWriteStream(part, { mode: 0o600 }));
            await rename(part, dest);
            return { kind: 'saved', savedTo: dest, bytes };
          } catch (err) {
            await rm(part, { force: true });
            throw err;
          }
        }
        const now = Date.now();
        for (const [k, t] of tickets) if (t.expires < now) tickets.delete(k);
        const ticket = randomBytes(24).toString('base64url');
        tickets.set(ticket, { setId: input.setId, path: input.path, actor: call.actor, expires: now + DOWNLOAD_TTL_MS });
        return { kind: 'download', url: `/download/${ticket}`, name: plan.name };
      },
      async takeDownload(ticket) {
        const t = tickets.get(ticket);
        tickets.delete(ticket);
        if (!t || t.expires < Date.now()) return undefined;
        const set = await indexOf(t.setId);
        const plan = planExport(set.index.entries, t.path);
        return {
          name: plan.name,
          ...(plan.size !== undefined ? { size: plan.size } : {}),
          write: (out) => save({ actor: t.actor }, t.setId, t.path, `download: ${plan.name}`, out),
        };
      },
    },
  };
}
