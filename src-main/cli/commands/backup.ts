/** `cofre backup`, `cofre sets`, `cofre verify`: the backup engine from the command line. */
import { clinicTimeZone } from '../../app/clinic-zone.js';
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { progressLine } from '../progress-line.js';
import { planOf } from '../../config/plans.js';
import { PlanRuns } from '../../runs/plan-runs.js';
import { listStorages, storagesFor, unreachableLines } from '../../backup/storage-sets.js';
import { hashFailures, recordHashFailure, verifySet } from '../../backup/verify.js';
import { configuredIdentities } from '../../app/identity.js';
import { setAuthenticator } from '../../app/signing.js';
import { CofreError } from '../../errors.js';
import { formatBytes, formatDuration, formatDateTime } from '../../../shared/format.js';
import type { SetState } from '../../../shared/domain.js';

// in a module of its own: restore and drill print progress without loading the backup engine
export { progressLine };

export async function backupCommand(ctx: AppContext, out: Output, opts: { plan?: string }): Promise<number> {
  const { result, prune } = await new PlanRuns(ctx).run(opts.plan, {
    trigger: 'manual',
    onProgress: (p) => out.progress(progressLine(p)),
    onLog: (l) => out.log(l),
  });
  out.endProgress();
  const { runId: _runId, ...json } = result;
  out.result({ ...json, runId: result.runId, ...(prune ? { prune } : {}) }, () =>
    result.status === 'succeeded'
      ? `Backup ${result.plan}: set ${result.setId} complete, ${formatBytes(result.bytes)} in ${formatDuration(result.durationMs)}` +
        (prune?.deleted.length ? `\nRetention: deleted ${prune.deleted.length} old set(s): ${prune.deleted.join(', ')}` : '')+
        (prune?.packs?.deleted ? `\nPacks: deleted ${prune.packs.deleted} unused, ${formatBytes(prune.packs.bytesFreed)} freed` : '') +
        (prune?.packs?.blocked ? `\nPacks: none deleted: ${prune.packs.blocked}` : '')
      : `Backup ${result.plan} FAILED: ${result.error?.message ?? ''}${result.error?.hint ? `\n  → ${result.error.hint}` : ''}`,
  );
  return result.status === 'succeeded' ? 0 : 1;
}

/** The storages to read: `--storage NAME`, else a plan's, else every storage in the config. */
function storageNames(ctx: AppContext, opts: { plan?: string | undefined; storage?: string | undefined }): string[] {
  if (opts.storage) return storagesFor(ctx, opts.storage);
  if (opts.plan) return [planOf(ctx.config, opts.plan)[1].storage];
  return Object.keys(ctx.config.storage);
}

const STATE_TEXT: Record<SetState, string> = { complete: 'complete  ', incomplete: 'INCOMPLETE', doubtful: 'DOUBTFUL  ', unsigned: 'UNSIGNED  ' };

/**
 * `cofre sets`: every storage on its own. A storage that does not answer is named on stderr with its
 * error, beside the sets of the others, and the exit code is 1 (its sets are unknown). `--json`
 * keeps stdout one array of sets, each with its storage and state.
 */
export async function setsCommand(ctx: AppContext, out: Output, opts: { plan?: string; storage?: string }): Promise<number> {
  const listing = await listStorages(ctx, { storages: storageNames(ctx, opts) });
  // newest first, as the console lists them
  const all = listing.sets.filter((s) => !opts.plan || s.plan === opts.plan || s.plan === null).reverse();
  for (const line of unreachableLines(listing.unreachable)) out.log(line);
  out.result(
    all.map((s) => ({
      setId: s.setId, plan: s.plan, storage: s.storage, createdAt: s.createdAt, ...(s.finishedAt ? { finishedAt: s.finishedAt } : {}),
      state: s.state, complete: s.state === 'complete', bytes: s.bytes, ...(s.problem ? { problem: s.problem } : {}), sources: s.sources,
    })),
    () =>
      all.length === 0
        ? listing.unreachable.length ? 'No sets on the storages that answered (see above: the others did not answer).' : 'No sets yet: run `cofre backup`.'
        : all
            .map((s) => `${s.setId}  ${formatDateTime(s.createdAt, clinicTimeZone(ctx.config, s.plan))}  ${(s.plan ?? '?').padEnd(10)} ${s.storage.padEnd(8)} ${STATE_TEXT[s.state]}  ${formatBytes(s.bytes).padStart(10)}  ${s.sources.map((x) => x.name).join(', ')}${s.problem ? `  (${s.problem})` : ''}`)
            .join('\n'),
  );
  return listing.unreachable.length > 0 ? 1 : 0;
}

/** `cofre verify <setId>`: finds the set on the storages that answer (or `--storage NAME`), then checks it there. */
export async function verifyCommand(ctx: AppContext, out: Output, opts: { deep?: boolean; storage?: string }, setId: string): Promise<number> {
  const listing = await listStorages(ctx, { storages: storagesFor(ctx, opts.storage ?? undefined), cache: true });
  for (const line of unreachableLines(listing.unreachable)) out.log(line);
  const hits = listing.sets.filter((s) => s.setId === setId);
  const hit = hits.find((s) => s.state === 'complete') ?? hits[0];
  if (!hit) {
    const down = listing.unreachable.map((u) => `storage ${u.storage} did not answer (${u.error.message})`).join('; ');
    throw new CofreError('SET_NOT_FOUND', `no set ${setId} on the storages that answered${down ? `; ${down}` : ''}`, {
      hint: down ? 'the set may be on a storage that did not answer: fix it, or pass --storage NAME' : 'run `cofre sets` to list the restore points',
    });
  }
  if (hit.state !== 'complete' && hit.state !== 'unsigned' && !hit.packsDoubtful) {
    ctx.catalog.audit(ctx.actor, opts.deep ? 'set.verify.deep' : 'set.verify', setId, { ok: false, storage: hit.storage, state: hit.state });
    const r = { setId, storage: hit.storage, state: hit.state, deep: Boolean(opts.deep), ok: false, status: 'failed', checks: [{ name: 'manifest', ok: false, status: 'failed', message: `set ${setId} on storage ${hit.storage} is ${hit.state}: ${hit.problem ?? 'unknown reason'}` }] };
    out.result(r, () => [`Set ${setId} (storage ${hit.storage}): PROBLEMS FOUND`, ...r.checks.map((c) => `  FAIL ${c.name}: ${c.message}`)].join('\n'));
    return 1;
  }
  const storage = ctx.storage(hit.storage);
  try {
    const identities = opts.deep ? await configuredIdentities(ctx.config, ctx.env, ctx.askSecret) : undefined;
    const r = await verifySet(storage, setId, { deep: Boolean(opts.deep), authenticate: setAuthenticator(ctx.config, ctx.now), ...(identities ? { identities } : {}), onProgress: (p) => out.progress(progressLine(p)), dedupHome: ctx.home, now: ctx.now });
    out.endProgress();
    ctx.catalog.audit(ctx.actor, opts.deep ? 'set.verify.deep' : 'set.verify', setId, { ok: r.ok, status: r.status, storage: hit.storage });
    for (const f of hashFailures(r)) {
      out.log(recordHashFailure(ctx.catalog, ctx.actor, { setId, storage: hit.storage, object: f.name, message: f.message, during: 'verify --deep' }));
    }
    const headline = { ok: 'OK', failed: 'PROBLEMS FOUND', unchecked: 'NOT FULLY CHECKED (see below)' }[r.status];
    const mark = { ok: 'ok         ', failed: 'FAIL       ', unchecked: 'NOT CHECKED' } as const;
    const notReused = r.badPacks?.length ? [`  ${r.badPacks.length} bad pack(s) are no longer reused for deduplication: the next backup uploads their content again`] : [];
    out.result({ ...r, storage: hit.storage, state: hit.state }, () => [`Set ${setId} on storage ${hit.storage}: ${headline}`, ...r.checks.map((c) => `  ${mark[c.status]} ${c.name}: ${c.message}`), ...notReused].join('\n'));
    return r.ok ? 0 : 1;
  } finally {
    storage.close();
  }
}
