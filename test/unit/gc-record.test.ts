/**
 * The pack collection the console shows per storage (retention/gc-record.ts) on a real catalog:
 * a collection blocked by a set stops warning once that set is forgotten (before any prune), and
 * says so; forgetting another set, or a block that is not about a set, changes nothing; the next
 * prune's collection is what shows after.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Catalog } from '../../src-main/catalog/catalog.js';
import { currentPackGc, noteSetForgotten, recordPackGc } from '../../src-main/retention/gc-record.js';
import type { PackGcResult } from '../../src-main/retention/pack-gc.js';
import { said } from '../../shared/i18n/catalog.js';

const DOUBTFUL = '20261125T040000Z-abc123';
const OTHER = '20261124T040000Z-def456';

const gc = (blocked?: PackGcResult['blocked']): PackGcResult => ({
  packs: 0, referenced: 0, deleted: [], bytesFreed: 0, pending: [], failed: [], retained: [], warnings: [],
  ...(blocked ? { blocked } : {}), summary: said('gc.blockedStorage', { storage: 'nas' }),
});
const bySet = (key: 'gc.blockedBySet' | 'gc.blockedNoManifest', setId = DOUBTFUL): PackGcResult['blocked'] => ({ reason: `set ${setId} is doubtful`, setId, ...said(key, { setId, storage: 'nas' }) });

function catalogAt(): { c: Catalog; tick: (ms: number) => Date } {
  let t = Date.parse('2026-11-25T05:00:00Z');
  const c = Catalog.open(mkdtempSync(join(tmpdir(), 'cofre-gcr-')), { now: () => new Date(t) });
  return { c, tick: (ms) => new Date((t += ms)) };
}

describe('the latest pack collection per storage, after cofre forget', () => {
  it.each(['gc.blockedBySet', 'gc.blockedNoManifest'] as const)('a collection blocked (%s) by the forgotten set no longer warns, and says the set was forgotten', (key) => {
    const { c, tick } = catalogAt();
    recordPackGc(c, { storage: 'nuvem', plan: 'diario' }, gc(bySet(key)));
    recordPackGc(c, { storage: 'nas', plan: 'diario' }, gc(bySet(key)));
    noteSetForgotten(c, 'nas', OTHER, tick(60_000));
    expect(currentPackGc(c).find((g) => g.storage === 'nas')?.blocked?.setId).toBe(DOUBTFUL);
    const at = tick(60_000);
    noteSetForgotten(c, 'nas', DOUBTFUL, at);
    const [nas, nuvem] = currentPackGc(c);
    expect(nas).toMatchObject({ storage: 'nas', blocked: null, blockerForgotten: { setId: DOUBTFUL, at: at.toISOString() } });
    // the same set id blocking another storage's collection is that storage's own set
    expect(nuvem).toMatchObject({ storage: 'nuvem', blocked: { setId: DOUBTFUL, key } });
    // the next prune's collection is what shows from then on
    tick(60_000);
    recordPackGc(c, { storage: 'nas', plan: 'diario' }, gc());
    expect(currentPackGc(c)[0]).toMatchObject({ storage: 'nas', blocked: null });
    expect(currentPackGc(c)[0]?.blockerForgotten).toBeUndefined();
    c.close();
  });

  it('a storage that failed or a running backup is not cleared by forgetting a set', () => {
    const { c, tick } = catalogAt();
    recordPackGc(c, { storage: 'nas', plan: 'diario' }, gc({ reason: 'a backup is running', setId: DOUBTFUL, ...said('gc.blockedByLease', { setId: DOUBTFUL, storage: 'nas' }) }));
    noteSetForgotten(c, 'nas', DOUBTFUL, tick(60_000));
    expect(currentPackGc(c)[0]?.blocked?.key).toBe('gc.blockedByLease');
    c.close();
  });

  it('a prune blocked again after the forget (a set of the same id came back) warns again', () => {
    const { c, tick } = catalogAt();
    recordPackGc(c, { storage: 'nas', plan: 'diario' }, gc(bySet('gc.blockedBySet')));
    noteSetForgotten(c, 'nas', DOUBTFUL, tick(60_000));
    tick(60_000);
    recordPackGc(c, { storage: 'nas', plan: 'diario' }, gc(bySet('gc.blockedBySet')));
    expect(currentPackGc(c)[0]?.blocked?.setId).toBe(DOUBTFUL);
    c.close();
  });
});
