/**
 * The per-set index of a format-2 files source, encrypted: `sets/<setId>/<source>.index.zst.age`
 * (zstd-compressed inside, when the source's `compress` is on: the default) or
 * `sets/<setId>/<source>.index.age` (plain text inside; every set made before indexes were
 * compressed). Readers tell the two apart by the key's suffix only (`isCompressedIndex`).
 * One line per entry, designed for sh. Fields are separated by one space; each field is escaped
 * so that `printf '%b'` gives back its bytes: every byte outside [A-Za-z0-9._/+,:@=-] becomes
 * `\0ooo` (octal), an empty field is `-` (and a field that is just `-` is `\0055`). Lines starting with `#` are comments.
 *
 * Fields, in order: type path mode uid gid owner group mtime size target linkGroup sparse cid pack member
 * - type: f regular file, d folder, l symlink, h hard link (target = the group's first path; it
 *   also carries the content, so it can be restored alone), o other (socket, fifo, device:
 *   listed, never restored)
 * - mode: permission bits in octal; mtime: seconds since the epoch with the fraction find prints
 * - cid: keyed content id (HMAC-SHA256 hex), `-` for folders, symlinks and empty files
 * - pack: the pack's file name under `packs/`; member: its member name (the cid)
 */
import { CofreError } from '../errors.js';

export type EntryType = 'f' | 'd' | 'l' | 'h' | 'o';

export interface IndexEntry {
  type: EntryType;
  /** absolute path on the server */
  path: string;
  /** permission bits, octal text such as `644` or `4755` */
  mode: string;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  /** `<seconds>.<fraction>` since the epoch, as `find -printf %T@` prints it */
  mtime: string;
  size: number;
  /** symlink target, or (h) the path of the group's first entry */
  target: string;
  /** hard-link group number (0: not hard-linked) */
  linkGroup: number;
  sparse: boolean;
  cid: string;
  pack: string;
  member: string;
}

/** The stored index of a set is zstd-compressed inside its age encryption (decided by the key, never by the bytes). */
export function isCompressedIndex(key: string): boolean {
  return key.endsWith('.index.zst.age');
}

export const INDEX_HEADER = '# cofre-files-index/1 type path mode uid gid owner group mtime size target linkGroup sparse cid pack member';

const SAFE_FIELD = /^[A-Za-z0-9._/+,:@=-]+$/;
/** Each byte's form in a field: itself when safe, else `\0ooo`. */
const BYTE_FORM: readonly string[] = Array.from({ length: 256 }, (_, byte) => {
  const ch = String.fromCharCode(byte);
  return byte < 0x80 && /[A-Za-z0-9._/+,:@=-]/.test(ch) ? ch : `\\0${byte.toString(8).padStart(3, '0')}`;
});

export function escapeField(value: string): string {
  if (value === '') return '-';
  if (value === '-') return '\\0055';
  if (SAFE_FIELD.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) out += BYTE_FORM[byte] ?? '';
  return out;
}

export function unescapeField(field: string): string {
  if (field === '-') return '';
  if (!field.includes('\\')) return field;
  const bytes = field.replace(/\\0([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8) & 0xff));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

export function formatEntry(e: IndexEntry): string {
  return [
    e.type, e.path, e.mode, String(e.uid), String(e.gid), e.owner, e.group, e.mtime, String(e.size), e.target,
    String(e.linkGroup), e.sparse ? '1' : '0', e.cid, e.pack, e.member,
  ].map(escapeField).join(' ');
}

const TYPES: readonly string[] = ['f', 'd', 'l', 'h', 'o'];

export function parseEntry(line: string, lineNo: number): IndexEntry {
  const f = line.split(' ').map(unescapeField);
  const bad = (what: string): never => {
    throw new CofreError('INTEGRITY', `line ${lineNo} of a files index is not valid (${what})`, {
      hint: 'the index does not match this Cofre version or is damaged; verify the set with `cofre verify --deep`',
    });
  };
  if (f.length !== 15) bad(`${f.length} fields, 15 expected`);
  const [type, path, mode, uid, gid, owner, group, mtime, size, target, linkGroup, sparse, cid, pack, member] = f as [string, string, string, string, string, string, string, string, string, string, string, string, string, string, string];
  if (!TYPES.includes(type)) bad(`type ${JSON.stringify(type)}`);
  if (!path.startsWith('/')) bad('path is not absolute');
  if (!/^[0-7]{1,4}$/.test(mode)) bad('mode');
  return {
    type: type as EntryType, path, mode, uid: Number(uid), gid: Number(gid), owner, group, mtime, size: Number(size), target,
    linkGroup: Number(linkGroup), sparse: sparse === '1', cid, pack, member,
  };
}

/**
 * Splits a plaintext index into entries as its chunks arrive (one line at a time: memory does not
 * grow with the index). Synchronous, for a Writable as well as an async stream.
 */
export class IndexLineReader {
  private rest = '';
  private lineNo = 0;

  /** The entries the chunk completes, each with its line as stored (throws on a line that does not parse). */
  *push(chunk: Buffer | string): Generator<{ entry: IndexEntry; line: string }> {
    const text = this.rest + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl);
      start = nl + 1;
      this.lineNo++;
      if (line === '' || line.startsWith('#')) continue;
      yield { entry: parseEntry(line, this.lineNo), line };
    }
    this.rest = text.slice(start);
  }

  /** The last entry, when the index does not end with a newline. */
  *end(): Generator<{ entry: IndexEntry; line: string }> {
    const rest = this.rest;
    this.rest = '';
    if (rest !== '' && !rest.startsWith('#')) yield { entry: parseEntry(rest, this.lineNo + 1), line: rest };
  }
}

/**
 * Parses a plaintext index as it streams (one line at a time: memory does not grow with the
 * index), yielding each entry with its line as stored.
 */
export async function* streamIndex(plain: AsyncIterable<Buffer | string>): AsyncGenerator<{ entry: IndexEntry; line: string }> {
  const reader = new IndexLineReader();
  for await (const chunk of plain) yield* reader.push(chunk);
  yield* reader.end();
}

/** Parses a whole plaintext index held in memory (small indexes, tests). */
export function parseIndex(text: string): IndexEntry[] {
  const out: IndexEntry[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    out.push(parseEntry(line, i + 1));
  });
  return out;
}

export function formatIndex(entries: readonly IndexEntry[]): string {
  return `${INDEX_HEADER}\n${entries.map(formatEntry).join('\n')}${entries.length ? '\n' : ''}`;
}

/** True when `path` is `prefix` itself or lies under it. */
export function underPath(path: string, prefix: string): boolean {
  const p = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  return path === p || path.startsWith(p === '/' ? '/' : `${p}/`);
}

/** The entries under any of these absolute prefixes (every entry without prefixes). */
export function selectEntries(entries: readonly IndexEntry[], prefixes: readonly string[] | undefined): IndexEntry[] {
  if (!prefixes || prefixes.length === 0) return [...entries];
  return entries.filter((e) => prefixes.some((p) => underPath(e.path, p)));
}
