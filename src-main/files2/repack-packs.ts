/**
 * `cofre repack`, step 2: the packs. Each chosen pack is read once (its SHA-256 checked against
 * the manifests), its live members go into new packs (PackWriter, the same compression), one copy
 * of each content; the scratch records where each one went. A failure deletes the new packs.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CofreError } from '../errors.js';
import type { Storage } from '../storage/types.js';
import { ByteMeter, type ProgressListener } from '../util/progress.js';
import type { ManifestRef } from '../../shared/domain.js';
import { deletePacks } from './backup.js';
import { PackWriter, DEFAULT_PACK_BYTES, isCompressedPack } from './packs.js';
import { writePackIds } from './pack-ids.js';
import { forEachMember, openPack } from './pack-reader.js';
import type { RepackScratch } from './repack-scratch.js';
import { memberMatches } from './index-format.js';
import type { Spool } from './spool.js';
import { contentHmac, type PackRecord } from './state.js';

/** Members up to this size are held in memory while moved; larger ones go through a file in the job's private spool. */
const IN_MEMORY = 16 * 1024 * 1024;

export interface PackProgress {
  onProgress?: ProgressListener | undefined;
  /** bytes already read before this pack, and the total of the phase (progress) */
  base: number;
  total?: number;
}

/**
 * Streams one pack (its SHA-256 checked against the manifests at the end: the caller acts on
 * nothing irreversible before this resolves), decrypted and decompressed, member by member.
 */
export async function readPack(
  storage: Storage, ref: ManifestRef, identities: readonly string[], progress: PackProgress,
  onMember: (cid: string, size: number, body: AsyncIterable<Buffer>) => Promise<void>,
): Promise<void> {
  const meter = new ByteMeter('repack', progress.onProgress, { source: ref.key, totalBytes: progress.total ?? ref.bytes, base: progress.base });
  const pack = await openPack(storage, ref, identities, {
    meter,
    unzstd: isCompressedPack(ref.key) ? {
      missing: (cause) => cause,
      failed: (_detail, exit) => new CofreError('INTEGRITY', `zstd could not decompress ${ref.key} (exit ${exit.code}): ${exit.stderr}`),
    } : undefined,
  });
  await forEachMember(pack, async (entry) => {
    if (entry.header.type !== 'file') { entry.resume(); return; }
    await onMember(entry.header.name, entry.header.size ?? 0, entry as AsyncIterable<Buffer>);
  });
  pack.verify((sha) => new CofreError('INTEGRITY', `${ref.key}: SHA-256 ${sha} differs from the manifests' ${ref.sha256}; repack changes nothing`, { hint: 'run `cofre verify --deep` on the sets that reference it' }));
}

export async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of body) { /* skipped member */ }
}

export interface MoveInput {
  storage: Storage;
  /** the chosen packs, as the manifests list them */
  refs: readonly ManifestRef[];
  scratch: RepackScratch;
  /** the job's private spool (0700, removed when the job ends, or by the next job if it was killed) */
  spool: Spool;
  identities: readonly string[];
  recipients: readonly string[];
  contentKey: Buffer | undefined;
  onProgress?: ProgressListener | undefined;
}

/** Copies the live members of the chosen packs into new packs (and their sealed `.ids`); returns the new packs. */
export async function moveLiveMembers(input: MoveInput): Promise<PackRecord[]> {
  const { storage, scratch, contentKey } = input;
  const writers = new Map<boolean, PackWriter>(); // one writer per compression
  const writerFor = (compress: boolean): PackWriter => {
    let w = writers.get(compress);
    if (!w) {
      w = new PackWriter(storage, input.recipients, { compress, targetBytes: DEFAULT_PACK_BYTES });
      writers.set(compress, w);
    }
    return w;
  };
  const allWritten = (): PackRecord[] => [...writers.values()].flatMap((w) => w.written);
  const total = input.refs.reduce((a, r) => a + r.bytes, 0);
  let done = 0;
  try {
    for (const ref of input.refs) {
      const writer = writerFor(isCompressedPack(ref.key));
      const lengths = scratch.fieldLengths(ref.key);
      await readPack(storage, ref, input.identities, { onProgress: input.onProgress, base: done, total }, async (cid, size, body) => {
        // the live fields this member matches (memberMatches: its name starts with them; whole or short)
        const fields = lengths.filter((n) => n <= cid.length).map((n) => cid.slice(0, n)).filter((f) => memberMatches(cid, f));
        const rows = fields.map((f) => ({ f, row: scratch.live(ref.key, f) })).filter((r) => r.row !== undefined);
        for (const { f, row } of rows) {
          if (row?.moved != null && row.name !== cid) {
            throw new CofreError('INTEGRITY', `${ref.key} holds two members that start with ${f.slice(0, 12)}…, which an index names; repack changes nothing`, { hint: 'run `cofre verify --deep` on the sets that reference it' });
          }
        }
        const pending = rows.filter((r) => r.row?.moved === null).map((r) => r.f);
        if (pending.length === 0) { await drain(body); return; }
        const already = scratch.placed(cid);
        if (already) {
          for (const f of pending) scratch.setMoved(ref.key, f, already, cid);
          await drain(body);
          return;
        }
        const data = await holdMember(body, size, contentKey, cid, input.spool);
        try {
          // the member keeps its whole name in the new pack
          const pack = await writer.add(cid, data.body, size);
          scratch.place(cid, pack, size);
          for (const f of pending) scratch.setMoved(ref.key, f, pack, cid);
        } finally {
          await data.dispose();
        }
      });
      done += ref.bytes;
      const missing = scratch.unmoved(ref.key);
      if (missing !== undefined) throw new CofreError('INTEGRITY', `${ref.key} does not hold content ${missing.slice(0, 12)}… that a set's index places in it; repack changes nothing`, { hint: 'run `cofre verify --deep` on the sets that reference it' });
    }
    for (const w of writers.values()) await w.close();
    if (contentKey) await writePackIds(storage, contentKey, allWritten(), (pack) => scratch.contentsOf(pack));
  } catch (err) {
    for (const w of writers.values()) w.abort();
    await deletePacks(storage, allWritten());
    throw err;
  }
  return allWritten();
}

/** Holds one member (memory, or a file in the spool when large), checking its content id when the content key is here. */
async function holdMember(body: AsyncIterable<Buffer>, size: number, key: Buffer | undefined, cid: string, spool: Spool): Promise<{ body: Buffer | Readable; dispose: () => Promise<void> }> {
  const hmac = key ? contentHmac(key) : undefined;
  const check = (): void => {
    if (hmac && hmac.digest('hex') !== cid) {
      throw new CofreError('INTEGRITY', `a member of a pack does not match its content id ${cid.slice(0, 12)}…; repack changes nothing`, { hint: 'run `cofre verify --deep`; the pack is damaged' });
    }
  };
  if (size <= IN_MEMORY) {
    const chunks: Buffer[] = [];
    for await (const c of body) { hmac?.update(c); chunks.push(c); }
    check();
    return { body: Buffer.concat(chunks), dispose: async () => undefined };
  }
  const file = spool.file(`member.${randomBytes(6).toString('hex')}`);
  const dispose = (): Promise<void> => rm(file, { force: true });
  try {
    const out = createWriteStream(file, { mode: 0o600, flags: 'wx' });
    for await (const c of body) {
      hmac?.update(c);
      if (!out.write(c)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    out.end();
    await finished(out);
    check();
  } catch (err) {
    await dispose();
    throw err;
  }
  return { body: createReadStream(file), dispose };
}
