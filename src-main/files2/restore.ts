/**
 * Restore of a format-2 files source onto a restore target: the index is fetched, its SHA-256
 * checked and decrypted here; only the packs holding the selected entries are streamed (hash
 * checked, decrypted here, decompressed and unpacked on the target) into a private stage
 * folder (`mktemp -d`) inside the destination; only once every pack has arrived and matched its
 * hash are the files placed, by the same sh code restore.sh uses (PLACE_SH).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { Transform, pipeline, type Readable } from 'node:stream';
import { CofreError } from '../errors.js';
import type { RemoteHost } from '../remote/types.js';
import { shq } from '../remote/shell.js';
import type { Storage } from '../storage/types.js';
import { createDecryptStream } from '../crypto/age.js';
import { ByteMeter, type ProgressListener } from '../util/progress.js';
import { lastLines } from '../sources/postgres.js';
import type { ManifestObject, ManifestRef } from '../../shared/domain.js';
import { INDEX_HEADER, isCompressedIndex, memberField, selectEntries, streamIndex, underPath, type IndexEntry } from './index-format.js';
import { Spool } from './spool.js';
import { PLACE_SH } from './restore-script.js';
import { isCompressedPack, neededRefs, PACK_NAME } from './packs.js';
import { openPack } from './pack-reader.js';
import { zstdStage, type ZstdErrors } from './zstd.js';
import { filterTar, worthFiltering, zstdAvailableHere, type FilteredTar } from './pack-filter.js';

/** Reads, checks and decrypts a set's index object whole (small indexes; restore and listing stream it with scanIndex). */
export async function readIndex(storage: Storage, object: Pick<ManifestObject, 'key' | 'sha256'>, identities: readonly string[]): Promise<IndexEntry[]> {
  const out: IndexEntry[] = [];
  await scanIndex(storage, object, identities, (e) => { out.push(e); });
  return out;
}

/**
 * Streams a set's index (decrypted here as it arrives, one line at a time: memory does not grow
 * with the index) to `onEntry`. Its SHA-256 is known only at the end: callers act on nothing
 * irreversible before this resolves (it throws on a mismatch).
 */
export async function scanIndex(
  storage: Storage, object: Pick<ManifestObject, 'key' | 'sha256'>, identities: readonly string[],
  onEntry: (entry: IndexEntry, line: string) => void | Promise<void>, signal?: AbortSignal,
): Promise<void> {
  const body = await storage.get(object.key, signal ? { signal } : {});
  const hash = createHash('sha256');
  const hasher = new Transform({ transform(chunk: Buffer, _e, cb) { hash.update(chunk); cb(null, chunk); } });
  let streamError: unknown;
  const fail = (err: unknown): void => { if (err) streamError ??= err; };
  let plain: Readable = pipeline(body, hasher, createDecryptStream(identities), fail);
  // a compressed index (told by its key): zstd here; its own failures come through `done`
  let zstdMissing: Error | undefined;
  const errors = indexZstdErrors(object.key);
  const zstd = isCompressedIndex(object.key) ? zstdStage('decompress', { ...errors, missing: (cause) => (zstdMissing = errors.missing(cause)) }) : undefined;
  if (zstd) {
    pipeline(plain, zstd.stdin, () => undefined);
    plain = zstd.stdout;
  }
  try {
    for await (const { entry, line } of streamIndex(plain as AsyncIterable<Buffer>)) await onEntry(entry, line);
    await zstd?.done;
  } catch (err) {
    plain.destroy();
    zstd?.kill();
    throw zstdMissing ?? streamError ?? err;
  }
  if (streamError) throw streamError;
  const sha = hash.digest('hex');
  if (sha !== object.sha256) {
    throw new CofreError('INTEGRITY', `${object.key}: SHA-256 ${sha} differs from the manifest's ${object.sha256}`, { hint: 'the index changed after the backup; restore another set' });
  }
}

/** What reading a compressed index says when zstd is missing here or the stream does not decompress. */
export function indexZstdErrors(key: string): ZstdErrors {
  return {
    missing: () => new CofreError('PRECONDITION', `zstd is not installed on this computer; it is needed to read the compressed index ${key}`, { hint: 'install zstd (apt install zstd) and try again' }),
    failed: (detail) => new CofreError('INTEGRITY', `${key} does not decompress (zstd: ${detail})`, { hint: 'the index is damaged; verify the set with `cofre verify --deep` and restore another set' }),
  };
}

/** Tells which entries are under the asked paths, and which path matched nothing (nothing is kept but a flag per path). */
export class PathSelection {
  private readonly matched: boolean[];

  constructor(private readonly paths: readonly string[] | undefined) {
    this.matched = (paths ?? []).map(() => false);
  }

  has(path: string): boolean {
    if (!this.paths || this.paths.length === 0) return true;
    let hit = false;
    this.paths.forEach((p, i) => {
      if (underPath(path, p)) { this.matched[i] = true; hit = true; }
    });
    return hit;
  }

  /** A path that matched no entry is an error (nothing was touched yet). */
  check(what: string): void {
    const p = (this.paths ?? []).find((_, i) => !this.matched[i]);
    if (p !== undefined) {
      throw new CofreError('INVALID_ARGUMENT', `${p} is not in ${what}`, { hint: 'list what the set holds with `cofre files <setId> --path <folder>`; paths are absolute, as on the server' });
    }
  }
}

/** The entries under the asked paths; a path that matches nothing is an error (nothing was touched yet). */
export function selectOrFail(entries: readonly IndexEntry[], paths: readonly string[] | undefined, what: string): IndexEntry[] {
  for (const p of paths ?? []) {
    if (selectEntries(entries, [p]).length === 0) {
      throw new CofreError('INVALID_ARGUMENT', `${p} is not in ${what}`, { hint: 'list what the set holds with `cofre files <setId> --path <folder>`; paths are absolute, as on the server' });
    }
  }
  return selectEntries(entries, paths);
}

/** Restorable entries (special files are listed, never restored) and their regular-file bytes, as `find` counts them. */
export function expectedCounts(entries: readonly IndexEntry[]): { entries: number; bytes: number } {
  const kept = entries.filter((e) => e.type !== 'o');
  return { entries: kept.length, bytes: kept.filter((e) => e.type === 'f' || e.type === 'h').reduce((a, e) => a + e.size, 0) };
}

export interface FilesV2RestoreOptions {
  storage: Storage;
  host: RemoteHost;
  identities: string[];
  /** absolute folder on the target the server paths go under */
  destination: string;
  index: Pick<ManifestObject, 'key' | 'sha256'>;
  /** the set's packs (key, size, SHA-256) from its manifest */
  packs: readonly ManifestRef[];
  paths?: readonly string[] | undefined;
  label: string;
  /** called once every pack is on the target (hash checked), right before the files are placed (production: removes the replaced paths) */
  beforePlace?: (() => Promise<void>) | undefined;
  onProgress?: ProgressListener | undefined;
  signal?: AbortSignal | undefined;
  /** the selection kept when the preflight read the index (hash checked): the index is not read again */
  prepared?: PreparedSelection | undefined;
  /** bench only (bench/pack-filter-crossover.ts): the part of a pack's stored bytes up to which it is filtered; default FILTER_AT_MOST */
  filterAtMost?: number | undefined;
}

/**
 * What a restore needs from a set's index, kept while the index is read once: the selected lines
 * (header first) in a private spool file, the packs they need and, for a granular restore, the
 * members to name to tar per pack.
 */
export interface PreparedSelection {
  /** private file (under the job's spool folder) with the index header and the selected lines */
  file: string;
  /** pack names the selected entries need, sorted */
  packs: string[];
  /** granular restore: the members asked of each pack (a pack past the limit of names held: undefined, extracted whole) */
  members: SelectedMembers | undefined;
  /** per pack: the length of the member fields naming it (64: whole names; fewer: its members are staged under that many first digits) */
  fieldLengths: ReadonlyMap<string, number>;
  /** restorable selected entries and their regular-file bytes */
  entries: number;
  bytes: number;
}

/**
 * Keeps what a restore needs of the entries under the asked paths as the index streams by: their
 * lines go to a private file, only the packs' names (and, for a granular restore, the members) are
 * held. `add` returns false when the file wants a pause (`await drained()`).
 */
export class IndexSelection {
  readonly paths: PathSelection;
  private readonly out: WriteStream;
  private readonly needed = new Set<string>();
  private readonly fieldLengths = new Map<string, number>();
  private readonly members: SelectedMembers | undefined;
  private readonly counts = { entries: 0, bytes: 0 };

  constructor(private readonly file: string, paths: readonly string[] | undefined) {
    this.paths = new PathSelection(paths);
    // a granular restore names its members to tar: only they are written on the target
    this.members = paths?.length ? new SelectedMembers() : undefined;
    this.out = createWriteStream(file, { mode: 0o600 });
    this.out.on('error', () => undefined); // surfaced by drained() and finish()
    this.out.write(`${INDEX_HEADER}\n`);
  }

  add(e: IndexEntry, line: string): boolean {
    if (!this.paths.has(e.path)) return true;
    if (e.type !== 'o') {
      this.counts.entries++;
      if (e.type === 'f' || e.type === 'h') this.counts.bytes += e.size;
    }
    if (e.cid && (e.type === 'f' || e.type === 'h')) {
      this.needed.add(e.pack);
      const field = memberField(e);
      // the place code finds a member staged under the entry's member field: the fields naming one pack share a length
      const len = this.fieldLengths.get(e.pack);
      if (len === undefined) this.fieldLengths.set(e.pack, field.length);
      else if (len !== field.length || field !== e.cid) {
        throw new CofreError('INTEGRITY', `the index names the members of pack ${e.pack} inconsistently (content ids of different lengths, or a member field other than the content id)`, { hint: 'the index is not what Cofre writes; restore another set' });
      }
      this.members?.add(e.pack, field, e.size);
    }
    return this.out.write(`${line}\n`);
  }

  async drained(): Promise<void> {
    await once(this.out, 'drain');
  }

  async finish(): Promise<PreparedSelection> {
    this.out.end();
    await finished(this.out);
    return { file: this.file, packs: [...this.needed].sort(), members: this.members, fieldLengths: this.fieldLengths, ...this.counts };
  }

  abort(): void {
    this.out.destroy();
  }
}

export async function restoreFilesV2(opts: FilesV2RestoreOptions): Promise<{ entries: number; bytes: number; packsRead: number }> {
  // read once: the preflight kept the selection while it read (and hash-checked) the index
  if (opts.prepared) {
    const p = opts.prepared;
    return { entries: p.entries, bytes: p.bytes, packsRead: await placeFromPacks(opts, p) };
  }
  // the selected lines go to a private file here as the index streams: only the packs' names are held
  const spool = await Spool.open('restore');
  try {
    const selection = new IndexSelection(spool.file('index'), opts.paths);
    await scanIndex(opts.storage, opts.index, opts.identities, async (e, line) => {
      if (!selection.add(e, line)) await selection.drained();
    }, opts.signal).catch((err: unknown) => { selection.abort(); throw err; });
    const p = await selection.finish();
    selection.paths.check(`the set's files of ${opts.label}`);
    return { entries: p.entries, bytes: p.bytes, packsRead: await placeFromPacks(opts, p) };
  } finally {
    await spool.dispose();
  }
}

/** Members named to tar per pack: past this many, tar on the target is given none (the names go on its command line). */
const MAX_NAMED_MEMBERS = 256;
/** Member names held for a whole restore (≈ 100 B each): past this many, a pack whose list would grow is extracted whole. */
const MAX_HELD_MEMBERS = 100_000;

/** The members a granular restore asks of each pack and their content bytes (each member counted once). */
export class SelectedMembers {
  private readonly byPack = new Map<string, { names: Set<string>; bytes: number } | undefined>();
  private held = 0;

  add(pack: string, cid: string, size: number): void {
    const sel = this.byPack.has(pack) ? this.byPack.get(pack) : { names: new Set<string>(), bytes: 0 };
    if (!sel || sel.names.has(cid)) return;
    if (!/^[0-9a-f]+$/.test(cid) || this.held >= MAX_HELD_MEMBERS) {
      // that pack goes whole: its names are let go
      this.held -= sel.names.size;
      this.byPack.set(pack, undefined);
      return;
    }
    sel.names.add(cid);
    sel.bytes += size;
    this.held++;
    this.byPack.set(pack, sel);
  }

  /** The members asked of a pack and their bytes; undefined when the pack is to be extracted whole. */
  of(pack: string): { names: ReadonlySet<string>; bytes: number } | undefined {
    return this.byPack.get(pack);
  }
}

/** How one pack reaches the target's stage. */
export interface PackRoute {
  ref: ManifestRef;
  /** the pack's file name (its members are staged in a folder of that name) */
  name: string;
  /** the member fields naming it are this many first digits of the names (staged under them); undefined: whole names */
  shortHex?: number | undefined;
  /** filtered here: only these members cross SSH (a plain tar, no zstd on the target) */
  filter?: ReadonlySet<string>;
  /** sent whole: these members named to tar on the target (it writes only them) */
  named?: ReadonlySet<string>;
}

/** Per pack: filtered here when the asked members are a small part of it, else sent whole (named to tar when few). */
export async function routePacks(refs: readonly ManifestRef[], needed: readonly string[], prepared: Pick<PreparedSelection, 'members' | 'fieldLengths'>, atMost: number | undefined): Promise<PackRoute[]> {
  const routes: PackRoute[] = [];
  for (const [i, ref] of refs.entries()) {
    const name = needed[i] ?? '';
    // the name becomes a folder on the target: only what a pack's name can be
    if (!PACK_NAME.test(name)) throw new CofreError('INTEGRITY', `the index names a pack ${JSON.stringify(name.slice(0, 80))} that is not a pack's name`, { hint: 'the index is not what Cofre writes; restore another set' });
    const len = prepared.fieldLengths.get(name) ?? CID_HEX;
    const base = { ref, name, shortHex: len < CID_HEX ? len : undefined };
    const sel = prepared.members?.of(name);
    if (!sel) { routes.push(base); continue; }
    if (worthFiltering({ members: sel.names.size, bytes: sel.bytes }, ref.bytes, atMost) && (!isCompressedPack(ref.key) || await zstdAvailableHere())) {
      routes.push({ ...base, filter: sel.names });
      continue;
    }
    routes.push(sel.names.size <= MAX_NAMED_MEMBERS ? { ...base, named: sel.names } : base);
  }
  return routes;
}

/** Hex digits of a whole content id (a pack member's name). */
const CID_HEX = 64;

/**
 * GNU tar options that stage a pack's members under their first `hex` digits (what the index's
 * member fields hold), refusing a second member with the same first digits (`-k`: it would not
 * be one content). Hex names have no glob or sed characters.
 */
export function stageShortOptions(hex: number): string[] {
  return ['-k', `--transform=s/^\\([0-9a-f]\\{${hex}\\}\\)[0-9a-f]*$/\\1/`];
}

/** The transfer runs zstd on the target only for a compressed pack sent whole (a filtered one arrives as a plain tar). */
export function routesNeedZstd(routes: readonly PackRoute[]): boolean {
  return routes.some((r) => !r.filter && isCompressedPack(r.ref.key));
}

async function placeFromPacks(opts: FilesV2RestoreOptions, prepared: PreparedSelection): Promise<number> {
  const { packs: needed, file: indexFile } = prepared;
  const refs = neededRefs(opts.packs, needed).map((ref, i) => {
    if (!ref) throw new CofreError('INTEGRITY', `the index of ${opts.label} names pack ${needed[i]}, which the manifest does not list`, { hint: 'the set is inconsistent; restore another set' });
    return ref;
  });
  const routes = await routePacks(refs, needed, prepared, opts.filterAtMost);
  const tools = ['tar', ...(routesNeedZstd(routes) ? ['zstd'] : [])];
  const dest = opts.destination;
  // one command on the target: the tools it needs (nothing is written without them), then the private stage folder
  const made = await opts.host.runChecked(
    `m=; for t in ${tools.join(' ')}; do command -v "$t" >/dev/null 2>&1 || m="$m $t"; done; `
    + `if [ -n "$m" ]; then echo "missing:$m"; exit 0; fi; `
    + `mkdir -p ${shq(dest)} && mktemp -d ${shq(`${dest.replace(/\/+$/, '')}/.cofre-stage.XXXXXX`)}`,
    { label: 'mktemp' },
  );
  const out = made.stdout.trim();
  if (out.startsWith('missing:')) {
    const missing = out.slice('missing:'.length).trim().split(/\s+/);
    throw new CofreError('PRECONDITION', `${missing.join(', ')} not installed on the restore target; nothing was written there`, { hint: 'install it on the target (apt install zstd tar) and run the restore again' });
  }
  const stage = out;
  if (!stage.startsWith('/')) throw new CofreError('REMOTE_COMMAND_FAILED', `mktemp on the target gave no folder: ${made.stdout}`);
  let removed = false;
  try {
    for (const route of routes) {
      // each pack in a folder of its own: short names are unique within a pack (PackWriter), not across packs
      const dir = `${stage}/${route.name}`;
      const tar = `tar -x -f - -C ${shq(dir)} --no-same-owner --no-same-permissions`;
      if (route.filter) {
        // filtered here: the members come out named by the index's fields already
        await streamObject(opts, route.ref, `mkdir ${shq(dir)} && ${tar}`, route.filter);
        continue;
      }
      // sent whole, tar reads every member but writes only the named ones (a name pattern per member field: `<field>*`)
      const short = route.shortHex === undefined ? '' : ` ${stageShortOptions(route.shortHex).map(shq).join(' ')}`;
      const only = route.named ? ` --wildcards -- ${[...route.named].sort().map((f) => shq(`${f}*`)).join(' ')}` : '';
      await streamObject(opts, route.ref, `mkdir ${shq(dir)} && ${isCompressedPack(route.ref.key) ? 'zstd -d -q -c | ' : ''}${tar}${short}${only}`);
    }
    await opts.beforePlace?.();
    // one command: the selected index arrives on stdin, the place code runs, the stage is removed
    const place = `${PLACE_SH}\nset -eu\ncofre_place "$1" "$2" "$3"\n`;
    const index = `${stage}/.index`;
    await opts.host.runChecked(
      `cat > ${shq(index)} && sh -c ${shq(place)} sh ${shq(index)} ${shq(stage)} ${shq(dest.replace(/\/+$/, '') || '/')}; rc=$?; rm -rf ${shq(stage)}; exit $rc`,
      { stdin: createReadStream(indexFile), label: 'sh (placing files)' },
    );
    removed = true;
  } finally {
    if (!removed) await opts.host.run(`rm -rf ${shq(stage)}`).catch(() => undefined);
  }
  return refs.length;
}

/**
 * Streams one pack, hash-checked and decrypted, into a command on the target; with `filter`, the
 * pack is decompressed here and only those members go to the command (a plain tar stream).
 * Progress counts the bytes read from storage (the whole pack either way).
 */
async function streamObject(opts: FilesV2RestoreOptions, ref: ManifestRef, command: string, filter?: ReadonlySet<string>): Promise<void> {
  const meter = new ByteMeter('transfer', opts.onProgress, { source: opts.label, totalBytes: ref.bytes });
  const pack = await openPack(opts.storage, ref, opts.identities, {
    signal: opts.signal,
    meter,
    // decompressed here only when filtered here (sent whole, zstd runs on the target)
    unzstd: filter && isCompressedPack(ref.key) ? {
      missing: () => new CofreError('PRECONDITION', 'zstd is not installed on this computer; it is needed to read the compressed packs', { hint: 'install zstd (apt install zstd) and try again' }),
      failed: (detail) => new CofreError('INTEGRITY', `${ref.key} does not decompress (zstd: ${detail})`, { hint: 'the stored pack is damaged; nothing was placed on the target; restore another set' }),
    } : undefined,
  });
  let filtered: FilteredTar | undefined;
  let filterError: unknown;
  if (filter) {
    filtered = filterTar(pack.plain, filter, ref.key);
    filtered.done.catch((err: unknown) => { filterError ??= err; }); // judged below, after the storage stream and zstd
  }
  const p = opts.host.exec(command, { stdin: filtered?.stream ?? pack.plain, label: 'tar (pack)' });
  p.stdout.resume();
  const onAbort = (): void => p.cancel();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let result;
  try {
    result = await p.done;
    await pack.zstd?.done;
    await filtered?.done;
  } catch (err) {
    // the first cause: storage or decryption, then zstd here, then the filter, then the target
    const cause = pack.cause(filterError ?? err);
    pack.abort();
    throw cause;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  pack.verify((sha) => new CofreError('INTEGRITY', `${ref.key}: SHA-256 ${sha} differs from the manifest's ${ref.sha256}`, { hint: 'the stored pack changed after the backup; nothing was placed on the target; restore another set' }));
  if (result.code !== 0) {
    throw new CofreError('REMOTE_COMMAND_FAILED', `unpacking ${ref.key} on the target failed (exit ${result.code ?? result.signal}): ${lastLines(result.stderr)}`, {
      hint: filter ? 'tar must be installed on the target; read the error above' : 'zstd and tar must be installed on the target; read the error above',
    });
  }
}
