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
 * - cid: keyed content id (HMAC-SHA256 hex), `-` for folders, symlinks and empty files. A
 *   `# cofre-files-index/2` index writes only its first SHORT_CID_HEX hex digits (`shortCid`);
 *   a `/1` index, the whole 64.
 * - pack: the pack's file name under `packs/`; member: the name of its member in that pack
 *   (`/1`), or `-` (`/2`: the cid field names it; `memberField`). Pack members are always named
 *   by the whole content id; a member matches an entry when its name starts with the entry's
 *   member field (`memberMatches`, the one rule every reader uses; a whole name starts with
 *   itself). Repack shortens the entries it moves into new packs and keeps the others as it
 *   found them, so a `/2` index may hold whole ids too (within one pack, always one length).
 *   PackWriter never puts two members sharing their first SHORT_CID_HEX digits into one pack,
 *   so within a pack the short form names one member.
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

/**
 * The header of the indexes this version writes. `/1` indexes (whole content ids in cid and
 * member) stay readable: the fields are the same, and the matching rule (`memberMatches`) reads both.
 */
export const INDEX_HEADER = '# cofre-files-index/2 type path mode uid gid owner group mtime size target linkGroup sparse cid pack member'
  + ' (cid: the keyed content id or its first 16 hex digits; member: the same, or - for the cid;'
  + ' the member of pack whose name starts with the member field holds the content)';

/** The header of indexes made before short ids (whole ids in cid and member). */
export const INDEX_HEADER_V1 = '# cofre-files-index/1 type path mode uid gid owner group mtime size target linkGroup sparse cid pack member';

/**
 * Hex digits of the content id that a `/2` index writes in its cid and member fields: 64 bits,
 * unique within a pack by construction (PackWriter), so they name one member of it. The 48
 * remaining digits were ≈ 70 % of an entry's stored bytes (HMAC output does not compress).
 */
export const SHORT_CID_HEX = 16;

let shortHex = SHORT_CID_HEX;
let writeV1 = false;

/** The digits writers use now: SHORT_CID_HEX, or what a test set (`setIndexFormForTests`). */
export function shortCidHex(): number {
  return shortHex;
}

/**
 * Tests only: a shorter prefix (e.g. 1 digit) makes prefix clashes certain, so the writer's rule
 * is exercised; `v1` writes indexes as Cofre did before `/2` (whole ids), to prove old sets still work.
 */
export function setIndexFormForTests(form: { shortHex?: number; v1?: boolean } | undefined): void {
  shortHex = form?.shortHex ?? SHORT_CID_HEX;
  writeV1 = form?.v1 ?? false;
}

/** The header a new index starts with. */
export function indexHeader(): string {
  return writeV1 ? INDEX_HEADER_V1 : INDEX_HEADER;
}

/** The cid and member fields a new index holds for a content id: its short form, and no member field (`-`: the cid names it). */
export function newEntryIds(cid: string): { cid: string; member: string } {
  if (writeV1) return { cid, member: cid };
  return { cid: shortCid(cid), member: '' };
}

/** The short form of a content id a `/2` index holds (an empty id stays empty). */
export function shortCid(cid: string): string {
  return cid.slice(0, shortHex);
}

/** The entry's member field: `member`, or (`/2`, member `-`) its cid. */
export function memberField(e: Pick<IndexEntry, 'cid' | 'member'>): string {
  return e.member || e.cid;
}

/**
 * The one rule that finds an index entry's member in its pack: the member's name starts with the
 * entry's member field (a `/1` field is the whole name, a `/2` field its first digits).
 */
export function memberMatches(name: string, field: string): boolean {
  return field !== '' && name.startsWith(field);
}

/** Two content ids (whole or short) name the same content when the shorter is the start of the longer. */
export function sameContentId(a: string, b: string): boolean {
  if (a === '' || b === '') return a === b;
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}

/**
 * The member fields wanted of one pack, matched against its members' names by `memberMatches`
 * (looked up by the name's first digits for each field length held: a few lengths, O(1) each).
 * `claim` fails closed when two different members match one field: the index would not name one
 * content (a pack written before PackWriter kept short names unique, with a 64-bit clash).
 */
export class MemberFields {
  private readonly fields = new Map<string, string | undefined>();
  private readonly lengths: number[] = [];

  add(field: string): void {
    if (field === '' || this.fields.has(field)) return;
    this.fields.set(field, undefined);
    if (!this.lengths.includes(field.length)) this.lengths.push(field.length);
  }

  has(field: string): boolean {
    return this.fields.has(field);
  }

  get size(): number {
    return this.fields.size;
  }

  /** The fields added, in the order they came. */
  values(): IterableIterator<string> {
    return this.fields.keys();
  }

  /** The wanted fields a member name matches (usually none or one). */
  matches(name: string): string[] {
    const out: string[] = [];
    for (const n of this.lengths) {
      if (name.length < n) continue;
      const f = name.slice(0, n);
      if (this.fields.has(f) && memberMatches(name, f)) out.push(f);
    }
    return out;
  }

  /** Like `matches`, recording which member each field found; throws when a field already found another member. */
  claim(name: string, label: string): string[] {
    const found = this.matches(name);
    for (const f of found) {
      const had = this.fields.get(f);
      if (had !== undefined && had !== name) {
        throw new CofreError('INTEGRITY', `${label} holds two members that start with ${f.slice(0, 12)}…: the index does not tell which one it names`, {
          hint: 'restore another set; report this (packs written by this Cofre version never hold two such members)',
        });
      }
      this.fields.set(f, name);
    }
    return found;
  }

  /** A field no member was claimed for, if any. */
  unclaimed(): string | undefined {
    for (const [f, name] of this.fields) if (name === undefined) return f;
    return undefined;
  }
}

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
