/**
 * A backup or a restore the way the CLI runs one: a fresh context on the fixture's config and
 * home, closed afterwards whatever happens.
 */
import { AppContext } from '../../src-main/app/context.js';
import { runBackup, type BackupResult } from '../../src-main/backup/run.js';
import { runRestore } from '../../src-main/restore/restore.js';
import type { RestoreOptions, RestoreResult } from '../../src-main/restore/types.js';
import type { Fixture } from './backup-fixture.js';

export async function withContext<T>(fx: Pick<Fixture, 'env'>, fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const ctx = new AppContext({ env: fx.env });
  try {
    return await fn(ctx);
  } finally {
    ctx.close();
  }
}

/** Runs `plan` and returns its result (failed runs too: the caller asserts). */
export function backupRun(fx: Pick<Fixture, 'env'>, plan: string): Promise<BackupResult> {
  return withContext(fx, (ctx) => runBackup(ctx, plan));
}

/** Runs `plan` and returns the new set's id; a failed run throws its error. */
export async function backupSet(fx: Pick<Fixture, 'env'>, plan: string): Promise<string> {
  const r = await backupRun(fx, plan);
  if (r.error) throw new Error(`backup of plan ${plan} failed: ${r.error.message}`);
  return r.setId;
}

export function restoreRun(fx: Pick<Fixture, 'env'>, opts: RestoreOptions): Promise<RestoreResult> {
  return withContext(fx, (ctx) => runRestore(ctx, opts));
}
