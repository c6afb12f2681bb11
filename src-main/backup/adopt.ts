/**
 * `cofre adopt`: signs sets made before manifest signing existed, after proving them good.
 * Candidates are unsigned sets with no signature at all that are either format 1 (every set made
 * before signing) or format 2 made by this host (a succeeded backup run in this catalog). Each is
 * deep-verified (every object downloaded, hashed, decrypted, its dump read); only a set that
 * passes gets a `manifest.json.sig` over its existing manifest bytes, which are never rewritten.
 * A set with a wrong signature or a createdAt in the future is never adopted: that is what a
 * forgery looks like. Every decision is audited.
 */
import type { AppContext } from '../app/context.js';
import { configuredIdentities } from '../app/identity.js';
import { loadSigningKey, setAuthenticator, signManifest, FUTURE_TOLERANCE_MS } from '../app/signing.js';
import { CofreError, toErrorInfo } from '../errors.js';
import type { ProgressListener } from '../util/progress.js';
import { manifestKey, manifestSigKey } from './layout.js';
import { listSetsOf, type SetInfo } from './sets.js';
import { SIGNATURE_CHECK, check, verifySet, type VerifyCheck } from './verify.js';

export interface AdoptOptions {
  /** only this storage (default: every storage in the config) */
  storage?: string | undefined;
  /** only these sets (default: every candidate) */
  setIds?: string[] | undefined;
  /** verify, but sign nothing */
  dryRun?: boolean;
  onProgress?: ProgressListener;
  onLog?: (line: string) => void;
}

export interface AdoptedSet {
  storage: string;
  setId: string;
  format: string;
  /** signed: verified and signed now; verified: would be signed (dry run); refused: failed deep verify; skipped: not a candidate */
  outcome: 'signed' | 'verified' | 'refused' | 'skipped';
  reason: string;
  checks?: VerifyCheck[];
}

export interface AdoptResult {
  sets: AdoptedSet[];
  /** storages that could not be listed (named with their error) */
  unreachable: Array<{ storage: string; error: string }>;
}

export async function adoptSets(ctx: AppContext, opts: AdoptOptions = {}): Promise<AdoptResult> {
  const config = ctx.config;
  // Both keys up front: nothing is downloaded when the run could not sign or decrypt.
  const signingKey = await loadSigningKey(config, ctx.env);
  const identities = await configuredIdentities(config, ctx.env, ctx.askSecret);
  const authenticate = setAuthenticator(config, ctx.now);
  const names = opts.storage ? [opts.storage] : Object.keys(config.storage);
  const madeHere = new Set(ctx.catalog.listRuns({ kind: 'backup', status: 'succeeded', limit: 100_000 }).map((r) => r.setId).filter((s): s is string => Boolean(s)));
  const out: AdoptResult = { sets: [], unreachable: [] };
  for (const name of names) {
    const storage = ctx.storage(name);
    try {
      let sets: SetInfo[];
      try {
        sets = await listSetsOf(ctx, storage);
      } catch (err) {
        out.unreachable.push({ storage: name, error: toErrorInfo(err).message });
        continue;
      }
      for (const set of sets) {
        if (opts.setIds && !opts.setIds.includes(set.setId)) continue;
        if (set.state !== 'unsigned' || !set.manifest) {
          if (opts.setIds) out.sets.push({ storage: name, setId: set.setId, format: set.manifest?.format ?? '?', outcome: 'skipped', reason: `the set is ${set.state}${set.problem ? `: ${set.problem}` : ''}` });
          continue;
        }
        const base = { storage: name, setId: set.setId, format: set.manifest.format };
        const why = await notCandidate(set, madeHere, storage.head(manifestSigKey(set.setId)), ctx.now());
        if (why) {
          out.sets.push({ ...base, outcome: 'skipped', reason: why });
          continue;
        }
        opts.onLog?.(`${name}: deep-verifying ${set.setId} (${set.manifest.format})`);
        const before = await storage.getBytes(manifestKey(set.setId));
        let checks: VerifyCheck[];
        try {
          const r = await verifySet(storage, set.setId, { deep: true, authenticate, identities, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), dedupHome: ctx.home, now: ctx.now });
          checks = r.checks.filter((c) => c.name !== SIGNATURE_CHECK);
        } catch (err) {
          checks = [check('verify', 'failed', toErrorInfo(err).message)];
        }
        const failed = checks.filter((c) => !c.ok);
        if (failed.length > 0) {
          const reason = `deep verify failed: ${failed.map((c) => `${c.name}: ${c.message}`).join('; ')}`;
          ctx.catalog.audit(ctx.actor, 'set.adopt.refused', set.setId, { storage: name, reason });
          out.sets.push({ ...base, outcome: 'refused', reason, checks });
          continue;
        }
        // Sign the bytes that were verified: the manifest must not have changed meanwhile.
        const after = await storage.getBytes(manifestKey(set.setId));
        if (!after.equals(before)) {
          const reason = 'the manifest changed while the set was being verified: not signed';
          ctx.catalog.audit(ctx.actor, 'set.adopt.refused', set.setId, { storage: name, reason });
          out.sets.push({ ...base, outcome: 'refused', reason, checks });
          continue;
        }
        if (opts.dryRun) {
          out.sets.push({ ...base, outcome: 'verified', reason: 'deep verify passed (dry run: not signed)', checks });
          continue;
        }
        await storage.putBytes(manifestSigKey(set.setId), signManifest(after, signingKey));
        ctx.catalog.audit(ctx.actor, 'set.adopt', set.setId, { storage: name, format: set.manifest.format });
        out.sets.push({ ...base, outcome: 'signed', reason: 'deep verify passed; manifest.json.sig written', checks });
      }
    } finally {
      storage.close();
    }
  }
  if (opts.setIds) {
    for (const id of opts.setIds) {
      if (!out.sets.some((s) => s.setId === id) && out.unreachable.length === 0) {
        throw new CofreError('SET_NOT_FOUND', `no set ${id} in ${names.join(', ')}`, { hint: 'run `cofre sets` to list the sets' });
      }
    }
  }
  return out;
}

/** Why an unsigned set is not for adopt, or undefined when it is. */
async function notCandidate(set: SetInfo, madeHere: ReadonlySet<string>, sigHead: Promise<unknown>, now: Date): Promise<string | undefined> {
  const manifest = set.manifest;
  if (!manifest) return 'no manifest';
  if (await sigHead) return `it has a signature that does not verify (${set.problem ?? '?'}): a wrong signature is never replaced`;
  if (Date.parse(manifest.createdAt) > now.getTime() + FUTURE_TOLERANCE_MS) return `its createdAt (${manifest.createdAt}) lies in the future`;
  if (manifest.format !== 'cofre-set/1' && !madeHere.has(set.setId)) {
    return 'an unsigned format-2 set this host did not make (no backup run for it in this catalog): every format-2 set is signed when made, so this one is suspect';
  }
  return undefined;
}
