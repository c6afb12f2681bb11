/**
 * The backup host's own dedup state for format-2 files sources, in $COFRE_HOME (0600):
 * - `content-key`: 32 random bytes, generated once, that key content ids (HMAC-SHA256), so
 *   storage never lets anyone confirm that a known file is stored. It is not the age identity;
 *   losing it only costs one full re-upload.
 * - `files-state.sqlite`: per storage (its description: backend, bucket/folder, prefix), the last
 *   listing of each source (path → size, mtime, inode, ctime, content id) and where each content
 *   id is stored (pack, size). Updated only after a set's manifest is written.
 */
import Database from 'better-sqlite3';
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, openSync, readFileSync, writeSync, closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CofreError } from '../errors.js';

const KEY_FILE = 'content-key';
const DB_FILE = 'files-state.sqlite';

/** Reads the content key, creating it (0600) on first use. */
export function contentKey(home: string): Buffer {
  const file = join(home, KEY_FILE);
  if (!existsSync(file)) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
      closeSync(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text)) {
    throw new CofreError('KEY_UNREADABLE', `${file} is not a content key (64 hex digits)`, {
      hint: 'move the damaged file away: Cofre makes a new key, and the next backup re-uploads the files once',
    });
  }
  return Buffer.from(text, 'hex');
}

export function contentHmac(key: Buffer): ReturnType<typeof createHmac> {
  return createHmac('sha256', key);
}

export interface KnownFile {
  size: number;
  mtime: string;
  inode: number;
  ctime: string;
  cid: string;
}

export interface StoredContent {
  pack: string;
  size: number;
}

export interface PackRecord {
  /** file name under packs/ */
  pack: string;
  bytes: number;
  sha256: string;
}

export class FilesState {
  private constructor(private readonly db: Database.Database) {}

  static open(home: string): FilesState {
    const file = join(home, DB_FILE);
    const db = new Database(file);
    chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS files (storage TEXT NOT NULL, source TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,
        mtime TEXT NOT NULL, inode INTEGER NOT NULL, ctime TEXT NOT NULL, cid TEXT NOT NULL, PRIMARY KEY (storage, source, path));
      CREATE TABLE IF NOT EXISTS contents (storage TEXT NOT NULL, cid TEXT NOT NULL, pack TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (storage, cid));
      CREATE TABLE IF NOT EXISTS packs (storage TEXT NOT NULL, pack TEXT NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (storage, pack));
    `);
    return new FilesState(db);
  }

  knownFiles(storage: string, source: string): Map<string, KnownFile> {
    const rows = this.db.prepare('SELECT path, size, mtime, inode, ctime, cid FROM files WHERE storage = ? AND source = ?').all(storage, source) as Array<KnownFile & { path: string }>;
    return new Map(rows.map((r) => [r.path, { size: r.size, mtime: r.mtime, inode: r.inode, ctime: r.ctime, cid: r.cid }]));
  }

  private knownStmt: Database.Statement<[string, string, string], KnownFile> | undefined;

  /** The last listing's record of one path, only when its content is still known to be stored (one indexed look-up: no listing held in memory). */
  knownStored(storage: string, source: string, path: string): KnownFile | undefined {
    this.knownStmt ??= this.db.prepare(`SELECT f.size, f.mtime, f.inode, f.ctime, f.cid FROM files f
      JOIN contents c ON c.storage = f.storage AND c.cid = f.cid WHERE f.storage = ? AND f.source = ? AND f.path = ?`);
    return this.knownStmt.get(storage, source, path);
  }

  content(storage: string, cid: string): StoredContent | undefined {
    return this.db.prepare('SELECT pack, size FROM contents WHERE storage = ? AND cid = ?').get(storage, cid) as StoredContent | undefined;
  }

  pack(storage: string, pack: string): PackRecord | undefined {
    return this.db.prepare('SELECT pack, bytes, sha256 FROM packs WHERE storage = ? AND pack = ?').get(storage, pack) as PackRecord | undefined;
  }

  /** After the manifest is written: this source's listing replaces the last one; new contents and packs are recorded. */
  commit(storage: string, source: string, files: Iterable<KnownFile & { path: string }>, contents: Iterable<StoredContent & { cid: string }>, packs: PackRecord[]): void {
    const tx = this.db.transaction(() => {
      this.db.prepare('DELETE FROM files WHERE storage = ? AND source = ?').run(storage, source);
      const insFile = this.db.prepare('INSERT INTO files (storage, source, path, size, mtime, inode, ctime, cid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      for (const f of files) insFile.run(storage, source, f.path, f.size, f.mtime, f.inode, f.ctime, f.cid);
      const insContent = this.db.prepare('INSERT OR REPLACE INTO contents (storage, cid, pack, size) VALUES (?, ?, ?, ?)');
      for (const c of contents) insContent.run(storage, c.cid, c.pack, c.size);
      const insPack = this.db.prepare('INSERT OR REPLACE INTO packs (storage, pack, bytes, sha256) VALUES (?, ?, ?, ?)');
      for (const p of packs) insPack.run(storage, p.pack, p.bytes, p.sha256);
    });
    tx();
  }

  /** A pack found missing or wrong: its contents are uploaded again by the next backup. */
  forgetPack(storage: string, pack: string): void {
    const tx = this.db.transaction(() => {
      this.db.prepare('DELETE FROM contents WHERE storage = ? AND pack = ?').run(storage, pack);
      this.db.prepare('DELETE FROM packs WHERE storage = ? AND pack = ?').run(storage, pack);
    });
    tx();
  }

  close(): void {
    this.db.close();
  }
}
