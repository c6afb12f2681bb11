/**
 * Issue 14, defect 1, through the built CLI on real services: the S3 storage is down (its endpoint
 * refuses connections) and the NAS folder holds a complete set made by a real backup.
 * `cofre sets` lists the folder's set and names the S3 storage unreachable (exit 1);
 * `restore --at` restores from the folder when the down storage cannot hold a newer set (its plan
 * was not due since), and refuses, asking for --storage, when it may (its plan was due; --yes alone
 * does not accept the older point); `--storage nas` accepts it; the drill works from the folder.
 * The console's sets.list (real engine) lists the NAS set and names the S3 storage with its error.
 */
import { describe, it, expect, inject } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { makeFixture, ownServerName, stagingTargetYaml } from '../support/backup-fixture.js';
import { cofre } from '../support/cli.js';
import { freePort } from '../harness/index.js';
import { AppContext } from '../../src-main/app/context.js';
import { createEngineServices } from '../../src-main/rpc/engine-services.js';

const h = inject('harness');

interface SetJson { setId: string; storage: string; state: string; complete: boolean }
interface RestoreJson { status: string; setId: string | null; warnings: string[]; error?: { code: string; message: string; hint?: string } }

describe('one storage down never hides the others', () => {
  it('sets, restore --at and drill work from the folder while S3 is down, and refuse to guess when S3 may hold a newer set', async () => {
    const restoreRoot = join('/tmp', `cofre-restore-down-${process.pid}-${Date.now()}`);
    const fx = await makeFixture(h, { largeBytes: 16 * 1024, extraYaml: stagingTargetYaml(h, restoreRoot) });
    const edit = (fn: (doc: ReturnType<typeof parseDocument>) => void): void => {
      const doc = parseDocument(readFileSync(fx.configPath, 'utf8'));
      fn(doc);
      writeFileSync(fx.configPath, doc.toString());
    };
    edit((doc) => {
      ownServerName(doc);
      doc.setIn(['restoreTargets', 'homologacao', 'server'], doc.getIn(['sources', 'banco', 'server']));
    });
    const backup = await cofre(['backup', '--plan', 'local', '--json'], { env: fx.env });
    expect(backup.code, backup.stderr).toBe(0);
    const setId = (backup.json as { setId: string }).setId;

    // S3 goes down: nothing listens on its endpoint any more. Its plan runs once a year (not due since the NAS set).
    const dead = await freePort();
    edit((doc) => {
      doc.setIn(['storage', 'nuvem', 'endpoint'], `http://127.0.0.1:${dead}`);
      doc.setIn(['storage', 'nuvem', 'timeoutSeconds'], 20);
      doc.setIn(['plans', 'diario', 'schedule'], '0 2 1 1 *');
    });

    const sets = await cofre(['sets', '--json'], { env: fx.env });
    expect(sets.code).toBe(1);
    const list = sets.json as SetJson[];
    expect(Array.isArray(list)).toBe(true);
    expect(list.map((s) => [s.setId, s.storage, s.state, s.complete])).toEqual([[setId, 'nas', 'complete', true]]);
    expect(sets.stderr).toMatch(/storage nuvem UNREACHABLE: .*nuvem/);
    const text = await cofre(['sets'], { env: fx.env });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(setId);
    expect(text.stderr).toContain('storage nuvem UNREACHABLE');

    // the console's sets.list (real engine): the NAS set with its storage and state, S3 named with its error
    const ctx = new AppContext({ env: fx.env });
    const services = createEngineServices(ctx, { pollMs: 0 });
    try {
      const listed = await services.sets.list({});
      expect(listed.sets.map((s) => [s.setId, s.storage, s.state, s.complete])).toEqual([[setId, 'nas', 'complete', true]]);
      expect(listed.unreachable).toEqual([{ storage: 'nuvem', message: expect.stringContaining('nuvem') }]);
      const ofPlan = await services.sets.list({ plan: 'local' });
      expect(ofPlan.unreachable).toEqual([]); // the plan's own storage answered
    } finally {
      services.close();
      ctx.close();
    }

    const at = new Date().toISOString();
    const ok = await cofre(['restore', '--at', at, '--target', 'homologacao', '--sources', 'arquivos', '--json'], { env: fx.env });
    expect(ok.code, ok.stderr).toBe(0);
    const restored = ok.json as RestoreJson;
    expect(restored.status).toBe('succeeded');
    expect(restored.setId).toBe(setId);
    expect(restored.warnings.join('\n')).toMatch(/storage nuvem did not answer/);

    // now the S3 plan runs every minute: a newer set may sit on the storage that is down
    edit((doc) => doc.setIn(['plans', 'diario', 'schedule'], '* * * * *'));
    const refused = await cofre(['restore', '--at', new Date().toISOString(), '--target', 'homologacao', '--sources', 'arquivos', '--yes', '--json'], { env: fx.env });
    expect(refused.code).not.toBe(0);
    const r = refused.json as RestoreJson;
    expect(r.status).toBe('failed');
    expect(r.error?.message).toMatch(/storage nuvem did not answer .* and may hold a newer one \(plan diario/);
    expect(r.error?.message).toContain(setId);
    expect(r.error?.hint).toContain(`--storage nas`);
    const chosen = await cofre(['restore', '--at', new Date().toISOString(), '--storage', 'nas', '--target', 'homologacao', '--sources', 'arquivos', '--rename-existing', '--json'], { env: fx.env });
    expect(chosen.code, chosen.stderr).toBe(0);
    expect((chosen.json as RestoreJson).setId).toBe(setId);

    const drill = await cofre(['drill', '--target', 'homologacao', '--json'], { env: fx.env });
    expect(drill.code, drill.stderr).toBe(0);
    expect((drill.json as RestoreJson).setId).toBe(setId);
    expect((drill.json as RestoreJson).warnings.join('\n')).toMatch(/storage nuvem did not answer/);

    // prune of the NAS plan is unaffected; prune of the S3 plan stops with the storage named
    const prune = await cofre(['prune', '--json'], { env: fx.env });
    expect(prune.code).toBe(1);
    expect(prune.stderr).toMatch(/prune diario STOPPED: prune stopped: storage nuvem could not be listed/);
    expect((prune.json as { keep: string[] }).keep).toContain(setId);
  });
});
