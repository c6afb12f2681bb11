/**
 * One restore at a time per target: a drill started by the daemon and a restore started from
 * the console must not write the same databases and folders at once. Runs in progress are
 * read from the catalog, which every host (CLI, daemon, console) shares.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { AppContext } from '../app/context.js';
import type { RunRecord } from '../catalog/catalog.js';

const STALE_MS = 24 * 3_600_000;

export function runningRestoreInto(ctx: AppContext, target: string, exceptRun?: number): RunRecord | undefined {
  const now = ctx.now().getTime();
  return ctx.catalog
    .listRuns({ kind: ['restore', 'drill'], status: 'running', limit: 50 })
    .find((r) => r.target === target && r.id !== exceptRun && now - Date.parse(r.startedAt) < STALE_MS);
}

/** Waits (up to `maxWaitMs`) while another restore or drill into `target` is running (`exceptRun`: the caller's own run). */
export async function waitForTarget(
  ctx: AppContext,
  target: string,
  opts: { exceptRun?: number; log?: (line: string) => void; signal?: AbortSignal | undefined; maxWaitMs?: number; pollMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.maxWaitMs ?? 30 * 60_000);
  let told = false;
  for (;;) {
    const busy = runningRestoreInto(ctx, target, opts.exceptRun);
    if (!busy) return;
    if (Date.now() > deadline) {
      throw new CofreError('REMOTE_BUSY', `a ${busy.kind} into ${target} (run ${busy.id}) is still running`, {
        ...said('restore.targetBusy', { target }),
        hint: 'wait for it to finish (see the runs list), then start the restore again',
      });
    }
    if (!told) {
      opts.log?.(`waiting for the running ${busy.kind} into ${target} (run ${busy.id}) to finish`);
      told = true;
    }
    await sleep(opts.pollMs ?? 2000, undefined, opts.signal ? { signal: opts.signal } : {});
  }
}
