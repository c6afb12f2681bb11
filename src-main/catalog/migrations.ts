/**
 * Catalog migrations: numbered, append-only. Each applied migration's SHA-256 is stored, so an
 * edit to one already applied is detected at open instead of silently diverging.
 * Never edit or reorder an entry; add a new one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, events, audit',
    sql: `
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('backup', 'restore', 'drill', 'verify', 'prune')),
        plan TEXT,
        set_id TEXT,
        target TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
        started_at TEXT NOT NULL,
        finished_at TEXT,
        bytes INTEGER NOT NULL DEFAULT 0,
        duration_ms INTEGER,
        error_code TEXT,
        error_message TEXT,
        error_hint TEXT,
        trigger TEXT NOT NULL DEFAULT 'manual',
        details TEXT
      ) STRICT;
      CREATE INDEX runs_plan_started ON runs (plan, started_at);

      CREATE TABLE run_sources (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        source TEXT NOT NULL,
        status TEXT NOT NULL,
        bytes INTEGER NOT NULL DEFAULT 0,
        duration_ms INTEGER,
        sha256 TEXT,
        PRIMARY KEY (run_id, source)
      ) STRICT;

      CREATE TABLE run_log (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        level TEXT NOT NULL CHECK (level IN ('info', 'warn', 'error')),
        message TEXT NOT NULL
      ) STRICT;

      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        plan TEXT,
        channel TEXT NOT NULL,
        ok INTEGER NOT NULL,
        message TEXT NOT NULL,
        error TEXT
      ) STRICT;
      CREATE INDEX events_at ON events (at);

      CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        details TEXT
      ) STRICT;
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

      CREATE TABLE state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE sets_cache (
        storage TEXT NOT NULL,
        set_id TEXT NOT NULL,
        plan TEXT,
        created_at TEXT NOT NULL,
        complete INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        manifest TEXT,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (storage, set_id)
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'sets cache: state and finishedAt per set, so status and --at work from the cached listing',
    sql: `
      ALTER TABLE sets_cache ADD COLUMN state TEXT;
      ALTER TABLE sets_cache ADD COLUMN finished_at TEXT;
    `,
  },
  {
    version: 3,
    name: 'message keys on run errors and log lines',
    sql: `
      ALTER TABLE runs ADD COLUMN error_key TEXT;
      ALTER TABLE runs ADD COLUMN error_params TEXT;
      ALTER TABLE run_log ADD COLUMN key TEXT;
      ALTER TABLE run_log ADD COLUMN params TEXT;
    `,
  },
  {
    version: 4,
    name: 'pack garbage collection results per prune and storage, for the console',
    sql: `
      CREATE TABLE pack_gc (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        storage TEXT NOT NULL,
        plan TEXT,
        run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL,
        packs INTEGER NOT NULL,
        referenced INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        bytes_freed INTEGER NOT NULL,
        pending INTEGER NOT NULL,
        pending_bytes INTEGER NOT NULL,
        next_deletable_at TEXT,
        failed INTEGER NOT NULL,
        blocked_set TEXT,
        blocked_reason TEXT,
        blocked_key TEXT,
        blocked_params TEXT
      ) STRICT;
      CREATE INDEX pack_gc_storage_at ON pack_gc (storage, at);
      CREATE INDEX pack_gc_run ON pack_gc (run_id);
    `,
  },
];
