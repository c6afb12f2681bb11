/** `cofre backup`, `cofre sets`, `cofre verify`: the backup engine from the command line. */
import { clinicTimeZone } from '../../app/clinic-zone.js';
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { planOf } from '../../backup/run.js';
import { backupThenPrune } from '../../backup/backup-then-prune.js';
import { refreshSetsCache, type SetInfo } from '../../backup/sets.js';
import { hashFailures, recordHashFailure, verifySet } from '../../backup/verify.js';
import { storageFromConfig } from '../../app/storage.js';
import { configuredIdentities } from '../../app/identity.js';
import { setAuthenticator } from '../../app/signing.js';
import { CofreError } from '../../errors.js';
import { formatBytes, formatDuration, formatRate, formatDateTime } from '../../../shared/format.js';
import type { Progress } from '../../../shared/domain.js';

export function progressLine(p: Progress): string {
  const total = p.totalBytes ? ` of ~${formatBytes(p.totalBytes)}` : '';
  const eta = p.etaSeconds !== undefined ? `, ETA ${formatDuration(p.etaSeconds * 1000)}` : '';
  return `${p.phase}${p.source ? ` ${p.source}` : ''}: ${formatBytes(p.bytes)}${total} at ${formatRate(p.bytesPerSecond)}${eta}`;
}

export async function backupCommand(ctx: AppContext, out: Output, opts: { plan?: string }): Promise<number> {
  const { result, prune } = await backupThenPrune(ctx, opts.plan, {
    trigger: 'manual',
    onProgress: (p) => out.progress(progressLine(p)),
    onLog: (l) => out.log(l),
  });
  out.endProgress();
  const { runId: _runId, ...json } = result;
  out.result({ ...json, runId: result.runId, ...(prune ? { prune } : {}) }, () =>
    result.status === 'succeeded'
      ? `Backup ${result.plan}: set ${result.setId} complete, ${formatBytes(result.bytes)} in ${formatDuration(result.durationMs)}` +
        (prune?.deleted.length ? `\nRetention: deleted ${prune.deleted.length} old set(s): ${prune.deleted.join(', ')}` : '')
      : `Backup ${result.plan} FAILED: ${result.error?.message ?? ''}${result.error?.hint ? `\n  → ${result.error.hint}` : ''}`,
  );
  return result.status === 'succeeded' ? 0 : 1;
}

/** The storages to read: a plan's, or every storage in the config. */
function storageNames(ctx: AppContext, plan: string | undefined): string[] {
  if (plan) return [planOf(ctx.config, plan)[1].storage];
  return Object.keys(ctx.config.storage);
}

export async function setsCommand(ctx: AppContext, out: Output, opts: { plan?: string }): Promise<number> {
  const all: Array<SetInfo & { storage: string }> = [];
  for (const name of storageNames(ctx, opts.plan)) {
    const storage = storageFromConfig(ctx.config, name, ctx.env);
    try {
      const sets = await refreshSetsCache(ctx, name, storage);
      all.push(...sets.filter((s) => !opts.plan || s.plan === opts.plan || s.plan === null).map((s) => ({ ...s, storage: name })));
    } finally {
      storage.close();
    }
  }
  // newest first, as the console lists them
  all.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.setId.localeCompare(a.setId));
  out.result(
    all.map((s) => ({ setId: s.setId, plan: s.plan, storage: s.storage, createdAt: s.createdAt, complete: s.complete, bytes: s.bytes, ...(s.problem ? { problem: s.problem } : {}), sources: s.sources })),
    () =>
      all.length === 0
        ? 'No sets yet: run `cofre backup`.'
        : all
            .map((s) => `${s.setId}  ${formatDateTime(s.createdAt, clinicTimeZone(ctx.config, s.plan))}  ${(s.plan ?? '?').padEnd(10)} ${s.complete ? 'complete  ' : s.state.toUpperCase().padEnd(10)}  ${formatBytes(s.bytes).padStart(10)}  ${s.sources.map((x) => x.name).join(', ')}${s.problem ? `  (${s.problem})` : ''}`)
            .join('\n'),
  );
  return 0;
}

export async function verifyCommand(ctx: AppContext, out: Output, opts: { deep?: boolean; storage?: string }, setId: string): Promise<number> {
  const names = opts.storage ? [opts.storage] : Object.keys(ctx.config.storage);
  let lastError: unknown;
  for (const name of names) {
    const storage = storageFromConfig(ctx.config, name, ctx.env);
    try {
      const identities = opts.deep ? await configuredIdentities(ctx.config, ctx.env, ctx.askSecret) : undefined;
      const r = await verifySet(storage, setId, { deep: Boolean(opts.deep), authenticate: setAuthenticator(ctx.config, ctx.now), ...(identities ? { identities } : {}), onProgress: (p) => out.progress(progressLine(p)) });
      out.endProgress();
      ctx.catalog.audit(ctx.actor, opts.deep ? 'set.verify.deep' : 'set.verify', setId, { ok: r.ok, status: r.status });
      for (const f of hashFailures(r)) {
        out.log(recordHashFailure(ctx.catalog, ctx.actor, { setId, storage: name, object: f.name, message: f.message, during: 'verify --deep' }));
      }
      const headline = { ok: 'OK', failed: 'PROBLEMS FOUND', unchecked: 'NOT FULLY CHECKED (see below)' }[r.status];
      const mark = { ok: 'ok         ', failed: 'FAIL       ', unchecked: 'NOT CHECKED' } as const;
      out.result({ ...r, storage: name }, () => [`Set ${setId} on storage ${name}: ${headline}`, ...r.checks.map((c) => `  ${mark[c.status]} ${c.name}: ${c.message}`)].join('\n'));
      return r.ok ? 0 : 1;
    } catch (err) {
      if (!(err instanceof CofreError && err.code === 'SET_NOT_FOUND')) throw err;
      lastError = err;
    } finally {
      storage.close();
    }
  }
  throw lastError ?? new CofreError('SET_NOT_FOUND', `no set ${setId}`);
}
