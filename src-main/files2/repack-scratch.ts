/**
 * What one `cofre repack` of one storage learns while it runs, kept on disk (a SQLite file in
 * the job's private spool, no journal, no fsync) instead of in memory, so sets of a million
 * entries cost the same memory as sets of a thousand (the scratch of a backup, files2/scratch.ts,
 * does the same):
 * - `live`: each member of a pack that some complete set's index names (pack, the index's member
 *   field: the whole content id or its first digits, size), once however many sets name it that
 *   way; `moved` is the pack it was copied into and `name` the member's whole name, once it was;
 * - `placed`: each content copied into a new pack by this run (one copy of each content).
 */
import type Database from 'better-sqlite3';
import type { Spool } from './spool.js';
import { ScratchDb } from './scratch-db.js';

const SCHEMA = `
  CREATE TABLE live (pack TEXT NOT NULL, cid TEXT NOT NULL, size INTEGER NOT NULL, moved TEXT, name TEXT, PRIMARY KEY (pack, cid)) WITHOUT ROWID;
  CREATE TABLE placed (cid TEXT PRIMARY KEY, pack TEXT NOT NULL, size INTEGER NOT NULL) WITHOUT ROWID;
`;

export class RepackScratch extends ScratchDb {
  private readonly st: {
    addLive: Database.Statement<[string, string, number]>;
    live: Database.Statement<[string, string], { size: number; moved: string | null; name: string | null }>;
    setMoved: Database.Statement<[string, string, string, string]>;
    lengths: Database.Statement<[string], { n: number }>;
    unmoved: Database.Statement<[string], { cid: string }>;
    place: Database.Statement<[string, string, number]>;
    placed: Database.Statement<[string], { pack: string }>;
  };

  constructor(spool: Spool) {
    super(spool, 'repack.sqlite', SCHEMA);
    this.st = {
      addLive: this.db.prepare('INSERT OR IGNORE INTO live (pack, cid, size) VALUES (?, ?, ?)'),
      live: this.db.prepare('SELECT size, moved, name FROM live WHERE pack = ? AND cid = ?'),
      setMoved: this.db.prepare('UPDATE live SET moved = ?, name = ? WHERE pack = ? AND cid = ?'),
      lengths: this.db.prepare('SELECT DISTINCT length(cid) AS n FROM live WHERE pack = ?'),
      unmoved: this.db.prepare('SELECT cid FROM live WHERE pack = ? AND moved IS NULL LIMIT 1'),
      place: this.db.prepare('INSERT INTO placed (cid, pack, size) VALUES (?, ?, ?)'),
      placed: this.db.prepare('SELECT pack FROM placed WHERE cid = ?'),
    };
  }

  /** A member (`cid`: the index's member field, `memberField`) of pack key `pack` that a complete set's index names. */
  addLive(pack: string, cid: string, size: number): void {
    this.wrote();
    this.st.addLive.run(pack, cid, size);
  }

  /**
   * The live plaintext bytes of each pack some index names (pack key → bytes), each member once:
   * a member named whole by a /1 index and short by a /2 one counts under its shortest field.
   */
  liveBytes(): Map<string, number> {
    this.flush();
    const lengths = (this.db.prepare('SELECT DISTINCT length(cid) AS n FROM live').all() as Array<{ n: number }>).map((r) => r.n);
    const longer = lengths.map((n) => `(length(l.cid) > ${Number(n)} AND EXISTS (SELECT 1 FROM live o WHERE o.pack = l.pack AND o.cid = substr(l.cid, 1, ${Number(n)})))`);
    const sql = `SELECT pack, SUM(size) AS bytes FROM live l${longer.length ? ` WHERE NOT (${longer.join(' OR ')})` : ''} GROUP BY pack`;
    const rows = this.db.prepare(sql).all() as Array<{ pack: string; bytes: number }>;
    return new Map(rows.map((r) => [r.pack, r.bytes]));
  }

  /** The member a set's index names by this member field (with the new pack it went into and its whole name, once moved). */
  live(pack: string, cid: string): { size: number; moved: string | null; name: string | null } | undefined {
    return this.st.live.get(pack, cid);
  }

  /** The lengths of the member fields naming members of `pack` (64: whole names; fewer: short ones). */
  fieldLengths(pack: string): number[] {
    this.flush();
    return this.st.lengths.all(pack).map((r) => r.n);
  }

  /** The member named by field `cid` (whole name `name`) was copied into new pack `to`. */
  setMoved(pack: string, cid: string, to: string, name: string): void {
    this.wrote();
    this.st.setMoved.run(to, name, pack, cid);
  }

  /** A live member of `pack` that was not moved (the pack did not hold it), if any. */
  unmoved(pack: string): string | undefined {
    this.flush();
    return this.st.unmoved.get(pack)?.cid;
  }

  /** A content copied into new pack `pack` by this run. */
  place(cid: string, pack: string, size: number): void {
    this.wrote();
    this.st.place.run(cid, pack, size);
  }

  /** The new pack a content was already copied into by this run. */
  placed(cid: string): string | undefined {
    return this.st.placed.get(cid)?.pack;
  }

  /** The contents copied into one new pack, a row at a time. */
  *contentsOf(pack: string): IterableIterator<{ cid: string; size: number }> {
    this.flush();
    this.db.exec('CREATE INDEX IF NOT EXISTS placed_pack ON placed (pack)');
    yield* this.db.prepare('SELECT cid, size FROM placed WHERE pack = ?').iterate(pack) as IterableIterator<{ cid: string; size: number }>;
  }

  /** Every move (old pack key, whole content id, new pack name), once per content, a row at a time. */
  *moves(): IterableIterator<{ from: string; cid: string; to: string }> {
    this.flush();
    yield* this.db.prepare('SELECT DISTINCT pack AS "from", name AS cid, moved AS "to" FROM live WHERE moved IS NOT NULL').iterate() as IterableIterator<{ from: string; cid: string; to: string }>;
  }
}
