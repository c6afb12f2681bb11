/** Pure parts of the restore engine: set choice, naming, version and count comparison, projection, drill dates. */
import { describe, it, expect } from 'vitest';
import { chooseSet } from '../../src-main/restore/select.js';
import { planItems, stagingDbName, type TargetInfo } from '../../src-main/restore/target.js';
import { describeProjection, pgMajor, project } from '../../src-main/restore/preflight.js';
import { compareCounts } from '../../src-main/restore/validate.js';
import { addMonths } from '../../src-main/restore/drill.js';
import { requireConfirmation } from '../../src-main/restore/restore.js';
import type { Manifest } from '../../shared/domain.js';
import type { SetInfo } from '../../src-main/backup/sets.js';

function manifest(setId: string, createdAt: string): Manifest {
  const o = (part: string, format: 'pgdump' | 'sql' | 'tar') => ({ part, format, key: `sets/${setId}/x.${part}.${format}.age`, bytes: 10, plainBytes: 20, sha256: 'a'.repeat(64) });
  return {
    format: 'cofre-set/1', setId, plan: 'diario', createdAt, finishedAt: createdAt, recipients: [], cofreVersion: '0',
    sources: [
      { name: 'banco', type: 'postgres', server: 's', toolVersion: 'pg_dump (PostgreSQL) 15.14', objects: [o('globals', 'sql'), o('clinica', 'pgdump')] },
      { name: 'pront', type: 'mysql', server: 's', objects: [o('pront', 'sql')] },
      { name: 'arquivos', type: 'files', server: 's', objects: [o('files', 'tar')] },
    ],
  };
}

function set(setId: string, createdAt: string, complete = true): SetInfo & { storage: string } {
  return { setId, createdAt, complete, state: complete ? 'complete' : 'incomplete', bytes: 1, plan: 'diario', storage: 'nas', sources: [], ...(complete ? { manifest: manifest(setId, createdAt) } : { problem: 'no manifest' }) };
}

const sets = [
  set('20260301T020000Z-aaaaaa', '2026-03-01T02:00:00.000Z'),
  set('20260302T020000Z-bbbbbb', '2026-03-02T02:00:00.000Z'),
  set('20260303T020000Z-cccccc', '2026-03-03T02:00:00.000Z', false),
  set('20260304T020000Z-dddddd', '2026-03-04T02:00:00.000Z'),
];

describe('chooseSet', () => {
  it('--at picks the newest complete set at or before the instant, skipping incomplete ones', () => {
    expect(chooseSet(sets, { at: '2026-03-03T22:00:00-03:00' }).setId).toBe('20260302T020000Z-bbbbbb');
    expect(chooseSet(sets, { at: '2026-03-02T02:00:00Z' }).setId).toBe('20260302T020000Z-bbbbbb');
    expect(chooseSet(sets, { at: '2026-03-04T02:00:00Z' }).setId).toBe('20260304T020000Z-dddddd');
  });
  it('errors name the nearest sets', () => {
    expect(() => chooseSet(sets, { at: '2026-02-01T00:00:00Z' })).toThrow(/no complete set was created at or before/);
    try { chooseSet(sets, { at: '2026-02-01T00:00:00Z' }); } catch (e) { expect((e as { hint: string }).hint).toContain('20260301T020000Z-aaaaaa'); }
    expect(() => chooseSet(sets, { setId: '20260303T020000Z-cccccc' })).toThrow(/incomplete/);
    expect(() => chooseSet(sets, { setId: '20990101T000000Z-000000' })).toThrow(/no set/);
    expect(() => chooseSet(sets, { at: 'ontem' })).toThrow(/not an ISO/);
  });
});

const staging: TargetInfo = { name: 'homolog', config: { kind: 'staging', server: 's', filesRoot: '/srv/restore', checks: [] }, pg: { host: 'h', port: 1, user: 'u' }, my: { host: 'h', port: 2, user: 'u' } };
const production: TargetInfo = { ...staging, name: 'prod', config: { ...staging.config, kind: 'production', filesRoot: '/' } };

describe('planItems', () => {
  const m = manifest('20260301T020000Z-a1b2c3', '2026-03-01T02:00:00Z');
  it('staging: fresh names, files under <root>/<setId>, globals skipped', () => {
    const items = planItems(m, staging, {});
    expect(items.map((i) => i.destination)).toEqual(['(roles and tablespaces)', 'clinica_restore_a1b2c3', 'pront_restore_a1b2c3', '/srv/restore/20260301T020000Z-a1b2c3']);
    expect(items[0]?.skip).toMatch(/not applied on a staging/);
  });
  it('production: original names, globals applied', () => {
    const items = planItems(m, production, { sources: ['banco'] });
    expect(items.map((i) => [i.destination, i.skip])).toEqual([['(roles and tablespaces)', undefined], ['clinica', undefined]]);
  });
  it('unknown source or missing target part is an error', () => {
    expect(() => planItems(m, staging, { sources: ['nada'] })).toThrow(/no source "nada"/);
    expect(() => planItems(m, { ...staging, my: undefined } as unknown as TargetInfo, {})).toThrow(/has no mysql/);
  });
  it('long database names stay within 63 bytes', () => {
    expect(stagingDbName('x'.repeat(80), '20260301T020000Z-a1b2c3')).toHaveLength(63);
  });
});

describe('checks', () => {
  it('pgMajor reads pg_dump/pg_restore versions', () => {
    expect(pgMajor('pg_restore (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)')).toBe(15);
    expect(pgMajor('pg_dump (PostgreSQL) 9.6.24')).toBe(9.6);
    expect(pgMajor('nope')).toBeUndefined();
  });
  it('compareCounts reports each mismatch, missing and extra table', () => {
    const r = compareCounts('b', { 'a.t': 3, 'a.u': 1 }, { 'a.t': 3, 'a.v': 5 });
    expect(r.map((x) => [x.name, x.ok])).toEqual([['b a.t', true], ['b a.u', false], ['b a.v', false]]);
    expect(r[1]?.actual).toBe('table missing');
  });
  it('projection: 50 GB + 500 GB at the default 50 MiB/s fits 4 h (3.1 h); 800 GB does not; elapsed time counts', () => {
    const GB = 1024 ** 3;
    expect(project(550 * GB, undefined, 0).overBudget).toBe(false);
    expect(Math.round(project(550 * GB, undefined, 0).projectedMs / 60_000)).toBe(188);
    expect(project(800 * GB, undefined, 0).overBudget).toBe(true);
    expect(project(50 * GB, 100 * 1024 ** 2, 3.9 * 3600_000).overBudget).toBe(true);
  });
  it('projection before production counts the whole read of every object (at the measured verify rate, else the transfer rate)', () => {
    const GB = 1024 ** 3;
    const plain = project(550 * GB, undefined, 0);
    const prod = project(550 * GB, undefined, 0, { rate: undefined });
    expect(prod.verifyMs).toBe(plain.projectedMs);
    expect(prod.projectedMs).toBe(2 * plain.projectedMs);
    expect(prod.overBudget).toBe(true); // 3.1 h of transfer + 3.1 h of reading: over 4 h
    const fast = project(100 * GB, undefined, 0, { rate: 400 * 1024 ** 2 });
    expect(Math.round(fast.verifyMs! / 1000)).toBe(256);
    expect(describeProjection(fast)).toMatch(/plus reading and hashing every object whole first: 100 GB at 400 MB\/s ≈ 4 min 16 s; total ≈ 38 min 24 s/);
    expect(describeProjection(plain)).not.toMatch(/reading and hashing/);
  });
  it('production confirmation needs --yes and the exact name', () => {
    expect(() => requireConfirmation(production, { yes: true, confirmName: 'Prod' })).toThrow(/is not the production target's name/);
    expect(() => requireConfirmation(production, { yes: false, confirmName: 'prod' })).toThrow(/overwrites its data/);
    expect(() => requireConfirmation(production, { yes: true, confirmName: 'prod' })).not.toThrow();
    expect(() => requireConfirmation(staging, {})).not.toThrow();
  });
  it('addMonths clamps to the month end', () => {
    expect(addMonths('2026-11-30T10:00:00.000Z', 3)).toBe('2027-02-28T10:00:00.000Z');
    expect(addMonths('2026-01-15T00:00:00.000Z', 3)).toBe('2026-04-15T00:00:00.000Z');
  });
});
