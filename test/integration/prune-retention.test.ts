/**
 * Retention against real sets in a folder storage, through the built CLI: four real backups,
 * their ages faked with `--now` ten days ahead and a small policy, then `cofre prune` dry-run
 * and for real (audit entries), the stale-newest safety stop, and an invalid policy.
 */
import { describe, it, expect, inject } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { makeFixture, ownServerName, type Fixture } from '../support/backup-fixture.js';
import { cofre } from '../support/cli.js';
import { Catalog } from '../../src-main/catalog/catalog.js';

const h = inject('harness');

function setPlan(fx: Fixture, patch: Record<string, unknown>): void {
  const doc = parseDocument(readFileSync(fx.configPath, 'utf8'));
  doc.deleteIn(['plans', 'diario']);
  ownServerName(doc);
  for (const [k, v] of Object.entries(patch)) doc.setIn(['plans', 'local', k], doc.createNode(v, { flow: true }));
  writeFileSync(fx.configPath, doc.toString());
}

const setDirs = (fx: Fixture): string[] => readdirSync(join(fx.folderStorage, 'sets')).sort();

interface PruneJson {
  dryRun: boolean;
  keep: string[];
  delete: string[];
  decisions: Array<{ plan: string; setId: string; action: string; reason: string }>;
  plans: Array<{ plan: string; safetyStop: string | null; failed: unknown[] }>;
}

describe('cofre prune on real sets', () => {
  it('lists exact keep/delete with reasons, deletes for real with audit, stops when the newest set is stale, refuses a bad policy', async () => {
    const fx = await makeFixture(h, { largeBytes: 16 * 1024 });
    // RPO large enough that "ten days from now" is not stale yet; keep 3 days, at least 2 sets
    setPlan(fx, { retention: { keepDays: 3, keepMin: 2 }, rpoHours: 1000 });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      // set ids carry the start time to the second: start each backup in a new second so they sort in order
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
      const r = await cofre(['backup', '--plan', 'local', '--json'], { env: fx.env });
      expect(r.code, r.stderr).toBe(0);
      const out = r.json as { setId: string; status: string; prune: { deleted: string[] } };
      expect(out.status).toBe('succeeded');
      expect(out.prune.deleted).toEqual([]); // manual backups apply retention too; nothing is old yet
      ids.push(out.setId);
    }
    expect([...ids].sort()).toEqual(ids);
    // an abandoned upload from long ago: objects without a manifest
    const stale = '20200101T020000Z-abc123';
    mkdirSync(join(fx.folderStorage, 'sets', stale));
    writeFileSync(join(fx.folderStorage, 'sets', stale, 'banco.clinica.pgdump.age'), 'partial');
    expect(setDirs(fx)).toEqual([stale, ...ids]);

    const future = new Date(Date.now() + 10 * 86_400_000).toISOString();
    const dry = await cofre(['prune', '--plan', 'local', '--dry-run', '--now', future, '--json'], { env: fx.env });
    expect(dry.code, dry.stderr).toBe(0);
    const plan = dry.json as PruneJson;
    expect(plan.dryRun).toBe(true);
    expect(plan.keep).toEqual([ids[2], ids[3]]);
    expect([...plan.delete].sort()).toEqual([stale, ids[0], ids[1]]);
    const reasons = Object.fromEntries(plan.decisions.map((d) => [d.setId, `${d.action}: ${d.reason}`]));
    expect(reasons).toEqual({
      [stale]: 'delete: incomplete, older than 1 day',
      [ids[0]!]: 'delete: older than 3 days',
      [ids[1]!]: 'delete: older than 3 days',
      [ids[2]!]: 'keep: keepMin 2',
      [ids[3]!]: 'keep: keepMin 2',
    });
    expect(setDirs(fx)).toEqual([stale, ...ids]); // a dry run deletes nothing

    const real = await cofre(['prune', '--plan', 'local', '--now', future, '--json'], { env: fx.env });
    expect(real.code, real.stderr).toBe(0);
    expect([...(real.json as PruneJson).delete].sort()).toEqual([stale, ids[0], ids[1]]);
    expect(setDirs(fx)).toEqual([ids[2], ids[3]]);
    const sets = await cofre(['sets', '--plan', 'local', '--json'], { env: fx.env });
    expect((sets.json as Array<{ setId: string; complete: boolean }>).map((s) => [s.setId, s.complete])).toEqual([[ids[3], true], [ids[2], true]]); // newest first, like the console
    const catalog = Catalog.open(fx.home);
    try {
      const audit = catalog.listAudit({ action: 'set.delete' });
      expect(audit.map((a) => a.target).sort()).toEqual([`local/${stale}`, `local/${ids[0]}`, `local/${ids[1]}`].sort());
      expect(audit.find((a) => a.target === `local/${ids[0]}`)?.details).toEqual({ reason: 'older than 3 days', storage: 'nas' });
    } finally {
      catalog.close();
    }

    // safety stop: with the default RPO (24 h) the newest set is 10 days old → nothing deleted
    setPlan(fx, { retention: { keepDays: 1, keepMin: 1 }, rpoHours: 24 });
    const stop = await cofre(['prune', '--plan', 'local', '--now', future, '--json'], { env: fx.env });
    expect(stop.code, stop.stderr).toBe(0);
    const stopped = stop.json as PruneJson;
    expect(stopped.delete).toEqual([]);
    expect(stopped.keep).toEqual([ids[2], ids[3]]);
    expect(stopped.plans[0]?.safetyStop).toMatch(new RegExp(`newest complete set \\(${ids[3]}\\) is \\d+ h old, older than the RPO of 24 h`));
    expect(stopped.decisions.find((d) => d.setId === ids[2])?.reason).toBe('older than 1 day; kept by the safety stop');
    const human = await cofre(['prune', '--plan', 'local', '--now', future], { env: fx.env });
    expect(human.stdout).toContain('SAFETY STOP');
    expect(setDirs(fx)).toEqual([ids[2], ids[3]]);

    // an invalid policy is a config error naming the key; nothing is deleted
    setPlan(fx, { retention: { keepDays: 0, keepMin: 1 } });
    const bad = await cofre(['prune', '--plan', 'local', '--now', future, '--json'], { env: fx.env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/cofre\.yaml:\d+: plans\.local\.retention\.keepDays: .*at least 1 day/);
    expect(bad.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    expect(setDirs(fx)).toEqual([ids[2], ids[3]]);
    expect(existsSync(join(fx.folderStorage, 'sets', ids[3]!, 'manifest.json'))).toBe(true);
  });
});
