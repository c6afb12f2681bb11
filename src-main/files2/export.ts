/**
 * "Salvar no computador": one file or folder of a format-2 set, decrypted on this machine (the
 * console's). A file is written as its bytes; a folder (or a symlink) as a plain tar whose names
 * start at the chosen folder. Only the packs holding the selection are read; each is hash-checked
 * to its end (a mismatch fails the save, and the caller discards what was written).
 */
import { Transform, type Writable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { pack as tarPack, type Header } from 'tar-stream';
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { Storage } from '../storage/types.js';
import type { ManifestRef } from '../../shared/domain.js';
import { isCompressedPack, neededRefs } from './packs.js';
import { forEachMember, openPack } from './pack-reader.js';
import { MemberFields, memberField, selectEntries } from './index-format.js';
import { nameOf, parentOf, type SourcedEntry } from './browse.js';

export interface ExportPlan {
  /** the file name to offer: the file's own, or `<folder>.tar` */
  name: string;
  kind: 'file' | 'tar';
  /** bytes of a single file (a tar's size is known only once written) */
  size?: number;
  entries: SourcedEntry[];
}

export function planExport(all: readonly SourcedEntry[], path: string): ExportPlan {
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const entries = selectEntries(all, [clean]) as SourcedEntry[];
  const self = entries.find((e) => e.path === clean);
  if (!self) {
    throw new CofreError('INVALID_ARGUMENT', `${clean} is not in this set`, { ...said('browser.pathNotInSet', { path: clean }), hint: 'choose the path in the set\'s file browser' });
  }
  if (self.type === 'o') throw new CofreError('INVALID_ARGUMENT', `${clean} is a special file (socket, device or fifo): it is listed, never saved`, said('browser.specialFile', { path: clean }));
  if (self.type === 'f' || self.type === 'h') return { name: nameOf(clean), kind: 'file', size: self.size, entries: [self] };
  return { name: `${nameOf(clean) === '/' ? 'raiz' : nameOf(clean)}.tar`, kind: 'tar', entries: entries.filter((e) => e.type !== 'o') };
}

export interface ExportOptions {
  storage: Storage;
  identities: readonly string[];
  /** the set's packs (key, size, SHA-256) */
  packs: readonly ManifestRef[];
  plan: ExportPlan;
  signal?: AbortSignal | undefined;
}

/** Writes the plan to `out` (ended when done); resolves with the bytes written. */
export async function writeExport(opts: ExportOptions, out: Writable): Promise<number> {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  const sink = pipelineAsync(counter, out);
  try {
    if (opts.plan.kind === 'file') await writeFile(opts, counter);
    else await writeTar(opts, counter);
    counter.end();
    await sink;
  } catch (err) {
    counter.destroy(err instanceof Error ? err : new Error(String(err)));
    await sink.catch(() => undefined);
    throw err;
  }
  return bytes;
}

async function writeFile(opts: ExportOptions, out: Writable): Promise<void> {
  const e = opts.plan.entries[0];
  if (!e || !e.cid) return; // an empty file
  await readPacks(opts, [e], (_pack, _fields, body) => copyInto(body, out));
}

async function writeTar(opts: ExportOptions, out: Writable): Promise<void> {
  const top = opts.plan.entries[0];
  if (!top) return;
  const base = parentOf(top.path);
  const rel = (p: string): string => p.slice(base === '/' ? 1 : base.length + 1);
  const tar = tarPack();
  const piped = new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    tar.on('error', reject);
    tar.on('data', (chunk: unknown) => {
      if (!out.write(chunk as Buffer)) {
        tar.pause();
        out.once('drain', () => tar.resume());
      }
    });
    tar.on('end', () => resolve());
  });
  const header = (e: SourcedEntry, extra: Partial<Header>): Partial<Header> & Pick<Header, 'name'> => ({
    name: rel(e.path), mode: parseInt(e.mode, 8), mtime: new Date(Math.floor(Number(e.mtime) * 1000)), uname: e.owner, gname: e.group, ...extra,
  });
  const addEmpty = (h: Partial<Header> & Pick<Header, 'name'>): Promise<void> =>
    new Promise((resolve, reject) => {
      tar.entry(h, (err) => (err ? reject(err) : resolve()));
    });
  try {
    // folders, symlinks and empty files first; then contents, pack by pack
    for (const e of opts.plan.entries) {
      if (e.type === 'd') await addEmpty(header(e, { type: 'directory' }));
      else if (e.type === 'l') await addEmpty(header(e, { type: 'symlink', linkname: e.target }));
      else if (!e.cid) await addEmpty(header(e, { type: 'file', size: 0 }));
    }
    const withContent = opts.plan.entries.filter((e) => e.cid && (e.type === 'f' || e.type === 'h'));
    await readPacks(opts, withContent, async (pack, fields, body) => {
      const same = withContent.filter((e) => e.pack === pack && fields.includes(memberField(e)));
      const [first, ...others] = same;
      if (!first) {
        body.resume();
        return;
      }
      let done!: Promise<void>;
      const w = tar.entry(header(first, { type: 'file', size: first.size }), (err) => {
        done = err ? Promise.reject(err) : Promise.resolve();
      });
      await copyInto(body, w);
      const finished = new Promise<void>((resolve, reject) => {
        w.once('finish', () => resolve());
        w.once('error', reject);
      });
      w.end(undefined);
      await finished;
      await done;
      // the same content under other names: hard links to the first (as tar stores them)
      for (const o of others) await addEmpty(header(o, { type: 'link', linkname: rel(first.path), size: 0 }));
    });
    tar.finalize();
    await piped;
  } catch (err) {
    tar.destroy(err instanceof Error ? err : new Error(String(err)));
    await piped.catch(() => undefined);
    throw err;
  }
}

interface ChunkSink {
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** A pack member (a tar-stream source) into a writable, with back-pressure. */
async function copyInto(body: AsyncIterable<unknown>, out: ChunkSink): Promise<void> {
  for await (const chunk of body) {
    if (!out.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array))) await new Promise<void>((resolve) => out.once('drain', resolve));
  }
}

type MemberBody = AsyncIterable<unknown> & { resume(): unknown };

/** Streams each pack the entries need; `onMember` gets each wanted member once, in pack order, with the member fields it matches. */
async function readPacks(opts: ExportOptions, entries: readonly SourcedEntry[], onMember: OnMember): Promise<void> {
  const names = [...new Set(entries.map((e) => e.pack))].sort();
  const refs = neededRefs(opts.packs, names);
  for (const [i, name] of names.entries()) {
    const ref = refs[i];
    if (!ref) throw new CofreError('INTEGRITY', `the index names pack ${name}, which the manifest does not list`, { hint: 'the set is inconsistent; use another set' });
    // short member fields are unique within a pack, not across packs: matched pack by pack
    const wanted = new MemberFields();
    for (const e of entries) if (e.pack === name) wanted.add(memberField(e));
    await readPack(opts, ref, name, wanted, onMember);
  }
}

type OnMember = (pack: string, fields: string[], body: MemberBody) => Promise<void>;

async function readPack(opts: ExportOptions, ref: ManifestRef, name: string, wanted: MemberFields, onMember: OnMember): Promise<void> {
  const pack = await openPack(opts.storage, ref, opts.identities, {
    signal: opts.signal,
    unzstd: isCompressedPack(ref.key) ? {
      missing: () => new CofreError('PRECONDITION', 'zstd is not installed on this computer; it is needed to save files from compressed packs', { ...said('browser.zstdMissing'), hint: 'install zstd (apt install zstd) or restore to a target instead' }),
      failed: (_detail, exit) => new CofreError('STORAGE_FAILED', `zstd failed (exit ${exit.code}): ${exit.stderr}`),
    } : undefined,
  });
  const seen = new Set<string>();
  await forEachMember(pack, async (entry) => {
    const fields = seen.has(entry.header.name) ? [] : wanted.claim(entry.header.name, ref.key);
    seen.add(entry.header.name);
    if (fields.length > 0) await onMember(name, fields, entry);
    else entry.resume();
  });
  pack.verify((sha) => new CofreError('INTEGRITY', `${ref.key}: SHA-256 ${sha} differs from the manifest's ${ref.sha256}`, { hint: 'the stored pack changed after the backup; the saved copy was discarded; use another set' }));
  const missing = wanted.unclaimed();
  if (missing !== undefined) throw new CofreError('INTEGRITY', `${ref.key} lacks member ${missing.slice(0, 12)}… that the index places in it`, { hint: 'the set is inconsistent; verify it with `cofre verify --deep` and use another set' });
}
