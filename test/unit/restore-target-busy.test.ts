import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { AppContext } from '../../src-main/app/context.js';
import { waitForTarget, runningRestoreInto } from '../../src-main/restore/target-busy.js';

function context(): AppContext {
  const dir = mkdtempSync(join(tmpdir(), 'cofre-busy-'));
  writeFileSync(join(dir, 'cofre.yaml'), 'servers: {}\n');
  return new AppContext({ env: { COFRE_HOME: join(dir, 'home'), COFRE_CONFIG: join(dir, 'cofre.yaml') } });
}

describe('one restore at a time per target', () => {
  it('waits while a drill into the same target runs, then goes on', async () => {
    const ctx = context();
    const drill = ctx.catalog.startRun({ kind: 'drill', target: 'homologacao' });
    ctx.catalog.startRun({ kind: 'restore', target: 'outro' });
    expect(runningRestoreInto(ctx, 'homologacao')?.id).toBe(drill);
    const lines: string[] = [];
    const waiting = waitForTarget(ctx, 'homologacao', { log: (l) => lines.push(l), pollMs: 20 });
    setTimeout(() => ctx.catalog.finishRun(drill, { status: 'succeeded' }), 100);
    await waiting;
    expect(lines).toEqual([`waiting for the running drill into homologacao (run ${drill}) to finish`]);
    ctx.close();
  });

  it('gives up with REMOTE_BUSY after the wait limit', async () => {
    const ctx = context();
    ctx.catalog.startRun({ kind: 'restore', target: 'homologacao' });
    await expect(waitForTarget(ctx, 'homologacao', { maxWaitMs: 50, pollMs: 20 })).rejects.toMatchObject({ code: 'REMOTE_BUSY' });
    ctx.close();
  });
});
