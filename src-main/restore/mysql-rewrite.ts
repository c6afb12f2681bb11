/**
 * A MySQL/MariaDB dump restored into staging under another database name (`clinica` →
 * `clinica_restore_<hex>`) must not keep pointing at the original database. mysqldump has no
 * option for that: the server prints a view whose tables are all in its own database without
 * qualifiers, but one that also reads another database (a shared lookup schema) comes out fully
 * qualified (`` `clinica`.`t` ``), and trigger, routine and event bodies are kept as written
 * (`INSERT INTO clinica.audit …`). Restored as such on the same server, the staging copy reads and
 * writes production. Routines can also be preceded by `ALTER DATABASE `clinica` CHARACTER SET …`,
 * which would change production's default character set.
 *
 * This stream rewrites, in every statement of the dump that is not a data statement:
 * - an identifier equal to the original name in qualifier position (followed by `.`, not itself
 *   after a `.`), quoted or not: `` `clinica`.`t` ``, `clinica.t`, `` `clinica` . t `` → `` `<new>`.… ``;
 * - the name after `ALTER DATABASE` / `ALTER SCHEMA` / `USE`;
 * - on staging, `DEFINER=<user>@<host>` clauses are removed (like pg_restore --no-owner): the
 *   staging server may not have the clinic's MySQL accounts, and a view whose definer is missing
 *   fails on every read. Objects are then defined by the restoring user.
 * Never inside a string literal or a comment, and never in `INSERT`/`REPLACE` statements: data rows
 * pass through byte for byte (mysqldump escapes line breaks inside values, so a data statement
 * ends at the first line that ends with the delimiter, and is copied without being parsed).
 * The lexer follows `DELIMITER` lines, versioned comments (`/*!50001 … *\/` hold code), and the
 * `sql_mode` set before each routine (NO_BACKSLASH_ESCAPES, ANSI_QUOTES).
 *
 * Known limit (documented): an alias spelled exactly like the database (`FROM t AS clinica … clinica.id`)
 * is rewritten too; the statement then fails on restore (an error, never a silent wrong result).
 * After the restore, `leftoverReferences` checks the staging database's definitions with the same
 * lexer: whatever still names the original database fails validation.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { myIdent } from '../sources/mysql.js';

export interface RewriteOptions {
  /** the database name in the dump (the source's) */
  from: string;
  /** the name it is restored under; equal to `from` leaves names alone */
  to: string;
  /** remove DEFINER= clauses (staging) */
  stripDefiners: boolean;
}

/** Bytes as a string, one char per byte (lossless both ways). */
const bin = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

const WORD = /[A-Za-z0-9_$\x80-\xff]/;
const DEFINER_CLAUSE = /DEFINER\s*=\s*(?:CURRENT_USER(?:\s*\(\s*\))?|(?:`(?:[^`]|``)*`|'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|[A-Za-z0-9_$.\x80-\xff]+)\s*@\s*(?:`(?:[^`]|``)*`|'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|[A-Za-z0-9_$.%:\x80-\xff-]+))/iy;

type Quote = "'" | '"' | '`';

/**
 * The lexer, with its state kept between lines. Text is handled as latin1 strings (one char per
 * byte), so whatever bytes the dump holds come out unchanged.
 */
export class DumpRewriter {
  private delimiter = ';';
  private noBackslashEscapes = false;
  private ansiQuotes = false;
  /** inside a quoted token that continues on the next line */
  private quote: Quote | undefined;
  /** a quoted identifier's text so far (it may span lines) */
  private quoted = '';
  /** inside a plain block comment */
  private comment = false;
  /** open versioned comments (`/*!…`): their `*\/` is skipped, their content is code */
  private versioned = 0;
  /** the statement's first word, upper case ('' at its start) */
  private first = '';
  /** the last two significant tokens of the statement (words upper case, punctuation as is) */
  private prev: [string, string] = ['', ''];
  /** the current statement's first 4 KiB, to follow `SET sql_mode` */
  private text = '';
  /** qualifiers and database names rewritten */
  replaced = 0;
  /** DEFINER clauses removed */
  definers = 0;
  private readonly from: string;
  private readonly to: string;
  private readonly renames: boolean;

  constructor(private readonly opts: RewriteOptions) {
    this.from = bin(opts.from);
    this.to = bin(myIdent(opts.to));
    this.renames = opts.from !== opts.to;
  }

  /** Data statements (`INSERT`, `REPLACE`) are copied as they are. */
  get inData(): boolean {
    return this.first === 'INSERT' || this.first === 'REPLACE';
  }

  /** Between statements, outside any quote or comment: a data line may take the fast path. */
  get atStatementStart(): boolean {
    return this.first === '' && !this.quote && !this.comment && this.versioned === 0;
  }

  get currentDelimiter(): string {
    return this.delimiter;
  }

  /** A data statement that the caller copied itself (the fast path) has ended. */
  endCopiedStatement(): void {
    this.endStatement();
  }

  /** Marks the start of a data statement copied by the caller. */
  beginCopiedData(): void {
    this.first = 'INSERT';
  }

  private endStatement(): void {
    const m = /SET\s+(?:SESSION\s+|@@SESSION\.|@@)?sql_mode\s*=\s*'([^']*)'/i.exec(this.text);
    if (m) {
      const mode = (m[1] ?? '').toUpperCase().split(',');
      this.noBackslashEscapes = mode.includes('NO_BACKSLASH_ESCAPES');
      this.ansiQuotes = mode.includes('ANSI_QUOTES') || mode.includes('ANSI');
    }
    this.first = '';
    this.prev = ['', ''];
    this.text = '';
  }

  private token(t: string): void {
    if (this.first === '') this.first = /^\w/.test(t) ? t.toUpperCase() : t;
    this.prev = [this.prev[1], /^\w/.test(t) ? t.toUpperCase() : t];
  }

  /** qualifier (`name.`, not after a `.`), or the name right after ALTER DATABASE/SCHEMA or USE */
  private isNamePosition(s: string, after: number): boolean {
    if (this.inData) return false;
    const [p2, p1] = this.prev;
    if (p1 === 'USE' && this.first === 'USE') return true;
    if ((p1 === 'DATABASE' || p1 === 'SCHEMA') && p2 === 'ALTER') return true;
    if (p1 === '.') return false;
    let k = after;
    while (s[k] === ' ' || s[k] === '\t') k++;
    return s[k] === '.';
  }

  /** Rewrites one line, given without its line break (the text between two `\n`, as latin1). */
  line(s: string): string {
    if (this.atStatementStart) {
      const d = /^DELIMITER\s+(\S+)\s*$/i.exec(s);
      if (d) {
        this.delimiter = d[1] ?? ';';
        return s;
      }
    }
    const n = s.length;
    let out = '';
    let from = 0; // s[from…] is not yet in out
    let quoteStart = -1; // where a quoted token opened on this line (-1: on an earlier line)
    const copyTo = (upTo: number): void => {
      if (this.text.length < 4096) this.text += s.slice(from, upTo);
      out += s.slice(from, upTo);
      from = upTo;
    };
    const replace = (start: number, end: number, by: string): void => {
      copyTo(start);
      out += by;
      from = end;
    };
    let i = 0;
    while (i < n) {
      const c = s[i] ?? '';
      if (this.quote) {
        const q = this.quote;
        if (c === '\\' && q !== '`' && !(q === '"' && this.ansiQuotes) && !this.noBackslashEscapes) { this.quoted += s.slice(i, i + 2); i += 2; continue; }
        if (c === q && s[i + 1] === q) { this.quoted += q; i += 2; continue; }
        if (c !== q) { this.quoted += c; i++; continue; }
        this.quote = undefined;
        i++;
        const identifier = q === '`' || (q === '"' && this.ansiQuotes);
        if (identifier) {
          if (this.renames && this.quoted === this.from && this.isNamePosition(s, i)) {
            // a quoted name split over lines is left as it is (the check after the restore still sees it)
            if (quoteStart >= 0 && quoteStart >= from) { replace(quoteStart, i, this.to); this.replaced++; }
          }
          this.token('`');
        } else {
          this.token("'");
        }
        continue;
      }
      if (this.comment) {
        const e = s.indexOf('*/', i);
        if (e < 0) break;
        this.comment = false;
        i = e + 2;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
      if (s.startsWith(this.delimiter, i)) {
        i += this.delimiter.length;
        copyTo(i);
        this.endStatement();
        continue;
      }
      if (c === "'" || c === '"' || c === '`') {
        this.quote = c;
        this.quoted = '';
        quoteStart = i;
        i++;
        continue;
      }
      if (this.inData) { i++; continue; }
      if (c === '/' && s[i + 1] === '*') {
        const v = /^\/\*M?!\d*/.exec(s.slice(i, i + 12));
        if (v) { this.versioned++; i += v[0].length; continue; }
        this.comment = true;
        i += 2;
        continue;
      }
      if (c === '*' && s[i + 1] === '/' && this.versioned > 0) { this.versioned--; i += 2; continue; }
      if (c === '#' || (c === '-' && s[i + 1] === '-' && (i + 2 >= n || /\s/.test(s[i + 2] ?? '')))) break;
      if (WORD.test(c)) {
        let j = i + 1;
        while (j < n && WORD.test(s[j] ?? '')) j++;
        const word = s.slice(i, j);
        if (this.opts.stripDefiners && word.toUpperCase() === 'DEFINER' && this.prev[1] !== 'SECURITY') {
          DEFINER_CLAUSE.lastIndex = i;
          const m = DEFINER_CLAUSE.exec(s);
          if (m) {
            replace(i, i + m[0].length, '');
            i += m[0].length;
            this.definers++;
            continue;
          }
        }
        if (this.renames && word === this.from && this.isNamePosition(s, j)) {
          replace(i, j, this.to);
          this.replaced++;
        }
        this.token(word);
        i = j;
        continue;
      }
      this.token(c);
      i++;
    }
    copyTo(n);
    if (this.quote) this.quoted += '\n';
    return out;
  }
}

const NL = 0x0a;

/**
 * The dump as a stream: data statements that start a line are copied byte for byte up to the line
 * ending with the delimiter; every other line goes through `DumpRewriter.line`.
 */
export class DumpRewriteStream extends Transform {
  readonly rewriter: DumpRewriter;
  /** the current line's bytes so far (no `\n` yet) */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** copying a data statement without parsing it */
  private copying = false;

  constructor(opts: RewriteOptions) {
    super();
    this.rewriter = new DumpRewriter(opts);
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    const out: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) break;
      const piece = chunk.subarray(pos, nl + 1);
      const line = this.pending.length ? Buffer.concat([...this.pending, piece]) : piece;
      this.pending = [];
      this.pendingBytes = 0;
      out.push(this.handle(line));
      pos = nl + 1;
    }
    if (pos < chunk.length) {
      this.pending.push(chunk.subarray(pos));
      this.pendingBytes += chunk.length - pos;
    }
    // a data line longer than 1 MiB (MySQL 8 writes a whole INSERT on one line) is passed on as it
    // comes, keeping only its last bytes (the end is all that matters)
    if (this.pendingBytes > 1 << 20) {
      if (!this.copying && this.rewriter.atStatementStart && this.pending[0] && startsData(this.pending[0])) {
        this.copying = true;
        this.rewriter.beginCopiedData();
      }
      if (this.copying) {
        const all = Buffer.concat(this.pending);
        const keep = 64; // the line's end: delimiter, spaces, \r
        out.push(all.subarray(0, all.length - keep));
        this.pending = [Buffer.from(all.subarray(all.length - keep))];
        this.pendingBytes = keep;
      }
    }
    cb(null, out.length === 1 ? out[0] : Buffer.concat(out));
  }

  override _flush(cb: TransformCallback): void {
    if (this.pendingBytes) this.push(this.handle(Buffer.concat(this.pending)));
    cb();
  }

  /** One line, with its `\n` when it has one. */
  private handle(line: Buffer): Buffer {
    const r = this.rewriter;
    if (!this.copying && r.atStatementStart && startsData(line)) {
      this.copying = true;
      r.beginCopiedData();
    }
    if (this.copying) {
      if (endsWith(line, r.currentDelimiter)) {
        this.copying = false;
        r.endCopiedStatement();
      }
      return line;
    }
    const hasNl = line[line.length - 1] === NL;
    const text = line.subarray(0, hasNl ? line.length - 1 : line.length).toString('latin1');
    const rewritten = r.line(text);
    if (rewritten === text) return line;
    return Buffer.from(hasNl ? `${rewritten}\n` : rewritten, 'latin1');
  }
}

const DATA_START = /^(?:INSERT|REPLACE)\s/i;

function startsData(line: Buffer): boolean {
  return DATA_START.test(line.subarray(0, 16).toString('latin1'));
}

/** The line (without trailing `\r\n`/spaces) ends with the delimiter. */
function endsWith(line: Buffer, delimiter: string): boolean {
  let end = line.length;
  while (end > 0 && (line[end - 1] === NL || line[end - 1] === 0x0d || line[end - 1] === 0x20 || line[end - 1] === 0x09)) end--;
  const d = Buffer.from(delimiter, 'latin1');
  return end >= d.length && line.subarray(end - d.length, end).equals(d);
}

/**
 * How many places of one definition (a view's, routine's, trigger's or event's text, as the server
 * shows it) still name the database `from` as a qualifier.
 */
export function leftoverReferences(definition: string, from: string): number {
  const r = new DumpRewriter({ from, to: `${from}\u0000`, stripDefiners: false });
  for (const l of Buffer.from(definition, 'utf8').toString('latin1').split('\n')) r.line(l);
  return r.replaced;
}
