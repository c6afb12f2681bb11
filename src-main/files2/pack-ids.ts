/**
 * What lets a backup host that lost its dedup state (files-state.sqlite) avoid re-uploading what
 * storage already holds, without the age identity: beside each pack, `pack-ids/<pack>.ids` lists
 * the keyed content ids in it (and the pack's size and SHA-256), sealed with AES-256-GCM under a
 * key derived from the host's content key (`$COFRE_HOME/content-key`). Without that key the object
 * reveals nothing (not even member sizes) and cannot be forged; with it, the host rebuilds which
 * content is stored where. The files are still read over SSH once (the listings are gone), but
 * only content not found in storage is uploaded.
 *
 * The ids live under their own prefix, not under `packs/`, so a pack sweep never mistakes them
 * for packs; an `.ids` whose pack is gone is ignored (and is deleted with its pack by GC).
 * Format `CPI2` (written since Dec 2026): a text header line, then per content id its 32 bytes
 * and its size as an unsigned LEB128 varint: ≈ 34 bytes an id (the 20 000 ids of the restic bench
 * cost 0.68 MB, measured; `CPI1` spelled them as hex text, `<cid> <size>\n`, ≈ 72 bytes an id,
 * 1.4 MB). The 32 bytes are a keyed hash, so no compression would shrink them. `CPI1` objects,
 * written by earlier versions, are still read: a host rebuilding its state from older packs
 * keeps working. Written once per new pack (≈ 0.05% of a 64 MiB pack of 100 kB files, about
 * 1.7% for 2 kB files). Not in the manifest: listing every id in every set's
 * signed plaintext manifest costs ~6.5 MB a day per 100k files, and listing only a set's new packs
 * loses the ids once that set is pruned while later sets still share the pack.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, type DecipherGCM } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Storage } from '../storage/types.js';
import { said, type MessageRef } from '../../shared/i18n/catalog.js';
import { PACKS_PREFIX, PACK_NAME } from './packs.js';
import type { FilesState, PackRecord } from './state.js';

export const PACK_IDS_PREFIX = 'pack-ids/';
/** hex text ids (read only) */
const MAGIC_V1 = Buffer.from('CPI1');
const HEADER_V1 = 'cofre-pack-ids/1';
/** binary ids (written) */
const MAGIC = Buffer.from('CPI2');
const HEADER = 'cofre-pack-ids/2';
const CID_BYTES = 32;

export function packIdsKey(pack: string): string {
  return `${PACK_IDS_PREFIX}${pack}.ids`;
}

function sealKey(contentKey: Buffer): Buffer {
  return createHmac('sha256', contentKey).update('cofre pack-ids seal/1').digest();
}

export interface PackIds extends PackRecord {
  contents: Array<{ cid: string; size: number }>;
}

export function sealPackIds(contentKey: Buffer, ids: PackIds): Buffer {
  return Buffer.concat([...sealedChunks(contentKey, ids, ids.contents)]);
}

/**
 * The sealed object a chunk at a time (AES-GCM encrypts as it goes): a pack of a million small
 * files costs no more memory to seal than one of ten (held whole, the list of a pack of 100 000
 * files was ≈ 40 MB, the peak of a first backup).
 */
function* sealedChunks(contentKey: Buffer, pack: PackRecord, contents: Iterable<{ cid: string; size: number }>): Generator<Buffer> {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(contentKey), nonce);
  cipher.setAAD(Buffer.from(pack.pack, 'utf8'));
  yield Buffer.concat([MAGIC, nonce, cipher.update(`${HEADER} ${pack.pack} ${pack.bytes} ${pack.sha256}\n`, 'utf8')]);
  const batch = Buffer.alloc(64 * 1024 + CID_BYTES + 10);
  let at = 0;
  for (const c of contents) {
    if (!CID_HEX.test(c.cid) || !Number.isSafeInteger(c.size) || c.size < 0) throw new Error(`pack-ids: not a content id and size (${c.size})`);
    at += batch.write(c.cid, at, 'hex');
    at = writeVarint(batch, at, c.size);
    if (at >= 64 * 1024) { yield cipher.update(batch.subarray(0, at)); at = 0; }
  }
  yield Buffer.concat([cipher.update(batch.subarray(0, at)), cipher.final(), cipher.getAuthTag()]);
}

const CID_HEX = /^[0-9a-f]{64}$/;

/** Unsigned LEB128 (7 bits a byte, low bits first): a 100 kB size takes 3 bytes. */
function writeVarint(buf: Buffer, at: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    buf[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[at++] = v;
  return at;
}

/** The value at `at` and where the next one starts, or undefined when cut short or beyond a safe integer. */
function readVarint(buf: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = at; i < buf.length; i++) {
    const byte = buf[i] ?? 0;
    value += (byte & 0x7f) * scale;
    if (!Number.isSafeInteger(value)) return undefined;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    scale *= 0x80;
  }
  return undefined;
}

/** The ids of `pack`, or undefined when the object was sealed with another content key (or was altered). */
export function openPackIds(contentKey: Buffer, pack: string, data: Buffer): PackIds | undefined {
  const version = versionOf(data.subarray(0, MAGIC.length));
  if (version === undefined || data.length < MAGIC.length + 12 + 16) return undefined;
  const decipher = openingCipher(contentKey, pack, data.subarray(MAGIC.length, MAGIC.length + 12));
  decipher.setAuthTag(data.subarray(data.length - 16));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(data.subarray(MAGIC.length + 12, data.length - 16)), decipher.final()]);
  } catch {
    return undefined;
  }
  const contents: PackIds['contents'] = [];
  const parser = new IdsParser(version, pack, (cid, size) => contents.push({ cid: cid.toString('hex'), size }));
  parser.push(plain);
  const header = parser.end();
  return header ? { pack, ...header, contents } : undefined;
}

/** What `cofre repack` plans with: the pack's size and hash as sealed, and the sum of its members' sizes. */
export interface PackIdsTotal extends PackRecord {
  memberBytes: number;
}

/**
 * The total of `pack`'s members, read from its sealed `.ids` a chunk at a time (the list is never
 * held: a pack of 100 000 ids would cost ≈ 15 MB as objects). The sum is returned only once the
 * GCM tag verified the whole object: undefined when it is missing, unreadable, cut short, altered
 * or sealed with another content key.
 */
export async function packIdsTotal(storage: Storage, contentKey: Buffer, pack: string): Promise<PackIdsTotal | undefined> {
  let body: Readable;
  try {
    body = await storage.get(packIdsKey(pack));
  } catch {
    return undefined;
  }
  try {
    let head = Buffer.alloc(0);
    let decipher: DecipherGCM | undefined;
    let parser: IdsParser | undefined;
    let tail = Buffer.alloc(0); // the last 16 bytes seen: the tag, once the object ends
    let memberBytes = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      let data = chunk;
      if (!decipher) {
        head = Buffer.concat([head, data]);
        if (head.length < MAGIC.length + 12) continue;
        const version = versionOf(head.subarray(0, MAGIC.length));
        if (version === undefined) return undefined;
        decipher = openingCipher(contentKey, pack, head.subarray(MAGIC.length, MAGIC.length + 12));
        parser = new IdsParser(version, pack, (_cid, size) => { memberBytes += size; });
        data = head.subarray(MAGIC.length + 12);
      }
      const joined = Buffer.concat([tail, data]);
      tail = joined.subarray(Math.max(0, joined.length - 16));
      const sealed = joined.subarray(0, joined.length - tail.length);
      if (sealed.length > 0 && !parser?.push(decipher.update(sealed))) return undefined;
    }
    if (!decipher || !parser || tail.length < 16) return undefined;
    decipher.setAuthTag(tail);
    try {
      if (!parser.push(decipher.final())) return undefined;
    } catch {
      return undefined; // not authentic: the sum is never used
    }
    const header = parser.end();
    return header ? { pack, ...header, memberBytes } : undefined;
  } finally {
    body.destroy();
  }
}

function versionOf(magic: Buffer): 1 | 2 | undefined {
  return magic.equals(MAGIC) ? 2 : magic.equals(MAGIC_V1) ? 1 : undefined;
}

function openingCipher(contentKey: Buffer, pack: string, nonce: Buffer): DecipherGCM {
  const decipher = createDecipheriv('aes-256-gcm', sealKey(contentKey), nonce);
  decipher.setAAD(Buffer.from(pack, 'utf8'));
  return decipher;
}

/** Longest header line accepted (`cofre-pack-ids/2 <pack> <bytes> <sha256>` is ≈ 160 bytes). */
const MAX_HEADER = 1024;

/**
 * The plaintext of a `.ids`, parsed a chunk at a time: the header line, then each id (`CPI2`: 32
 * bytes and a varint; `CPI1`: a `<cid hex> <size>` line). `push` says false once the text is not
 * well formed; `end` gives the header when the whole text was (nothing is trusted before the
 * caller checked the GCM tag).
 */
class IdsParser {
  private pending = Buffer.alloc(0);
  private header: { bytes: number; sha256: string } | undefined;
  private bad = false;

  constructor(private readonly version: 1 | 2, private readonly pack: string, private readonly onId: (cid: Buffer, size: number) => void) {}

  push(chunk: Buffer): boolean {
    if (this.bad) return false;
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    if (!this.header) {
      const eol = buf.indexOf(0x0a);
      if (eol < 0) {
        this.pending = Buffer.from(buf);
        return this.fail(buf.length > MAX_HEADER);
      }
      const [header, name, bytes, sha256] = buf.subarray(0, eol).toString('utf8').split(' ');
      if (header !== (this.version === 2 ? HEADER : HEADER_V1) || name !== this.pack || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) return this.fail(true);
      this.header = { bytes: Number(bytes), sha256 };
      at = eol + 1;
    }
    at = this.version === 2 ? this.binaryIds(buf, at) : this.textIds(buf, at, false);
    if (at < 0) return this.fail(true);
    this.pending = Buffer.from(buf.subarray(at));
    return true;
  }

  /** The header, when the text ended well formed. */
  end(): { bytes: number; sha256: string } | undefined {
    if (this.bad || !this.header) return undefined;
    if (this.version === 1 && this.textIds(this.pending, 0, true) < 0) return undefined;
    if (this.version === 2 && this.pending.length > 0) return undefined; // an id cut short
    return this.header;
  }

  private fail(bad: boolean): boolean {
    if (bad) this.bad = true;
    return !bad;
  }

  /** The complete ids from `at`; where the first incomplete one starts, or -1 when not well formed. */
  private binaryIds(buf: Buffer, from: number): number {
    let at = from;
    while (at + CID_BYTES < buf.length) {
      const size = readVarint(buf, at + CID_BYTES);
      // a safe integer takes at most 8 bytes (as written): more and still none is beyond one; fewer, cut by the chunk
      if (!size) return buf.length - (at + CID_BYTES) > 10 ? -1 : at;
      this.onId(buf.subarray(at, at + CID_BYTES), size.value);
      at = size.next;
    }
    return at;
  }

  /** `CPI1`: the complete lines from `at` (at the end, the last line too). */
  private textIds(buf: Buffer, from: number, last: boolean): number {
    let at = from;
    while (at < buf.length) {
      let eol = buf.indexOf(0x0a, at);
      if (eol < 0) {
        if (!last) return at;
        eol = buf.length;
      }
      const line = buf.toString('utf8', at, eol);
      at = eol + 1;
      if (line === '') continue;
      const [cid, size] = line.split(' ');
      const n = Number(size);
      if (!cid || !CID_HEX.test(cid) || !Number.isSafeInteger(n)) return -1;
      this.onId(Buffer.from(cid, 'hex'), n);
    }
    return Math.min(at, buf.length);
  }
}

/** Stores the ids of every pack this run wrote; `contentsOf(pack)` lists what went into one pack (read as sealed, not held). */
export async function writePackIds(storage: Storage, contentKey: Buffer, packs: readonly PackRecord[], contentsOf: (pack: string) => Iterable<{ cid: string; size: number }>): Promise<void> {
  for (const p of packs) {
    await storage.put(packIdsKey(p.pack), Readable.from(sealedChunks(contentKey, p, contentsOf(p.pack)), { objectMode: false }));
  }
}

export interface RebuildOutcome {
  /** packs whose contents are known again */
  packs: number;
  contents: number;
  /** `.ids` sealed with another content key (the key was lost or replaced, or another host's) */
  foreign: number;
  /** `.ids` whose pack is missing, of another size, or was found bad by verify */
  skipped: number;
  /** `.ids` that could not be read */
  unreadable: number;
}

/**
 * When this host knows no content stored on this storage, learns it back from the `.ids`
 * objects: only for packs that exist with the recorded size and were never found bad.
 */
export async function rebuildFromStorage(storage: Storage, state: FilesState, storageId: string, contentKey: Buffer): Promise<RebuildOutcome> {
  const out: RebuildOutcome = { packs: 0, contents: 0, foreign: 0, skipped: 0, unreadable: 0 };
  const idsKeys: string[] = [];
  for await (const o of storage.list(PACK_IDS_PREFIX)) if (o.key.endsWith('.ids')) idsKeys.push(o.key);
  if (idsKeys.length === 0) return out;
  const sizes = new Map<string, number>();
  for await (const o of storage.list(PACKS_PREFIX)) sizes.set(o.key.slice(PACKS_PREFIX.length), o.bytes);
  const bad = state.badPacks(storageId);
  const found: PackIds[] = [];
  for (const key of idsKeys) {
    const pack = key.slice(PACK_IDS_PREFIX.length, -'.ids'.length);
    if (!PACK_NAME.test(pack) || bad.has(pack) || !sizes.has(pack)) { out.skipped++; continue; }
    let data: Buffer;
    try {
      data = await storage.getBytes(key);
    } catch {
      out.unreadable++;
      continue;
    }
    const ids = openPackIds(contentKey, pack, data);
    if (!ids) { out.foreign++; continue; }
    if (ids.bytes !== sizes.get(pack)) { out.skipped++; continue; }
    found.push(ids);
    out.packs++;
    out.contents += ids.contents.length;
  }
  state.adopt(storageId, found);
  return out;
}

export type DedupLog = (level: 'info' | 'warn' | 'error', line: string, ref?: Partial<MessageRef>) => void;

/**
 * Before a backup: if this host knows no content on this storage (first backup there, or
 * files-state.sqlite was lost), rebuild it from the `.ids` objects and say in the run log what
 * happened, and why content is uploaded again when the ids cannot be opened.
 */
export async function recoverDedupState(storage: Storage, state: FilesState, storageId: string, contentKey: Buffer, log: DedupLog): Promise<RebuildOutcome | undefined> {
  if (!state.knowsNoContent(storageId)) return undefined;
  const r = await rebuildFromStorage(storage, state, storageId, contentKey);
  if (r.packs > 0) {
    log('info', `dedup state rebuilt from storage: ${r.contents} stored content(s) in ${r.packs} pack(s) are known again; files are read over SSH once more, but content storage holds is not uploaded again`,
      said('log.files2.rebuilt', { contents: r.contents, packs: r.packs }));
  }
  if (r.foreign > 0) {
    log('warn', `${r.foreign} pack id list(s) in storage were sealed with another content key (this host's content-key was lost or replaced, or another host wrote them): their content cannot be recognized and is uploaded again`,
      said('log.files2.foreignIds', { count: r.foreign }));
  }
  if (r.unreadable > 0) {
    log('warn', `${r.unreadable} pack id list(s) could not be read from storage: their content is uploaded again`, said('log.files2.unreadableIds', { count: r.unreadable }));
  }
  return r;
}
