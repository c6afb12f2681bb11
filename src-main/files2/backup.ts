/**
 * Backs up one files source in format 2: list the tree on the server (find), compare with the
 * host's dedup state, read only new or changed regular files over SSH (`tar --null -T -` with
 * the list on stdin), store content not stored yet in packs, and write the set's encrypted
 * index. Content ids are keyed (HMAC-SHA256 with the host's content key). The dedup state is
 * committed only after the manifest is written (`commit`).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { CofreError } from '../errors.js';
import type { FilesSourceConfig } from '../config/schema.js';
import type { RemoteHost } from '../remote/types.js';
import type { Storage } from '../storage/types.js';
import { ByteMeter, type ProgressListener } from '../util/progress.js';
import { lastLines } from '../sources/postgres.js';
import type { ManifestRef, ManifestSource } from '../../shared/domain.js';
import { objectKey } from '../backup/layout.js';
import { listTree } from './listing.js';
import { formatEntry, newEntryIds, type IndexEntry } from './index-format.js';
import { IndexUpload, type UploadedIndex } from './index-upload.js';
import { PackWriter, packKey } from './packs.js';
import { contentHmac, type FilesState, type PackRecord } from './state.js';
import { packIdsKey, recoverDedupState, writePackIds, type DedupLog } from './pack-ids.js';
import { planFullRead } from './full-read.js';
import { Spool } from './spool.js';
import { BackupScratch } from './scratch.js';

/** Members up to this size are held in memory while hashed; larger ones go to a file in the job's spool. */
const SPOOL_IN_MEMORY = 16 * 1024 * 1024;
/** Members up to this size are handed to the pack as one Buffer, larger ones as a stream of their chunks. */
const WHOLE_MEMBER = 256 * 1024;

/** Yields the chunks and drops each one from the array as it goes (the array holds only what is not written yet). */
function* drain(chunks: Buffer[]): Generator<Buffer> {
  for (let c = chunks.shift(); c !== undefined; c = chunks.shift()) yield c;
}

export const FILES_V2_FORMAT = 'files-v2';

/** `<source>.index.zst.age` when compressed (the default), `<source>.index.age` otherwise. */
export function indexKey(setId: string, source: string, compressed: boolean): string {
  return objectKey(setId, `${source}.index${compressed ? '.zst' : ''}.age`);
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
  /** after the manifest: records this listing and the new contents in the dedup state (then disposes) */
  commit(): void;
  /** removes what the run kept on disk (the spool); commit does it too */
  dispose(): Promise<void>;
}

/** The identity of the storage in the dedup state: backend + bucket/folder + prefix (never credentials). */
export function storageIdentity(storage: Storage): string {
  return storage.describe;
}

export async function backupFilesV2(job: FilesV2Job): Promise<FilesV2Outcome> {
  // everything proportional to the tree (listing, content ids, the listing for the dedup state)
  // lives in the spool on disk: memory stays flat from a thousand files to millions
  const spool = await Spool.open('files2');
  const scratch = new BackupScratch(spool);
  const dispose = async (): Promise<void> => { scratch.close(); await spool.dispose(); };
  try {
    return await backupWithSpool(job, spool, scratch, dispose);
  } catch (err) {
    await dispose();
    throw err;
  }
}

async function backupWithSpool(job: FilesV2Job, spool: Spool, scratch: BackupScratch, dispose: () => Promise<void>): Promise<FilesV2Outcome> {
  const storageId = storageIdentity(job.storage);
  const warnings: string[] = [];
  const listing = await listTree(job.host, job.src, spool, job.signal);
  for (const w of listing.warnings) warnings.push(`${job.name}: ${w}`);
  await recoverDedupState(job.storage, job.state, storageId, job.contentKey, job.log);
  const now = job.now?.() ?? new Date();
  const full = planFullRead(job.state, storageId, job.name, job.src.fullReadEvery, job.state.hasListing(storageId, job.name), now, job.log);

  // pass 1: which files to read. Hard-link groups (kept in memory: one small record per
  // hard-linked inode): the first path in sorted order carries the content.
  const groupOf = new Map<string, { n: number; first: string; size: number }>();
  const namesFile = spool.file('to-read');
  const names = createWriteStream(namesFile, { mode: 0o600 });
  let toRead = 0;
  let groups = 0;
  const knownStored = full.due ? undefined : job.state.knownStoredInOrder(storageId, job.name);
  for await (const e of listing.entries()) {
    if (e.kind !== 'f') continue;
    if (e.links > 1) {
      const k = `${e.device}:${e.inode}`;
      if (groupOf.has(k)) continue;
      groupOf.set(k, { n: ++groups, first: e.path, size: e.size });
    }
    if (e.size === 0) continue;
    const prev = knownStored?.(e.path);
    if (prev && prev.size === e.size && prev.mtime === e.mtime && prev.inode === e.inode && prev.ctime === e.ctime) {
      scratch.addFile(e.path, prev);
    } else {
      scratch.addFile(e.path, null);
      toRead++;
      if (!names.write(`${e.path.replace(/^\/+/, '')}\0`)) await once(names, 'drain');
    }
  }
  names.end();
  await finished(names);
  scratch.flush();

  const writer = new PackWriter(job.storage, job.recipients, { compress: job.src.compress ?? true, targetBytes: job.packBytes, signal: job.signal });
  let bytesRead = 0;
  try {
    if (toRead > 0) {
      job.log('info', `${job.name}: ${listing.count} entries listed; reading ${toRead} new or changed file(s) over SSH`);
      bytesRead = await readFiles(job, spool, namesFile, toRead, scratch, async (cid, size, body) => {
        if (scratch.content(cid) || job.state.content(storageId, cid)) {
          if (!Buffer.isBuffer(body)) body.destroy();
          return;
        }
        const pack = await writer.add(cid, body, size);
        scratch.addContent(cid, { pack, size });
      }, warnings);
    } else {
      job.log('info', `${job.name}: ${listing.count} entries listed; nothing new or changed to read`);
    }
    await writer.close();
    await writePackIds(job.storage, job.contentKey, writer.written, (pack) => scratch.contentsOf(pack));
  } catch (err) {
    writer.abort();
    await deletePacks(job.storage, writer.written);
    throw err;
  }

  // pass 3: the index, stored as it is made: lines → zstd (when compress is on) → age → storage
  const packOf = (cid: string): string => scratch.content(cid)?.pack ?? job.state.content(storageId, cid)?.pack ?? '';
  const referenced = new Set<string>();
  const counts = { all: 0, entries: 0, bytes: 0 };
  const firstOf = new Map<number, string>(); // hard-link group → the path of its entry that carries the content
  async function writeIndex(upload: IndexUpload): Promise<void> {
    const add = async (entry: IndexEntry): Promise<void> => {
      counts.all++;
      if (entry.type !== 'o') {
        counts.entries++;
        if (entry.type === 'f' || entry.type === 'h') counts.bytes += entry.size;
      }
      if (entry.cid && !entry.pack) throw new CofreError('INTERNAL', `${job.name}: content of an entry has no pack`, { hint: 'report this; the set was not written' });
      if (entry.pack) referenced.add(entry.pack);
      await upload.line(formatEntry(entry));
    };
    for await (const e of listing.entries()) {
      const base = {
        path: e.path, mode: e.mode, uid: e.uid, gid: e.gid, owner: e.owner, group: e.group, mtime: e.mtime,
        size: 0, target: '', linkGroup: 0, sparse: false, cid: '', pack: '', member: '',
      };
      if (e.kind === 'd') await add({ ...base, type: 'd' });
      else if (e.kind === 'l') await add({ ...base, type: 'l', target: e.target });
      else if (e.kind !== 'f') await add({ ...base, type: 'o' });
      else {
        const group = e.links > 1 ? groupOf.get(`${e.device}:${e.inode}`) : undefined;
        const carrierSize = group?.size ?? e.size;
        let cid = '';
        let size = 0;
        let pack = '';
        if (carrierSize !== 0) {
          const row = scratch.file(group?.first ?? e.path);
          if (!row || row.cid === null) continue; // vanished between listing and reading (warned)
          cid = row.cid;
          size = row.size ?? carrierSize;
          // unchanged since the last listing: its pack came with it (no look-up per entry)
          pack = row.pack ?? packOf(cid);
        }
        // the index holds the short form, and no member field (`-`: the cid names it); the pack's
        // member is named by the whole id, and the dedup state keeps it whole
        const content = { size, sparse: e.sparse, ...newEntryIds(cid), pack, linkGroup: group?.n ?? 0 };
        if (group && group.first !== e.path) {
          const first = firstOf.get(group.n);
          if (first === undefined) continue;
          await add({ ...base, ...content, type: 'h', target: first });
        } else {
          await add({ ...base, ...content, type: 'f' });
          if (group) firstOf.set(group.n, e.path);
          if (cid) scratch.addKnown({ path: e.path, size: e.size, mtime: e.mtime, inode: e.inode, ctime: e.ctime, cid });
        }
      }
    }
    scratch.flush();
  }

  // pass 4: the upload ends; nothing of a failed index is left behind (nor this run's packs)
  const compress = job.src.compress ?? true;
  const key = indexKey(job.setId, job.name, compress);
  // the hint sizes S3's parts (5 MiB, not 16 MiB for an object of unknown size)
  const upload = new IndexUpload(job.storage, key, job.recipients, listing.count * 512, job.signal ? { signal: job.signal } : {});
  let stored: UploadedIndex;
  try {
    try {
      await writeIndex(upload);
    } catch (err) {
      throw await upload.abort(err);
    }
    stored = await upload.finish();
  } catch (err) {
    await deletePacks(job.storage, writer.written);
    throw err;
  }

  const written = new Map(writer.written.map((p) => [p.pack, p]));
  const packs: ManifestRef[] = [...referenced].sort().map((name) => {
    const rec = written.get(name) ?? job.state.pack(storageId, name);
    if (!rec) throw new CofreError('INTERNAL', `${job.name}: pack ${name} is not in the dedup state`, { hint: 'report this; the set was not written' });
    return { key: packKey(name), bytes: rec.bytes, sha256: rec.sha256 };
  });
  const reused = packs.filter((p) => !written.has(p.key.slice('packs/'.length)));
  const stats: FilesV2Stats = {
    entries: counts.all, filesRead: toRead, bytesRead, newContents: scratch.contents,
    newPackBytes: writer.written.reduce((a, p) => a + p.bytes, 0), packsReferenced: packs.length, fullRead: full.due,
  };
  job.log('info', `${job.name}: read ${bytesRead} bytes over SSH (${toRead} file(s)); ${scratch.contents} new content(s) in ${writer.written.length} new pack(s) of ${stats.newPackBytes} bytes; ${packs.length} pack(s) referenced`);
  job.log('info', `${job.name}: index of ${counts.all} entries: ${stored.textBytes} bytes of text, ${stored.bytes} stored${compress ? ' (zstd)' : ''}`);
  const index = { key, bytes: stored.bytes, sha256: stored.sha256 };
  return {
    source: {
      name: job.name, type: 'files', server: job.src.server, tool: 'find+tar', toolVersion: job.toolVersion,
      // what a restore of the whole source places, as find counts it on the target (special files are not restored)
      objects: [{ part: 'index', format: FILES_V2_FORMAT, key, bytes: stored.bytes, plainBytes: stored.plainBytes, sha256: stored.sha256, fileCount: counts.entries, fileBytes: counts.bytes }],
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
      try {
        job.state.commit(storageId, job.name, scratch.knownListing(), scratch.storedContents(), writer.written);
        if (full.due) job.state.recordFullRead(storageId, job.name, now);
      } finally {
        void dispose();
      }
    },
    dispose,
  };
}

export async function deletePacks(storage: Storage, packs: readonly PackRecord[]): Promise<void> {
  if (packs.length === 0) return;
  await storage.delete(packs.flatMap((p) => [packKey(p.pack), packIdsKey(p.pack)])).catch(() => undefined);
}

type OnContent = (cid: string, size: number, body: Buffer | Readable) => Promise<void>;

/**
 * Reads the regular files named in `namesFile` (NUL-separated, as `tar -T` takes them) over SSH
 * with one tar; records each one's content id and size in the scratch; returns the bytes read.
 * Files that vanished are warnings.
 */
async function readFiles(job: FilesV2Job, spool: Spool, namesFile: string, count: number, scratch: BackupScratch, onContent: OnContent, warnings: string[]): Promise<number> {
  const p = job.host.exec('tar --create --file=- --format=posix --no-recursion --ignore-failed-read --null --verbatim-files-from -C / -T -', {
    stdin: createReadStream(namesFile), label: 'tar', okCodes: [0, 1],
  });
  const onAbort = (): void => p.cancel();
  job.signal?.addEventListener('abort', onAbort, { once: true });
  const meter = new ByteMeter('backup', job.progress, { source: job.name });
  const ex = tarExtract();
  const read = job.readLimit ? job.readLimit(p.stdout) : p.stdout;
  read.on('error', (err) => meter.destroy(err));
  meter.on('error', (err) => ex.destroy(err));
  read.pipe(meter).pipe(ex);
  let seen = 0;
  const memberFile = spool.file('member');
  try {
    for await (const entry of ex) {
      const path = `/${entry.header.name.replace(/\/+$/, '')}`;
      // wanted: listed to be read, and not read yet
      const row = entry.header.type === 'file' ? scratch.file(path) : undefined;
      if (!row || row.cid !== null) {
        entry.resume();
        continue;
      }
      seen++;
      const size = entry.header.size ?? 0;
      const hmac = contentHmac(job.contentKey);
      let cid: string;
      if (size <= SPOOL_IN_MEMORY) {
        const chunks: Buffer[] = [];
        for await (const c of entry) { hmac.update(c as Buffer); chunks.push(c as Buffer); }
        cid = hmac.digest('hex');
        scratch.setRead(path, cid, size);
        // a small member goes to the pack as one Buffer; a larger one as its chunks, let go as the
        // pack takes them (no second copy, and zstd's pace holds back the next read)
        await onContent(cid, size, size <= WHOLE_MEMBER ? Buffer.concat(chunks) : Readable.from(drain(chunks), { objectMode: false }));
      } else {
        const file = memberFile;
        const out = createWriteStream(file, { mode: 0o600 });
        entry.on('data', (c) => { hmac.update(c as Buffer); });
        entry.pipe(out);
        await finished(out);
        cid = hmac.digest('hex');
        scratch.setRead(path, cid, size);
        await onContent(cid, size, createReadStream(file));
        await rm(file, { force: true });
      }
    }
    scratch.flush();
    const r = await p.done;
    if (r.code !== 0 && r.code !== 1) {
      throw new CofreError('REMOTE_COMMAND_FAILED', `tar failed reading the changed files (exit ${r.code ?? r.signal}): ${lastLines(r.stderr)}`, {
        hint: 'check that the backup user can read every file under the listed paths',
      });
    }
    const missing = count - seen;
    if (missing > 0) warnings.push(`${job.name}: ${missing} file(s) vanished between the listing and the read; they are not in this set`);
    if (r.code === 1) warnings.push(`${job.name}: tar: some files changed while they were read: ${lastLines(r.stderr, 2)}`);
    for (const w of warnings) job.log('warn', w);
    return meter.bytes;
  } catch (err) {
    p.cancel();
    throw err;
  } finally {
    job.signal?.removeEventListener('abort', onAbort);
    await rm(memberFile, { force: true });
  }
}
