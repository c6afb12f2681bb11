/**
 * `cofre repack` (issue 15): rewrites mostly-dead format-2 packs, where the age identity and the
 * manifest signing key are. Per storage, under a lease (it refuses to start while a backup holds
 * one on the storage):
 *
 * 1. Plan, reading only (repack-plan.ts): the manifests, the live members of each pack from every
 *    complete set's index (kept on disk in the run's scratch), the packs under the threshold.
 * 2. Packs (repack-packs.ts): each chosen pack read once, its live members copied into new packs.
 * 3. Sets (repack-sets.ts), one at a time: new index streamed under a new key, sig.next, the
 *    manifest (the commit point), restore.sh and manifest.json.sig, then the superseded objects
 *    go. A crash at any point leaves every set complete; a later repack finishes what a stopped
 *    one left (`settle`).
 *
 * Repack deletes no pack: the old ones are unreferenced now and go by prune's garbage collection
 * (two looks further apart than the longest lease).
 */
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../app/context.js';
import { configuredIdentities } from '../app/identity.js';
import { loadSigningKey } from '../app/signing.js';
import { listSetsOf, refreshSetsCache, type SetInfo } from '../backup/sets.js';
import { freshLeases, takeLease, type Lease } from '../backup/lease.js';
import { CofreError, toErrorInfo } from '../errors.js';
import type { Storage } from '../storage/types.js';
import { objectLockPolicy } from '../storage/object-lock.js';
import type { ProgressListener } from '../util/progress.js';
import type { ManifestRef } from '../../shared/domain.js';
import { PACKS_PREFIX, packKey } from './packs.js';
import { FilesState, stateExists, type PackRecord } from './state.js';
import { storageIdentity } from './backup.js';
import { Spool } from './spool.js';
import { RepackScratch } from './repack-scratch.js';
import { choosePacks, readContentKey, scanLiveMembers, storageSets, type RepackPackPlan } from './repack-plan.js';
import { moveLiveMembers } from './repack-packs.js';
import { rewriteSet, settle } from './repack-sets.js';

export type { RepackPackPlan } from './repack-plan.js';

export const DEFAULT_REPACK_THRESHOLD = 0.5;

export interface RepackOptions {
  storage: string;
  /** a pack whose live share of its member bytes is under this is rewritten */
  threshold: number;
  dryRun: boolean;
  onProgress?: ProgressListener | undefined;
  onLog?: ((line: string) => void) | undefined;
  /** tests: called after each step of the write phase (`packs`, `index:<setId>`, `manifest:<setId>`…) */
  onStep?: ((step: string) => Promise<void> | void) | undefined;
}

export interface RepackResult {
  storage: string;
  dryRun: boolean;
  threshold: number;
  /** packs referenced by some set's manifest and examined */
  packsExamined: number;
  /** packs rewritten (on a dry run: would be) */
  repacked: RepackPackPlan[];
  /** stored bytes of the repacked packs, and of the packs written in their place (0 on a dry run) */
  bytesBefore: number;
  bytesAfter: number;
  /** on a dry run: the live plaintext bytes that would be moved */
  liveBytes: number;
  newPacks: string[];
  /** sets whose index and manifest were rewritten (would be) */
  setsRewritten: string[];
  /** sets left as they are because they are unsigned (their packs are not repacked) */
  unsignedSets: string[];
  /** what a stopped repack had left and this one finished */
  settled: string[];
  warnings: string[];
}

const log = (opts: RepackOptions, line: string): void => opts.onLog?.(line);

/** Opens the storage named in the options, and repacks it. */
export async function repackStorage(ctx: AppContext, opts: RepackOptions): Promise<RepackResult> {
  if (!ctx.config.storage[opts.storage]) {
    throw new CofreError('INVALID_ARGUMENT', `"${opts.storage}" is not a storage in the config`, { hint: `storages: ${Object.keys(ctx.config.storage).join(', ')}` });
  }
  const storage = ctx.storage(opts.storage);
  try {
    return await repackOpen(ctx, storage, opts);
  } finally {
    storage.close();
  }
}

export async function repackOpen(ctx: AppContext, storage: Storage, opts: RepackOptions): Promise<RepackResult> {
  if (!(opts.threshold > 0 && opts.threshold <= 1)) {
    throw new CofreError('INVALID_ARGUMENT', `--threshold ${opts.threshold} is not a fraction between 0 and 1`, { hint: 'e.g. --threshold 0.5 rewrites packs less than half of whose bytes are still used' });
  }
  const st = opts.storage;
  if (objectLockPolicy(storage) && !opts.dryRun) {
    // repack replaces manifests, restore.sh and signatures in place, which Object Lock forbids until
    // they expire; and its new packs would lack the retention the sets claim
    throw new CofreError('PRECONDITION', `storage ${st} uses Object Lock: repack would replace the sets' locked manifests, so it changes nothing there`, {
      hint: 'unreferenced packs are still deleted by prune once their lock ends; `cofre repack --dry-run` shows what a repack would save', key: 'repack.objectLock', params: { storage: st },
    });
  }
  const identities = await configuredIdentities(ctx.config, ctx.env, ctx.askSecret);
  const signingKey = opts.dryRun ? undefined : await loadSigningKey(ctx.config, ctx.env);
  const recipients = ctx.config.encryption?.recipients ?? [];
  if (!opts.dryRun && recipients.length === 0) {
    throw new CofreError('CONFIG_REFERENCE', 'the config names no age recipients (encryption.recipients): new packs cannot be encrypted', { hint: 'set encryption.recipients as the backups use it' });
  }
  await busyCheck(ctx, storage, st);
  let lease: Lease | undefined;
  if (!opts.dryRun) {
    lease = await takeLease(storage, { setId: `repack-${randomBytes(4).toString('hex')}`, plan: '(repack)', now: ctx.now, onError: (m) => log(opts, `warning: ${m}`) });
  }
  try {
    return await repackLeased(ctx, storage, opts, { identities, signingKey, recipients, lease });
  } finally {
    await lease?.release();
  }
}

/** A backup holding a fresh lease on this storage, or running here, stops the repack before it starts. */
async function busyCheck(ctx: AppContext, storage: Storage, st: string): Promise<void> {
  let leases: Set<string>;
  try {
    leases = await freshLeases(storage, new Date());
  } catch (err) {
    throw new CofreError('STORAGE_UNREACHABLE', `repack stopped: the leases on storage ${st} could not be listed (${toErrorInfo(err).message}); nothing was changed`, { hint: `check that storage ${st} is reachable and run \`cofre repack\` again`, cause: err });
  }
  const running = ctx.catalog.listRuns({ kind: 'backup', status: 'running', limit: 100 })
    .filter((r) => r.plan !== null && ctx.config.plans[r.plan]?.storage === st && Date.now() - Date.parse(r.startedAt) < 24 * 3_600_000);
  const busy = [...leases, ...running.map((r) => r.setId ?? r.plan)];
  if (busy.length > 0) {
    throw new CofreError('PRECONDITION', `a backup (or another repack) is running on storage ${st} (${busy.join(', ')}); repack changes nothing while it runs`, {
      hint: 'run `cofre repack` again once it has finished (a crashed run\'s lease goes stale after 15 minutes)', key: 'repack.busy', params: { storage: st },
    });
  }
}

interface Keys {
  identities: string[];
  signingKey: Awaited<ReturnType<typeof loadSigningKey>> | undefined;
  recipients: string[];
  lease: Lease | undefined;
}

async function repackLeased(ctx: AppContext, storage: Storage, opts: RepackOptions, keys: Keys): Promise<RepackResult> {
  const st = opts.storage;
  let listed: SetInfo[];
  try {
    listed = await listSetsOf(ctx, storage);
  } catch (err) {
    throw new CofreError('STORAGE_UNREACHABLE', `repack stopped: storage ${st} could not be listed (${toErrorInfo(err).message}); nothing was changed`, { hint: `check that storage ${st} is reachable and run \`cofre repack\` again`, cause: err });
  }
  const sets = storageSets(listed, st);
  const result: RepackResult = {
    storage: st, dryRun: opts.dryRun, threshold: opts.threshold, packsExamined: sets.stored.size, repacked: [], bytesBefore: 0, bytesAfter: 0, liveBytes: 0,
    newPacks: [], setsRewritten: [], unsignedSets: sets.unsignedSets, settled: [], warnings: [],
  };
  if (!opts.dryRun) result.settled = await settle(ctx, storage, sets.complete, (l) => log(opts, l));
  // what the run learns per member lives on disk: memory stays flat from a thousand files to millions
  const spool = await Spool.open('repack');
  const scratch = new RepackScratch(spool);
  try {
    return await repackWithScratch(ctx, storage, opts, keys, { sets, spool, scratch, result });
  } finally {
    scratch.close();
    await spool.dispose();
  }
}

async function repackWithScratch(
  ctx: AppContext, storage: Storage, opts: RepackOptions, keys: Keys,
  run: { sets: ReturnType<typeof storageSets>; spool: Spool; scratch: RepackScratch; result: RepackResult },
): Promise<RepackResult> {
  const st = opts.storage;
  const { sets, spool, scratch, result } = run;
  await scanLiveMembers(storage, sets.complete, keys.identities, scratch, st);
  const contentKey = readContentKey(ctx.home);
  const { plans, warnings } = await choosePacks({ storage, sets, scratch, identities: keys.identities, contentKey, threshold: opts.threshold, onProgress: opts.onProgress });
  result.warnings.push(...warnings);
  result.repacked = plans;
  result.bytesBefore = plans.reduce((a, p) => a + p.bytes, 0);
  result.liveBytes = plans.reduce((a, p) => a + p.liveBytes, 0);
  const chosen = new Set(plans.map((p) => p.key));
  const touched = sets.complete.filter((c) => (c.manifest.packs ?? []).some((p) => chosen.has(p.key)));
  result.setsRewritten = touched.map((c) => c.set.setId);
  log(opts, `storage ${st}: ${sets.stored.size} pack(s) examined; ${plans.length} under ${Math.round(opts.threshold * 100)}% live (${fmt(result.bytesBefore)} stored, ${fmt(result.liveBytes)} still used); ${touched.length} set(s) reference them`);
  if (opts.dryRun || plans.length === 0) {
    if (!opts.dryRun) result.setsRewritten = [];
    return result;
  }

  const newPacks = await moveLiveMembers({
    storage, refs: plans.map((p) => sets.stored.get(p.key) as ManifestRef), scratch, spool, identities: keys.identities, recipients: keys.recipients, contentKey, onProgress: opts.onProgress,
  });
  const written = new Map(newPacks.map((p) => [p.pack, p]));
  result.newPacks = [...written.keys()].map(packKey).sort();
  result.bytesAfter = newPacks.reduce((a, p) => a + p.bytes, 0);
  await opts.onStep?.('packs');
  log(opts, `storage ${st}: ${plans.length} pack(s) of ${fmt(result.bytesBefore)} rewritten into ${written.size} new pack(s) of ${fmt(result.bytesAfter)}`);

  const rewritten: string[] = [];
  for (const { set } of touched) {
    try {
      await rewriteSet(set.setId, {
        storage, chosen, written, scratch, identities: keys.identities, recipients: keys.recipients,
        signingKey: keys.signingKey as NonNullable<Keys['signingKey']>, lease: keys.lease, onStep: opts.onStep, log: (l) => log(opts, l),
      });
      rewritten.push(set.setId);
    } catch (err) {
      // sets committed so far stand (their new packs are referenced); the others keep their old manifest
      const info = toErrorInfo(err);
      throw new CofreError(info.code, `repack stopped at set ${set.setId} on storage ${st}: ${info.message}. Sets rewritten before it: ${rewritten.length ? rewritten.join(', ') : 'none'}; every set is still complete (the old manifest stays until the new one is written)`, {
        hint: 'run `cofre repack` again: it finishes what this run left; packs written and not referenced go by prune\'s garbage collection', cause: err,
      });
    }
  }
  result.setsRewritten = rewritten;
  updateDedupState(ctx.home, storage, scratch, newPacks);
  // the console's cached manifests name the old indexes: list again
  await refreshSetsCache(ctx, st, storage).catch((err: unknown) => result.warnings.push(`the sets cache could not be refreshed (${toErrorInfo(err).message}); \`cofre sets\` lists them again`));
  ctx.catalog.audit(ctx.actor, 'packs.repack', st, { storage: st, packs: plans.length, bytesBefore: result.bytesBefore, bytesAfter: result.bytesAfter, sets: rewritten });
  return result;
}

/** On the backup host: its dedup state learns where the moved contents live now (so backups reuse the new packs, not the old). */
function updateDedupState(home: string, storage: Storage, scratch: RepackScratch, written: readonly PackRecord[]): void {
  if (!stateExists(home)) return;
  const state = FilesState.open(home);
  try {
    const moves = function* (): Generator<{ cid: string; from: string; to: string }> {
      for (const m of scratch.moves()) yield { cid: m.cid, from: m.from.slice(PACKS_PREFIX.length), to: m.to };
    };
    state.repoint(storageIdentity(storage), moves(), written);
  } finally {
    state.close();
  }
}

function fmt(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}
