/**
 * Backs up one files source in format 2: list the tree on the server (find), compare with the
 * host's dedup state, read only new or changed regular files over SSH (`tar --null -T -` with
 * the list on stdin), store content not stored yet in packs, and write the set's encrypted
 * index. Content ids are keyed (HMAC-SHA256 with the host's content key). The dedup state is
 * committed only after the manifest is written (`commit`).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { CofreError } from '../errors.js';
import type { FilesSourceConfig } from '../config/schema.js';
import type { RemoteHost } from '../remote/types.js';
import type { Storage } from '../storage/types.js';
import { encryptBuffer } from '../crypto/age.js';
import { ByteMeter, type ProgressListener } from '../util/progress.js';
import { lastLines } from '../sources/postgres.js';
import type { ManifestRef, ManifestSource } from '../../shared/domain.js';
import { objectKey } from '../backup/layout.js';
import { listTree, type ListedEntry } from './listing.js';
import { formatIndex, type IndexEntry } from './index-format.js';
import { PackWriter, packKey } from './packs.js';
import { expectedCounts } from './restore.js';
import { contentHmac, type FilesState, type KnownFile, type PackRecord, type StoredContent } from './state.js';
import { packIdsKey, recoverDedupState, writePackIds, type DedupLog } from './pack-ids.js';
import { planFullRead } from './full-read.js';

/** Members up to this size are held in memory while hashed; larger ones go to a private temp file. */
const SPOOL_IN_MEMORY = 16 * 1024 * 1024;

export const FILES_V2_FORMAT = 'files-v2';

export function indexKey(setId: string, source: string): string {
  return objectKey(setId, `${source}.index.age`);
}

export interface FilesV2Job {
  host: RemoteHost;
  storage: Storage;
  state: FilesState;
  contentKey: Buffer;
  setId: string;
  name: string;
  src: FilesSourceConfig;
  recipients: string[];
  packBytes: number;
  toolVersion: string;
  signal?: AbortSignal | undefined;
  progress?: ProgressListener | undefined;
  log: DedupLog;
  /** the clock that decides whether a full re-read is due */
  now?: (() => Date) | undefined;
  /** the plan's bandwidth limit on the SSH read (backup/bandwidth.ts), if any */
  readLimit?: ((source: Readable) => Readable) | undefined;
}

export interface FilesV2Stats {
  entries: number;
  /** regular files read over SSH this run */
  filesRead: number;
  /** bytes of the tar stream read over SSH */
  bytesRead: number;
  /** content ids stored for the first time */
  newContents: number;
  /** stored bytes of the packs written by this run */
  newPackBytes: number;
  packsReferenced: number;
  /** every file was read and hashed again (first backup, lost state, or fullReadEvery due) */
  fullRead: boolean;
}

export interface FilesV2Outcome {
  source: ManifestSource;
  index: ManifestRef;
  packs: ManifestRef[];
  stats: FilesV2Stats;
  warnings: string[];
  /** packs written by this run (deleted again if the run fails before its manifest) */
  newPacks: PackRecord[];
  /** right before the manifest: every reused pack still exists with its size (else its content is forgotten and the run fails) */
  confirmReused(): Promise<void>;
  /** after the manifest: records this listing and the new contents in the dedup state */
  commit(): void;
}

/** The identity of the storage in the dedup state: backend + bucket/folder + prefix (never credentials). */
export function storageIdentity(storage: Storage): string {
  return storage.describe;
}

export async function backupFilesV2(job: FilesV2Job): Promise<FilesV2Outcome> {
  const storageId = storageIdentity(job.storage);
  const warnings: string[] = [];
  const listing = await listTree(job.host, job.src, job.signal);
  for (const w of listing.warnings) warnings.push(`${job.name}: ${w}`);
  await recoverDedupState(job.storage, job.state, storageId, job.contentKey, job.log);
  const known = job.state.knownFiles(storageId, job.name);
  const now = job.now?.() ?? new Date();
  const full = planFullRead(job.state, storageId, job.name, job.src.fullReadEvery, known.size > 0, now, job.log);

  // hard-link groups: the first path (in sorted order) carries the content
  const groupOf = new Map<string, { n: number; first: ListedEntry }>();
  const cids = new Map<string, string>(); // path → cid, for the files whose content is known
  const toRead: ListedEntry[] = [];
  let groups = 0;
  for (const e of listing.entries) {
    if (e.kind !== 'f') continue;
    if (e.links > 1) {
      const k = `${e.device}:${e.inode}`;
      if (groupOf.has(k)) continue;
      groupOf.set(k, { n: ++groups, first: e });
    }
    if (e.size === 0) continue;
    const prev = known.get(e.path);
    if (!full.due && prev && prev.size === e.size && prev.mtime === e.mtime && prev.inode === e.inode && prev.ctime === e.ctime && job.state.content(storageId, prev.cid)) {
      cids.set(e.path, prev.cid);
    } else {
      toRead.push(e);
    }
  }

  const writer = new PackWriter(job.storage, job.recipients, { compress: job.src.compress ?? true, targetBytes: job.packBytes, signal: job.signal });
  const newContents = new Map<string, StoredContent>();
  const sizes = new Map<string, number>(); // path → bytes actually read
  let bytesRead = 0;
  try {
    if (toRead.length > 0) {
      job.log('info', `${job.name}: ${listing.entries.length} entries listed; reading ${toRead.length} new or changed file(s) over SSH`);
      bytesRead = await readFiles(job, toRead, async (path, cid, size, body) => {
        cids.set(path, cid);
        sizes.set(path, size);
        if (newContents.has(cid) || job.state.content(storageId, cid)) {
          if (!Buffer.isBuffer(body)) body.destroy();
          return;
        }
        const pack = await writer.add(cid, body, size);
        newContents.set(cid, { pack, size });
      }, warnings);
    } else {
      job.log('info', `${job.name}: ${listing.entries.length} entries listed; nothing new or changed to read`);
    }
    await writer.close();
    await writePackIds(job.storage, job.contentKey, writer.written, newContents);
  } catch (err) {
    writer.abort();
    await deletePacks(job.storage, writer.written);
    throw err;
  }

  const packOf = (cid: string): string => newContents.get(cid)?.pack ?? job.state.content(storageId, cid)?.pack ?? '';
  const entries: IndexEntry[] = [];
  const files: Array<KnownFile & { path: string }> = [];
  const firstOf = new Map<number, IndexEntry>();
  for (const e of listing.entries) {
    const base = {
      path: e.path, mode: e.mode, uid: e.uid, gid: e.gid, owner: e.owner, group: e.group, mtime: e.mtime,
      size: 0, target: '', linkGroup: 0, sparse: false, cid: '', pack: '', member: '',
    };
    if (e.kind === 'd') entries.push({ ...base, type: 'd' });
    else if (e.kind === 'l') entries.push({ ...base, type: 'l', target: e.target });
    else if (e.kind !== 'f') entries.push({ ...base, type: 'o' });
    else {
      const group = e.links > 1 ? groupOf.get(`${e.device}:${e.inode}`) : undefined;
      const carrier = group?.first ?? e;
      const cid = carrier.size === 0 ? '' : cids.get(carrier.path);
      if (cid === undefined) continue; // vanished between listing and reading (warned)
      const size = carrier.size === 0 ? 0 : sizes.get(carrier.path) ?? carrier.size;
      const content = { size, sparse: e.sparse, cid, pack: cid ? packOf(cid) : '', member: cid, linkGroup: group?.n ?? 0 };
      if (group && group.first !== e) {
        const first = firstOf.get(group.n);
        if (!first) continue;
        entries.push({ ...base, ...content, type: 'h', target: first.path });
      } else {
        const entry: IndexEntry = { ...base, ...content, type: 'f' };
        entries.push(entry);
        if (group) firstOf.set(group.n, entry);
        if (cid) files.push({ path: e.path, size: e.size, mtime: e.mtime, inode: e.inode, ctime: e.ctime, cid });
      }
    }
  }
  for (const e of entries) {
    if (e.cid && !e.pack) throw new CofreError('INTERNAL', `${job.name}: content of an entry has no pack`, { hint: 'report this; the set was not written' });
  }

  const indexText = Buffer.from(formatIndex(entries), 'utf8');
  const sealed = await encryptBuffer(indexText, job.recipients);
  const key = indexKey(job.setId, job.name);
  let stored;
  try {
    stored = await job.storage.put(key, Readable.from([sealed]), job.signal ? { signal: job.signal } : {});
  } catch (err) {
    await deletePacks(job.storage, writer.written);
    throw err;
  }

  const written = new Map(writer.written.map((p) => [p.pack, p]));
  const referenced = [...new Set(entries.filter((e) => e.pack).map((e) => e.pack))].sort();
  const packs: ManifestRef[] = referenced.map((name) => {
    const rec = written.get(name) ?? job.state.pack(storageId, name);
    if (!rec) throw new CofreError('INTERNAL', `${job.name}: pack ${name} is not in the dedup state`, { hint: 'report this; the set was not written' });
    return { key: packKey(name), bytes: rec.bytes, sha256: rec.sha256 };
  });
  const reused = packs.filter((p) => !written.has(p.key.slice('packs/'.length)));
  const stats: FilesV2Stats = {
    entries: entries.length, filesRead: toRead.length, bytesRead, newContents: newContents.size,
    newPackBytes: writer.written.reduce((a, p) => a + p.bytes, 0), packsReferenced: packs.length, fullRead: full.due,
  };
  job.log('info', `${job.name}: read ${bytesRead} bytes over SSH (${toRead.length} file(s)); ${newContents.size} new content(s) in ${writer.written.length} new pack(s) of ${stats.newPackBytes} bytes; ${packs.length} pack(s) referenced`);
  const index = { key, bytes: stored.bytes, sha256: stored.sha256 };
  // what a restore of the whole source places, as find counts it on the target (special files are not restored)
  const counts = expectedCounts(entries);
  return {
    source: {
      name: job.name, type: 'files', server: job.src.server, tool: 'find+tar', toolVersion: job.toolVersion,
      objects: [{ part: 'index', format: FILES_V2_FORMAT, key, bytes: stored.bytes, plainBytes: indexText.length, sha256: stored.sha256, fileCount: counts.entries, fileBytes: counts.bytes }],
    },
    index,
    packs,
    stats,
    warnings,
    newPacks: writer.written,
    confirmReused: async () => {
      for (const p of reused) {
        const info = await job.storage.head(p.key);
        if (!info || info.bytes !== p.bytes) {
          job.state.forgetPack(storageId, p.key.slice('packs/'.length));
          throw new CofreError('INTEGRITY', `pack ${p.key} that this set reuses is ${info ? `${info.bytes} bytes, expected ${p.bytes}` : 'missing'} in ${job.storage.describe}`, {
            hint: 'its content is forgotten by this host: run the backup again and it uploads that content anew',
          });
        }
      }
    },
    commit: () => {
      job.state.commit(storageId, job.name, files, [...newContents].map(([cid, c]) => ({ cid, ...c })), writer.written);
      if (full.due) job.state.recordFullRead(storageId, job.name, now);
    },
  };
}

export async function deletePacks(storage: Storage, packs: readonly PackRecord[]): Promise<void> {
  if (packs.length === 0) return;
  await storage.delete(packs.flatMap((p) => [packKey(p.pack), packIdsKey(p.pack)])).catch(() => undefined);
}

type OnContent = (path: string, cid: string, size: number, body: Buffer | Readable) => Promise<void>;

/** Reads these regular files over SSH with one tar; returns the bytes read. Files that vanished are warnings. */
async function readFiles(job: FilesV2Job, list: ListedEntry[], onContent: OnContent, warnings: string[]): Promise<number> {
  const names = Buffer.from(list.map((e) => `${e.path.replace(/^\/+/, '')}\0`).join(''), 'utf8');
  const p = job.host.exec('tar --create --file=- --format=posix --no-recursion --ignore-failed-read --null --verbatim-files-from -C / -T -', {
    stdin: Readable.from([names]), label: 'tar', okCodes: [0, 1],
  });
  const onAbort = (): void => p.cancel();
  job.signal?.addEventListener('abort', onAbort, { once: true });
  const meter = new ByteMeter('backup', job.progress, { source: job.name });
  const ex = tarExtract();
  const read = job.readLimit ? job.readLimit(p.stdout) : p.stdout;
  read.on('error', (err) => meter.destroy(err));
  meter.on('error', (err) => ex.destroy(err));
  read.pipe(meter).pipe(ex);
  const wanted = new Set(list.map((e) => e.path));
  const seen = new Set<string>();
  let spoolDir: string | undefined;
  try {
    for await (const entry of ex) {
      const path = `/${entry.header.name.replace(/\/+$/, '')}`;
      if (entry.header.type !== 'file' || !wanted.has(path) || seen.has(path)) {
        entry.resume();
        continue;
      }
      seen.add(path);
      const size = entry.header.size ?? 0;
      const hmac = contentHmac(job.contentKey);
      if (size <= SPOOL_IN_MEMORY) {
        const chunks: Buffer[] = [];
        for await (const c of entry) { hmac.update(c as Buffer); chunks.push(c as Buffer); }
        await onContent(path, hmac.digest('hex'), size, Buffer.concat(chunks));
      } else {
        spoolDir ??= await mkdtemp(join(tmpdir(), 'cofre-spool-'));
        const file = join(spoolDir, 'member');
        const out = createWriteStream(file, { mode: 0o600 });
        entry.on('data', (c) => { hmac.update(c as Buffer); });
        entry.pipe(out);
        await finished(out);
        await onContent(path, hmac.digest('hex'), size, createReadStream(file));
        await rm(file, { force: true });
      }
    }
    const r = await p.done;
    if (r.code !== 0 && r.code !== 1) {
      throw new CofreError('REMOTE_COMMAND_FAILED', `tar failed reading the changed files (exit ${r.code ?? r.signal}): ${lastLines(r.stderr)}`, {
        hint: 'check that the backup user can read every file under the listed paths',
      });
    }
    const missing = list.length - seen.size;
    if (missing > 0) warnings.push(`${job.name}: ${missing} file(s) vanished between the listing and the read; they are not in this set`);
    if (r.code === 1) warnings.push(`${job.name}: tar: some files changed while they were read: ${lastLines(r.stderr, 2)}`);
    for (const w of warnings) job.log('warn', w);
    return meter.bytes;
  } catch (err) {
    p.cancel();
    throw err;
  } finally {
    job.signal?.removeEventListener('abort', onAbort);
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  }
}
