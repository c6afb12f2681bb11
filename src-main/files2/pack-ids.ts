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
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
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
  const magic = data.subarray(0, MAGIC.length);
  const version = magic.equals(MAGIC) ? 2 : magic.equals(MAGIC_V1) ? 1 : undefined;
  if (version === undefined || data.length < MAGIC.length + 12 + 16) return undefined;
  const nonce = data.subarray(MAGIC.length, MAGIC.length + 12);
  const tag = data.subarray(data.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', sealKey(contentKey), nonce);
  decipher.setAAD(Buffer.from(pack, 'utf8'));
  decipher.setAuthTag(tag);
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(data.subarray(MAGIC.length + 12, data.length - 16)), decipher.final()]);
  } catch {
    return undefined;
  }
  const eol = plain.indexOf(0x0a);
  if (eol < 0) return undefined;
  const [header, name, bytes, sha256] = plain.subarray(0, eol).toString('utf8').split(' ');
  if (header !== (version === 2 ? HEADER : HEADER_V1) || name !== pack || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  const contents = version === 2 ? binaryContents(plain.subarray(eol + 1)) : textContents(plain.subarray(eol + 1));
  if (!contents) return undefined;
  return { pack, bytes: Number(bytes), sha256, contents };
}

function binaryContents(body: Buffer): PackIds['contents'] | undefined {
  const contents: PackIds['contents'] = [];
  let at = 0;
  while (at < body.length) {
    if (at + CID_BYTES >= body.length) return undefined;
    const cid = body.toString('hex', at, at + CID_BYTES);
    const size = readVarint(body, at + CID_BYTES);
    if (!size) return undefined;
    contents.push({ cid, size: size.value });
    at = size.next;
  }
  return contents;
}

/** `CPI1`: one `<cid hex> <size>` line an id. */
function textContents(body: Buffer): PackIds['contents'] | undefined {
  const contents = body.toString('utf8').split('\n').filter((l) => l !== '').map((l) => {
    const [cid, size] = l.split(' ');
    return { cid: cid ?? '', size: Number(size) };
  });
  return contents.some((c) => !CID_HEX.test(c.cid) || !Number.isSafeInteger(c.size)) ? undefined : contents;
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
