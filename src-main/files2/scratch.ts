/**
 * What one format-2 backup of one source learns while it runs, kept on disk (a SQLite file in
 * the job's private spool, no journal, no fsync) instead of in memory, so a tree of a million
 * files costs the same memory as one of a thousand:
 * - `files`: each regular file that carries content (path → content id, bytes read, and the pack
 *   when the file is unchanged since the last listing), with the content id still unknown (NULL)
 *   until the file is read over SSH;
 * - `contents`: the contents this run stored (content id → pack, size);
 * - `known`: the listing recorded in the dedup state once the manifest is written.
 */
import type Database from 'better-sqlite3';
import type { KnownFile, StoredContent } from './state.js';
import type { Spool } from './spool.js';
import { ScratchDb } from './scratch-db.js';

/** A file of this run: content id and bytes read (null until read), and its pack when it was known from the last listing. */
export interface ScratchFile {
  cid: string | null;
  size: number | null;
  pack: string | null;
}

const SCHEMA = `
  CREATE TABLE files (path TEXT PRIMARY KEY, cid TEXT, size INTEGER, pack TEXT) WITHOUT ROWID;
  CREATE TABLE contents (cid TEXT PRIMARY KEY, pack TEXT NOT NULL, size INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE known (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime TEXT NOT NULL, inode INTEGER NOT NULL, ctime TEXT NOT NULL, cid TEXT NOT NULL) WITHOUT ROWID;
`;

export class BackupScratch extends ScratchDb {
  private readonly st: {
    addFile: Database.Statement<[string, string | null, string | null]>;
    file: Database.Statement<[string], ScratchFile>;
    setRead: Database.Statement<[string, number, string]>;
    addContent: Database.Statement<[string, string, number]>;
    content: Database.Statement<[string], StoredContent>;
    addKnown: Database.Statement<[string, number, string, number, string, string]>;
  };
  contents = 0;

  constructor(spool: Spool) {
    super(spool, 'scratch.sqlite', SCHEMA);
    this.st = {
      addFile: this.db.prepare('INSERT INTO files (path, cid, pack) VALUES (?, ?, ?)'),
      file: this.db.prepare('SELECT cid, size, pack FROM files WHERE path = ?'),
      setRead: this.db.prepare('UPDATE files SET cid = ?, size = ? WHERE path = ?'),
      addContent: this.db.prepare('INSERT OR IGNORE INTO contents (cid, pack, size) VALUES (?, ?, ?)'),
      content: this.db.prepare('SELECT pack, size FROM contents WHERE cid = ?'),
      addKnown: this.db.prepare('INSERT INTO known (path, size, mtime, inode, ctime, cid) VALUES (?, ?, ?, ?, ?, ?)'),
    };
  }

  /** A regular file that carries content: its content id and pack when known (unchanged since the last listing), null when it is to be read. */
  addFile(path: string, known: { cid: string; pack: string } | null): void {
    this.wrote();
    this.st.addFile.run(path, known?.cid ?? null, known?.pack ?? null);
  }

  file(path: string): ScratchFile | undefined {
    return this.st.file.get(path);
  }

  /** The file was read: its content id and the bytes tar gave. */
  setRead(path: string, cid: string, size: number): void {
    this.wrote();
    this.st.setRead.run(cid, size, path);
  }

  addContent(cid: string, c: StoredContent): void {
    this.wrote();
    if (this.st.addContent.run(cid, c.pack, c.size).changes > 0) this.contents++;
  }

  content(cid: string): StoredContent | undefined {
    return this.st.content.get(cid);
  }

  addKnown(f: KnownFile & { path: string }): void {
    this.wrote();
    this.st.addKnown.run(f.path, f.size, f.mtime, f.inode, f.ctime, f.cid);
  }

  /** The listing to record in the dedup state, as FilesState.commit reads it: this SQLite file (its writes committed), table `known`. */
  knownListing(): { file: string; table: string } {
    this.flush();
    return { file: this.dbFile, table: 'known' };
  }

  *storedContents(): IterableIterator<StoredContent & { cid: string }> {
    this.flush();
    yield* this.db.prepare('SELECT cid, pack, size FROM contents').iterate() as IterableIterator<StoredContent & { cid: string }>;
  }

  /** the contents that went into one pack, a row at a time (indexed on first use, after the packs are written) */
  *contentsOf(pack: string): IterableIterator<{ cid: string; size: number }> {
    this.flush();
    this.db.exec('CREATE INDEX IF NOT EXISTS contents_pack ON contents (pack)');
    yield* this.db.prepare('SELECT cid, size FROM contents WHERE pack = ?').iterate(pack) as IterableIterator<{ cid: string; size: number }>;
  }
}
