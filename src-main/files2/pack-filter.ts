/**
 * Member filtering of a pack for a granular restore. A pack is tens of MB of members; restoring
 * one file from it used to send the whole pack over SSH for tar on the target to write one member.
 * Here, on the backup host (where the identity is), the decrypted pack is decompressed and its tar
 * stream parsed (tar-stream); only the asked members are written out again as a tar stream (their
 * headers, pax records when they have any, and the end-of-archive blocks), so only their bytes
 * cross SSH. The pack is still read from storage whole: its SHA-256 covers every byte.
 */
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { extract as tarExtract, pack as tarPack, type Header, type Pack } from 'tar-stream';
import { CofreError } from '../errors.js';
import { MemberFields } from './index-format.js';

/**
 * A pack is filtered when the members asked of it, with their tar headers, are at most this part
 * of its stored size (what crossing it whole costs on the SSH link): the link then carries at most
 * half the bytes. Past that, decompressing here and sending uncompressed members would save little
 * link time and cost CPU here (bench/single-file-restore.ts and bench/RESULTS.md, "Single-file restore").
 */
export const FILTER_AT_MOST = 0.5;

/** Filtered bytes held here while SSH is slower than reading the pack (memory: at most this, once per restore). */
export const FILTERED_BUFFER_BYTES = 16 * 1024 * 1024;

/** Bytes a member costs in a tar stream besides its content: its header block and at most a block of padding. */
export const TAR_MEMBER_OVERHEAD = 1024;

/** True when the members asked of a pack, headers included, are a small enough part of its stored bytes to filter it here. */
export function worthFiltering(selected: { members: number; bytes: number }, storedBytes: number, atMost = FILTER_AT_MOST): boolean {
  return selected.bytes + selected.members * TAR_MEMBER_OVERHEAD <= storedBytes * atMost;
}

let zstdHere: Promise<boolean> | undefined;

/** Whether the zstd CLI runs on this computer (asked once per process): without it a compressed pack is not filtered here but sent whole. */
export function zstdAvailableHere(): Promise<boolean> {
  zstdHere ??= new Promise((resolve) => {
    execFile('zstd', ['--version'], (err) => resolve(!err));
  });
  return zstdHere;
}

export interface FilteredTar {
  /** the filtered tar stream: the wanted members, in pack order, then the end-of-archive blocks */
  stream: Readable;
  /** resolves once the whole input was parsed and every wanted member was written; rejects on a parse failure or a missing member */
  done: Promise<{ members: number; bytes: number }>;
}

/**
 * Reads a plain tar stream (a decrypted, decompressed pack) and writes out only the members that
 * the index's member fields in `wanted` name (`memberMatches`: the name starts with the field),
 * each named by its field, as the place code finds it. Every other member is read through and
 * dropped. A wanted member the pack does not hold, or two members matching one field, fail `done`
 * (and the output stream), so nothing partial or ambiguous looks complete.
 */
export function filterTar(input: Readable, wanted: ReadonlySet<string>, label: string): FilteredTar {
  const ex = tarExtract();
  const out = tarPack();
  // their failures reach `done` and the output's reader; once those have stopped listening, an
  // 'error' event unheard would end the process
  ex.on('error', () => undefined);
  out.on('error', () => undefined);
  input.on('error', (err) => ex.destroy(err));
  input.pipe(ex);
  const fields = new MemberFields();
  for (const w of wanted) fields.add(w);
  const done = (async () => {
    const found = new Set<string>();
    let bytes = 0;
    for await (const entry of ex) {
      const header = entry.header;
      const [field] = found.has(header.name) ? [] : fields.claim(header.name, label);
      if (field === undefined) {
        // a cut stream fails this skipped member too: the extract's iterator reports it, unheard here it would end the process
        entry.on('error', () => undefined);
        entry.resume();
        continue;
      }
      if (header.type !== 'file') {
        throw new CofreError('INTEGRITY', `${label}: member ${header.name.slice(0, 12)}… is a ${header.type ?? 'member'}, not a file`, { hint: 'the pack is not what the backup wrote; restore another set' });
      }
      found.add(header.name);
      bytes += await copyMember(entry, out, renamed(header, field));
    }
    const missing = fields.unclaimed();
    if (missing !== undefined) {
      throw new CofreError('INTEGRITY', `${label} lacks member ${missing.slice(0, 12)}… that the index places in it`, { hint: 'the set is inconsistent; verify it with `cofre verify --deep` and restore another set' });
    }
    out.finalize();
    return { members: found.size, bytes };
  })();
  done.catch((err: unknown) => {
    ex.destroy();
    out.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  // tar-stream's streams are streamx streams: bridged to a Node stream through its async iterator.
  // Its buffer lets the pack's parse go on while the asked members cross SSH (else the pack waits
  // for the link, then the link for the rest of the pack, whose hash needs every byte)
  return { stream: Readable.from(out, { objectMode: false, highWaterMark: FILTERED_BUFFER_BYTES }), done };
}

/** The member's header under the index's name for it (a pax `path` record, which would override it, is dropped). */
function renamed(header: Header, name: string): Header {
  const pax = header.pax as Record<string, string> | undefined;
  if (pax?.path === undefined) return { ...header, name };
  return { ...header, name, pax: Object.fromEntries(Object.entries(pax).filter(([k]) => k !== 'path')) };
}

/** One member into the output pack, with back-pressure; resolves with its content bytes once its padding is written. */
async function copyMember(body: AsyncIterable<unknown>, out: Pack, header: Header): Promise<number> {
  let bytes = 0;
  let w!: ReturnType<Pack['entry']>;
  const entryDone = new Promise<void>((resolve, reject) => {
    w = out.entry(header, (err) => (err ? reject(err) : resolve()));
  });
  entryDone.catch(() => undefined); // awaited below, after the content
  w.on('error', () => undefined); // destroyed with the output when the input fails: `done` says why
  for await (const data of body) {
    const chunk = data as Buffer;
    bytes += chunk.length;
    if (!w.write(chunk)) await drainedOrClosed(w);
    if (w.destroyed) throw new CofreError('CANCELLED', 'the filtered pack stream was closed before its end');
  }
  await new Promise<void>((resolve, reject) => {
    w.once('finish', () => resolve());
    w.once('error', reject);
    w.end(undefined);
  });
  await entryDone;
  return bytes;
}

/** Waits for room in a member's sink, or for its end (the output destroyed: `done` fails on the next write). */
function drainedOrClosed(w: ReturnType<Pack['entry']>): Promise<void> {
  return new Promise((resolve) => {
    if (w.destroyed) { resolve(); return; }
    const go = (): void => {
      w.off('drain', go);
      w.off('close', go);
      resolve();
    };
    w.on('drain', go);
    w.on('close', go);
  });
}
