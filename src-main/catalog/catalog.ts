/**
 * The local SQLite catalog in $COFRE_HOME: a cache of what storage holds, the run log, alert
 * events and the append-only audit trail. Storage stays the source of truth for sets.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { CofreError, type ErrorInfo } from '../errors.js';
import { isCatalogKey, type MessageParams, type MessageRef } from '../../shared/i18n/catalog.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import type { SetState } from '../../shared/domain.js';

export type RunKind = 'backup' | 'restore' | 'drill' | 'verify' | 'prune';
export type RunState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunRecord {
  id: number;
  kind: RunKind;
  plan: string | null;
  setId: string | null;
  target: string | null;
  status: RunState;
  startedAt: string;
  finishedAt: string | null;
  bytes: number;
  durationMs: number | null;
  error: ErrorInfo | null;
  trigger: string;
  details: unknown;
}

export interface RunSourceRecord {
  source: string;
  status: string;
  bytes: number;
  durationMs: number | null;
  sha256: string | null;
}

export interface EventRecord {
  id: number;
  at: string;
  kind: string;
  plan: string | null;
  channel: string;
  ok: boolean;
  message: string;
  error: string | null;
}

export interface AuditRecord {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: unknown;
}

export interface CachedSet {
  storage: string;
  setId: string;
  plan: string | null;
  createdAt: string;
  complete: boolean;
  /** SetState as last listed (undefined for rows cached by an older Cofre) */
  state?: SetState | undefined;
  finishedAt?: string | undefined;
  bytes: number;
  manifest: unknown;
}

/** What one prune's pack garbage collection did on one storage (retention/pack-gc.ts), as the console shows it. */
export interface PackGcRecord {
  at: string;
  storage: string;
  plan: string | null;
  /** the backup run whose prune this was (none for `cofre prune`) */
  runId: number | null;
  packs: number;
  referenced: number;
  deleted: number;
  bytesFreed: number;
  pending: number;
  pendingBytes: number;
  /** when the first pending pack may be deleted (by a later prune) */
  nextDeletableAt: string | null;
  failed: number;
  /** set when GC deleted nothing because something is in doubt */
  blocked: ({ setId: string | null; reason: string } & Partial<MessageRef>) | null;
}

interface PackGcRow {
  at: string; storage: string; plan: string | null; run_id: number | null; packs: number; referenced: number; deleted: number;
  bytes_freed: number; pending: number; pending_bytes: number; next_deletable_at: string | null; failed: number;
  blocked_set: string | null; blocked_reason: string | null; blocked_key: string | null; blocked_params: string | null;
}

function toPackGc(r: PackGcRow): PackGcRecord {
  return {
    at: r.at, storage: r.storage, plan: r.plan, runId: r.run_id, packs: r.packs, referenced: r.referenced, deleted: r.deleted,
    bytesFreed: r.bytes_freed, pending: r.pending, pendingBytes: r.pending_bytes, nextDeletableAt: r.next_deletable_at, failed: r.failed,
    blocked: r.blocked_reason === null ? null : { setId: r.blocked_set, reason: r.blocked_reason, ...storedRef(r.blocked_key, r.blocked_params) },
  };
}

interface RunRow {
  id: number; kind: RunKind; plan: string | null; set_id: string | null; target: string | null; status: RunState;
  started_at: string; finished_at: string | null; bytes: number; duration_ms: number | null;
  error_code: string | null; error_message: string | null; error_hint: string | null; trigger: string; details: string | null;
  error_key?: string | null; error_params?: string | null;
}

/** A stored key/params pair back as a MessageRef; keys this build does not know are dropped (the console then says the generic text). */
function storedRef(key: string | null | undefined, params: string | null | undefined): Partial<MessageRef> {
  if (!isCatalogKey(key ?? undefined)) return {};
  return { key: key as MessageRef['key'], ...(params ? { params: JSON.parse(params) as MessageParams } : {}) };
}

export function migrationHash(m: Migration): string {
  return createHash('sha256').update(m.sql).digest('hex');
}

/**
 * The catalog holds run logs, audit entries and server names: readable by its user only. The
 * file is created 0600 before SQLite opens it (SQLite gives the -wal and -shm files the main
 * file's mode), and a catalog left readable by an older version is tightened.
 */
function makePrivate(file: string): void {
  if (file === ':memory:' || file === '') return;
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(f, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

export function catalogPath(home: string): string {
  return join(home, 'catalog.sqlite');
}

export class Catalog {
  readonly db: Database.Database;
  private readonly now: () => Date;

  constructor(file: string, opts: { now?: () => Date } = {}) {
    this.now = opts.now ?? (() => new Date());
    makePrivate(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
  }

  static open(home: string, opts: { now?: () => Date } = {}): Catalog {
    return new Catalog(catalogPath(home), opts);
  }

  close(): void {
    this.db.close();
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT');
    const applied = new Map(
      (this.db.prepare('SELECT version, sha256 FROM schema_migrations').all() as Array<{ version: number; sha256: string }>).map((r) => [r.version, r.sha256]),
    );
    for (const m of MIGRATIONS) {
      const hash = migrationHash(m);
      const had = applied.get(m.version);
      if (had !== undefined) {
        if (had !== hash) {
          throw new CofreError('INTERNAL', `catalog migration ${m.version} (${m.name}) was changed after it was applied`, {
            hint: 'migrations are append-only: restore the original text and add a new migration',
          });
        }
        continue;
      }
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (?, ?, ?, ?)').run(m.version, m.name, hash, this.iso());
      })();
    }
  }

  private iso(): string {
    return this.now().toISOString();
  }

  // ---- runs ----

  startRun(r: { kind: RunKind; plan?: string | undefined; setId?: string | undefined; target?: string | undefined; trigger?: string; details?: unknown }): number {
    const info = this.db
      .prepare('INSERT INTO runs (kind, plan, set_id, target, status, started_at, trigger, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(r.kind, r.plan ?? null, r.setId ?? null, r.target ?? null, 'running', this.iso(), r.trigger ?? 'manual', r.details === undefined ? null : JSON.stringify(r.details));
    return Number(info.lastInsertRowid);
  }

  updateRun(id: number, patch: { setId?: string; bytes?: number; details?: unknown }): void {
    if (patch.setId !== undefined) this.db.prepare('UPDATE runs SET set_id = ? WHERE id = ?').run(patch.setId, id);
    if (patch.bytes !== undefined) this.db.prepare('UPDATE runs SET bytes = ? WHERE id = ?').run(patch.bytes, id);
    if (patch.details !== undefined) this.db.prepare('UPDATE runs SET details = ? WHERE id = ?').run(JSON.stringify(patch.details), id);
  }

  finishRun(id: number, r: { status: Exclude<RunState, 'running'>; bytes?: number; error?: ErrorInfo | undefined; details?: unknown }): void {
    const run = this.getRun(id);
    if (!run) throw new CofreError('INTERNAL', `run ${id} is not in the catalog`);
    const finished = this.now();
    const duration = finished.getTime() - Date.parse(run.startedAt);
    this.db
      .prepare(`UPDATE runs SET status = ?, finished_at = ?, duration_ms = ?, bytes = COALESCE(?, bytes),
        error_code = ?, error_message = ?, error_hint = ?, error_key = ?, error_params = ?, details = COALESCE(?, details) WHERE id = ?`)
      .run(r.status, finished.toISOString(), duration, r.bytes ?? null, r.error?.code ?? null, r.error?.message ?? null, r.error?.hint ?? null,
        r.error?.key ?? null, r.error?.params ? JSON.stringify(r.error.params) : null,
        r.details === undefined ? null : JSON.stringify(r.details), id);
  }

  setRunSource(runId: number, s: RunSourceRecord): void {
    this.db
      .prepare(`INSERT INTO run_sources (run_id, source, status, bytes, duration_ms, sha256) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (run_id, source) DO UPDATE SET status = excluded.status, bytes = excluded.bytes, duration_ms = excluded.duration_ms, sha256 = excluded.sha256`)
      .run(runId, s.source, s.status, s.bytes, s.durationMs, s.sha256);
  }

  runSources(runId: number): RunSourceRecord[] {
    return (this.db.prepare('SELECT source, status, bytes, duration_ms, sha256 FROM run_sources WHERE run_id = ? ORDER BY rowid').all(runId) as Array<{
      source: string; status: string; bytes: number; duration_ms: number | null; sha256: string | null;
    }>).map((r) => ({ source: r.source, status: r.status, bytes: r.bytes, durationMs: r.duration_ms, sha256: r.sha256 }));
  }

  /** `message` is the English line; `said` the console's text for it (shared/i18n/catalog.ts). */
  logRun(runId: number, level: 'info' | 'warn' | 'error', message: string, said?: MessageRef): void {
    this.db.prepare('INSERT INTO run_log (run_id, at, level, message, key, params) VALUES (?, ?, ?, ?, ?, ?)')
      .run(runId, this.iso(), level, message, said?.key ?? null, said?.params ? JSON.stringify(said.params) : null);
  }

  runLog(runId: number): Array<{ at: string; level: string; message: string } & Partial<MessageRef>> {
    const rows = this.db.prepare('SELECT at, level, message, key, params FROM run_log WHERE run_id = ? ORDER BY id').all(runId) as Array<{ at: string; level: string; message: string; key: string | null; params: string | null }>;
    return rows.map((r) => ({ at: r.at, level: r.level, message: r.message, ...storedRef(r.key, r.params) }));
  }

  getRun(id: number): RunRecord | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row && toRun(row);
  }

  listRuns(q: { kind?: RunKind | RunKind[]; plan?: string | undefined; status?: RunState; limit?: number } = {}): RunRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.kind) {
      const kinds = Array.isArray(q.kind) ? q.kind : [q.kind];
      where.push(`kind IN (${kinds.map(() => '?').join(', ')})`);
      args.push(...kinds);
    }
    if (q.plan) { where.push('plan = ?'); args.push(q.plan); }
    if (q.status) { where.push('status = ?'); args.push(q.status); }
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit ?? 100) as RunRow[]).map(toRun);
  }

  /** Marks runs left 'running' by a process that died as failed, so none stays running forever. */
  failOrphanRuns(message: string): number {
    return this.db
      .prepare(`UPDATE runs SET status = 'failed', finished_at = ?, error_code = 'CANCELLED', error_message = ?, error_key = 'run.interrupted' WHERE status = 'running'`)
      .run(this.iso(), message).changes;
  }

  // ---- pack garbage collection ----

  recordPackGc(r: Omit<PackGcRecord, 'at'>): void {
    this.db
      .prepare(`INSERT INTO pack_gc (at, storage, plan, run_id, packs, referenced, deleted, bytes_freed, pending, pending_bytes, next_deletable_at, failed,
        blocked_set, blocked_reason, blocked_key, blocked_params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(this.iso(), r.storage, r.plan, r.runId, r.packs, r.referenced, r.deleted, r.bytesFreed, r.pending, r.pendingBytes, r.nextDeletableAt, r.failed,
        r.blocked?.setId ?? null, r.blocked?.reason ?? null, r.blocked?.key ?? null, r.blocked?.params ? JSON.stringify(r.blocked.params) : null);
  }

  /** The collection after a backup run's prune, if it got that far. */
  packGcOfRun(runId: number): PackGcRecord | undefined {
    const row = this.db.prepare('SELECT * FROM pack_gc WHERE run_id = ? ORDER BY id DESC LIMIT 1').get(runId) as PackGcRow | undefined;
    return row && toPackGc(row);
  }

  /** The latest collection on each storage (whoever pruned: a run, the daemon, `cofre prune`). */
  latestPackGc(): PackGcRecord[] {
    const rows = this.db.prepare('SELECT * FROM pack_gc WHERE id IN (SELECT MAX(id) FROM pack_gc GROUP BY storage) ORDER BY storage').all() as PackGcRow[];
    return rows.map(toPackGc);
  }

  // ---- alert events ----

  recordEvent(e: { kind: string; plan?: string | undefined; channel: string; ok: boolean; message: string; error?: string | undefined }): void {
    this.db
      .prepare('INSERT INTO events (at, kind, plan, channel, ok, message, error) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(this.iso(), e.kind, e.plan ?? null, e.channel, e.ok ? 1 : 0, e.message, e.error ?? null);
  }

  listEvents(q: { plan?: string; limit?: number } = {}): EventRecord[] {
    const rows = (q.plan
      ? this.db.prepare('SELECT * FROM events WHERE plan = ? ORDER BY id DESC LIMIT ?').all(q.plan, q.limit ?? 100)
      : this.db.prepare('SELECT * FROM events ORDER BY id DESC LIMIT ?').all(q.limit ?? 100)) as Array<Omit<EventRecord, 'ok'> & { ok: number }>;
    return rows.map((r) => ({ ...r, ok: r.ok === 1 }));
  }

  // ---- audit (append-only) ----

  audit(actor: string, action: string, target: string, details?: unknown): void {
    this.db
      .prepare('INSERT INTO audit (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)')
      .run(this.iso(), actor, action, target, details === undefined ? null : JSON.stringify(details));
  }

  listAudit(q: { actor?: string | undefined; action?: string | undefined; since?: string | undefined; limit?: number } = {}): AuditRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.actor) { where.push('actor = ?'); args.push(q.actor); }
    if (q.action) { where.push('action LIKE ?'); args.push(`${q.action}%`); }
    if (q.since) { where.push('at >= ?'); args.push(q.since); }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit ?? 200) as Array<Omit<AuditRecord, 'details'> & { details: string | null }>).map((r) => ({
      ...r,
      details: r.details === null ? null : (JSON.parse(r.details) as unknown),
    }));
  }

  // ---- small persistent state (scheduler, alert state) ----

  getState(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM state WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setState(key: string, value: string): void {
    this.db
      .prepare('INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
      .run(key, value, this.iso());
  }

  deleteState(key: string): void {
    this.db.prepare('DELETE FROM state WHERE key = ?').run(key);
  }

  // ---- sets cache ----

  cacheSets(storage: string, sets: Array<Omit<CachedSet, 'storage'>>): void {
    const seen = this.iso();
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM sets_cache WHERE storage = ?').run(storage);
      const ins = this.db.prepare('INSERT INTO sets_cache (storage, set_id, plan, created_at, complete, bytes, manifest, seen_at, state, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      for (const s of sets) {
        ins.run(storage, s.setId, s.plan, s.createdAt, s.complete ? 1 : 0, s.bytes, s.manifest === undefined ? null : JSON.stringify(s.manifest), seen, s.state ?? null, s.finishedAt ?? null);
      }
    })();
  }

  /** The complete sets of a storage's last listing (ids only: cheap enough to ask on every request). */
  cachedCompleteSetIds(storage: string): Set<string> {
    const rows = this.db.prepare('SELECT set_id FROM sets_cache WHERE storage = ? AND complete = 1').all(storage) as Array<{ set_id: string }>;
    return new Set(rows.map((r) => r.set_id));
  }

  cachedSets(storage?: string): CachedSet[] {
    const rows = (storage
      ? this.db.prepare('SELECT * FROM sets_cache WHERE storage = ? ORDER BY set_id').all(storage)
      : this.db.prepare('SELECT * FROM sets_cache ORDER BY set_id').all()) as Array<{
      storage: string; set_id: string; plan: string | null; created_at: string; complete: number; bytes: number; manifest: string | null;
      state: string | null; finished_at: string | null;
    }>;
    return rows.map((r) => ({
      storage: r.storage, setId: r.set_id, plan: r.plan, createdAt: r.created_at, complete: r.complete === 1, bytes: r.bytes,
      ...(r.state !== null ? { state: r.state as SetState } : {}), ...(r.finished_at !== null ? { finishedAt: r.finished_at } : {}),
      manifest: r.manifest === null ? undefined : (JSON.parse(r.manifest) as unknown),
    }));
  }
}

function toRun(r: RunRow): RunRecord {
  return {
    id: r.id, kind: r.kind, plan: r.plan, setId: r.set_id, target: r.target, status: r.status, startedAt: r.started_at,
    finishedAt: r.finished_at, bytes: r.bytes, durationMs: r.duration_ms, trigger: r.trigger,
    error: r.error_code ? { code: r.error_code as ErrorInfo['code'], message: r.error_message ?? '', ...(r.error_hint ? { hint: r.error_hint } : {}), ...storedRef(r.error_key, r.error_params) } : null,
    details: r.details === null ? null : (JSON.parse(r.details) as unknown),
  };
}
