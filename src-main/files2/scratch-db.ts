/**
 * A run's scratch SQLite file in its job's private spool: no journal, no fsync, at most 8 MB of
 * page cache, writes grouped in transactions of a few thousand. What a run learns goes here
 * instead of into memory, so a million entries cost the same memory as a thousand. Backups
 * (scratch.ts) and repack (repack-scratch.ts) each define their tables on top of it.
 */
import Database from 'better-sqlite3';
import type { Spool } from './spool.js';

export abstract class ScratchDb {
  protected readonly db: Database.Database;
  /** the SQLite file, for callers that attach it (its writes committed first: flush) */
  protected readonly dbFile: string;
  private inTx = false;
  private pendingWrites = 0;

  protected constructor(spool: Spool, fileName: string, schema: string) {
    this.dbFile = spool.file(fileName);
    this.db = new Database(this.dbFile);
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('cache_size = -8000'); // 8 MB of pages at most
    this.db.exec(schema);
  }

  /** Call before each write: writes are grouped in transactions of a few thousand (cheap without a journal, but not free). */
  protected wrote(): void {
    if (!this.inTx) {
      this.db.exec('BEGIN');
      this.inTx = true;
    }
    if (++this.pendingWrites >= 5000) this.flush();
  }

  /** Commits the writes so far (before reading what they wrote in bulk, or handing the file on). */
  flush(): void {
    if (this.inTx) this.db.exec('COMMIT');
    this.inTx = false;
    this.pendingWrites = 0;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
