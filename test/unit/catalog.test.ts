import { describe, it, expect } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Catalog, migrationHash } from '../../src-main/catalog/catalog.js';
import { MIGRATIONS } from '../../src-main/catalog/migrations.js';

function fresh(): Catalog {
  return Catalog.open(mkdtempSync(join(tmpdir(), 'cofre-cat-')));
}

describe('catalog', () => {
  it('applies every migration to an empty database, in WAL mode, with the expected schema', () => {
    const c = fresh();
    expect(c.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (c.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    expect(tables).toEqual(['audit', 'events', 'pack_gc', 'run_log', 'run_sources', 'runs', 'schema_migrations', 'sets_cache', 'state']);
    const applied = c.db.prepare('SELECT version, sha256 FROM schema_migrations ORDER BY version').all();
    expect(applied).toEqual(MIGRATIONS.map((m) => ({ version: m.version, sha256: migrationHash(m) })));
  });

  it('creates catalog.sqlite and its -wal/-shm readable by the user only, and tightens an old 0644 one', () => {
    const old = process.umask(0o022);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'cofre-cat-'));
      const c = Catalog.open(dir);
      c.audit('cli:x', 'test', 'x', {});
      const file = join(dir, 'catalog.sqlite');
      for (const f of [file, `${file}-wal`, `${file}-shm`]) {
        expect(existsSync(f)).toBe(true);
        expect((statSync(f).mode & 0o777).toString(8)).toBe('600');
      }
      c.close();

      const dir2 = mkdtempSync(join(tmpdir(), 'cofre-cat-'));
      const file2 = join(dir2, 'catalog.sqlite');
      writeFileSync(file2, '');
      chmodSync(file2, 0o644);
      Catalog.open(dir2).close();
      expect((statSync(file2).mode & 0o777).toString(8)).toBe('600');
    } finally {
      process.umask(old);
    }
  });

  it('refuses to open when an applied migration was edited', () => {
    const home = mkdtempSync(join(tmpdir(), 'cofre-cat-'));
    const c = Catalog.open(home);
    c.db.prepare('UPDATE schema_migrations SET sha256 = ? WHERE version = 1').run('0'.repeat(64));
    c.close();
    expect(() => Catalog.open(home)).toThrow(/migration 1 .* was changed after it was applied/);
  });

  it('keeps each prune\'s pack collection: under its run, and the latest per storage (a blocked one with its set and message key)', () => {
    let t = Date.parse('2026-11-25T05:00:00Z');
    const c = Catalog.open(mkdtempSync(join(tmpdir(), 'cofre-cat-')), { now: () => new Date(t) });
    const run = c.startRun({ kind: 'backup', plan: 'diario' });
    const base = { plan: 'diario', packs: 6, referenced: 2, failed: 0, pendingBytes: 0, nextDeletableAt: null, blocked: null };
    c.recordPackGc({ ...base, storage: 'nas', runId: run, deleted: 2, bytesFreed: 365_000, pending: 2, pendingBytes: 360_000, nextDeletableAt: '2026-11-27T06:00:00.000Z' });
    t += 60_000;
    c.recordPackGc({ ...base, storage: 'nuvem', runId: null, deleted: 0, bytesFreed: 0, pending: 0 });
    t += 60_000;
    c.recordPackGc({
      ...base, storage: 'nas', runId: null, deleted: 0, bytesFreed: 0, pending: 0, packs: 0, referenced: 0,
      blocked: { setId: '20261125T040000Z-abc123', reason: 'set 20261125T040000Z-abc123 is doubtful', key: 'gc.blockedBySet', params: { setId: '20261125T040000Z-abc123', storage: 'nas' } },
    });
    expect(c.packGcOfRun(run)).toMatchObject({ storage: 'nas', runId: run, deleted: 2, bytesFreed: 365_000, pending: 2, nextDeletableAt: '2026-11-27T06:00:00.000Z', blocked: null, at: '2026-11-25T05:00:00.000Z' });
    expect(c.packGcOfRun(run + 1)).toBeUndefined();
    const latest = c.latestPackGc();
    expect(latest.map((g) => g.storage)).toEqual(['nas', 'nuvem']);
    expect(latest[0]?.blocked).toEqual({ setId: '20261125T040000Z-abc123', reason: 'set 20261125T040000Z-abc123 is doubtful', key: 'gc.blockedBySet', params: { setId: '20261125T040000Z-abc123', storage: 'nas' } });
  });

  it('records a run with per-source results, timings and the error', () => {
    let t = Date.parse('2026-11-25T05:00:00Z');
    const c = Catalog.open(mkdtempSync(join(tmpdir(), 'cofre-cat-')), { now: () => new Date(t) });
    const id = c.startRun({ kind: 'backup', plan: 'diario', trigger: 'schedule' });
    c.setRunSource(id, { source: 'banco', status: 'succeeded', bytes: 1234, durationMs: 900, sha256: 'ab' });
    t += 61_000;
    c.finishRun(id, { status: 'failed', bytes: 1234, error: { code: 'REMOTE_COMMAND_FAILED', message: 'pg_dump failed', hint: 'check grants' } });
    const run = c.getRun(id);
    expect(run).toMatchObject({ status: 'failed', durationMs: 61_000, bytes: 1234, trigger: 'schedule', error: { code: 'REMOTE_COMMAND_FAILED', hint: 'check grants' } });
    expect(c.runSources(id)).toEqual([{ source: 'banco', status: 'succeeded', bytes: 1234, durationMs: 900, sha256: 'ab' }]);
    expect(c.listRuns({ plan: 'diario' }).map((r) => r.id)).toEqual([id]);
  });

  it('keeps the audit log append-only', () => {
    const c = fresh();
    c.audit('ana@console', 'restore.start', 'homologacao', { setId: 'x' });
    expect(() => c.db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    expect(() => c.db.prepare("UPDATE audit SET actor = 'x'").run()).toThrow(/append-only/);
    expect(c.listAudit()).toMatchObject([{ actor: 'ana@console', action: 'restore.start', target: 'homologacao', details: { setId: 'x' } }]);
  });
});
