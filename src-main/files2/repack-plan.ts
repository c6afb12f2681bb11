/**
 * `cofre repack`, step 1: the plan, reading only. Every set's manifest (a doubtful or unreadable
 * one refuses the whole storage: doubt is never absence); the index of every complete set
 * (decrypted here, streamed) gives the live members of each pack, kept in the run's scratch on
 * disk; a pack's total comes from its sealed `.ids` (with this host's content key) or, failing
 * that, from reading the pack. A pack whose live share is under the threshold is a candidate,
 * unless an unsigned set references it (its references stay live, and it is never rewritten, so
 * the pack could not go anyway).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SetInfo } from '../backup/sets.js';
import { CofreError, toErrorInfo } from '../errors.js';
import type { Storage } from '../storage/types.js';
import type { Manifest, ManifestRef } from '../../shared/domain.js';
import { PACKS_PREFIX, packKey } from './packs.js';
import { packIdsTotal } from './pack-ids.js';
import { scanIndex } from './restore.js';
import { memberField } from './index-format.js';
import { drain, readPack } from './repack-packs.js';
import type { RepackScratch } from './repack-scratch.js';
import type { ProgressListener } from '../util/progress.js';

export type V2Manifest = Extract<Manifest, { format: 'cofre-set/2' }>;

export interface SetPlan {
  set: SetInfo;
  manifest: V2Manifest;
}

export interface RepackPackPlan {
  key: string;
  /** stored (encrypted) bytes */
  bytes: number;
  /** plaintext bytes of every member, and of those a complete set still references */
  memberBytes: number;
  liveBytes: number;
  /** how the total was learned */
  measuredBy: 'ids' | 'read';
}

/** What the manifests say: the complete sets, the packs they reference, the packs unsigned sets pin. */
export interface StorageSets {
  complete: SetPlan[];
  /** pack key → size + hash, from the complete sets' manifests */
  stored: Map<string, ManifestRef>;
  /** packs an unsigned set references */
  pinned: Set<string>;
  unsignedSets: string[];
}

/** Sorts the listed sets; refuses on a doubtful set or two manifests that disagree on a pack. */
export function storageSets(sets: readonly SetInfo[], st: string): StorageSets {
  const doubt = sets.find((s) => s.state === 'doubtful' || s.unreadable);
  if (doubt) {
    throw new CofreError('PRECONDITION', `set ${doubt.setId} on storage ${st} is doubtful (${doubt.problem ?? 'its manifest cannot be trusted'}): the packs it references are unknown, so repack changes nothing`, {
      hint: `check the set (\`cofre verify ${doubt.setId}\`); if it is lost, \`cofre forget ${doubt.setId}\` clears it`, key: 'repack.blockedBySet', params: { setId: doubt.setId, storage: st },
    });
  }
  const out: StorageSets = { complete: [], stored: new Map(), pinned: new Set(), unsignedSets: [] };
  for (const s of sets) {
    const m = s.manifest;
    if (!m || m.format !== 'cofre-set/2') continue;
    if (s.state === 'unsigned') {
      for (const p of m.packs ?? []) out.pinned.add(p.key);
      if (m.packs?.length) out.unsignedSets.push(s.setId);
      continue;
    }
    if (s.state !== 'complete') continue;
    out.complete.push({ set: s, manifest: m });
    for (const p of m.packs ?? []) {
      const seen = out.stored.get(p.key);
      if (seen && (seen.bytes !== p.bytes || seen.sha256 !== p.sha256)) {
        throw new CofreError('INTEGRITY', `pack ${p.key} is listed with different sizes or hashes by two sets on storage ${st}; repack changes nothing`, { hint: 'run `cofre verify --deep` on the sets that reference it' });
      }
      out.stored.set(p.key, p);
    }
  }
  return out;
}

/** Streams every complete set's indexes into the scratch: the live members of each pack. */
export async function scanLiveMembers(storage: Storage, complete: readonly SetPlan[], identities: readonly string[], scratch: RepackScratch, st: string): Promise<void> {
  for (const { set, manifest } of complete) {
    for (const [source, ref] of Object.entries(manifest.indexes ?? {})) {
      try {
        await scanIndex(storage, ref, identities, (e) => {
          if (!e.cid || !e.pack || (e.type !== 'f' && e.type !== 'h')) return;
          scratch.addLive(packKey(e.pack), memberField(e), e.size);
        });
      } catch (err) {
        throw new CofreError('INTEGRITY', `the index of ${source} in set ${set.setId} could not be read (${toErrorInfo(err).message}); repack changes nothing on storage ${st}`, {
          hint: `check the identity and the set (\`cofre verify ${set.setId} --deep\`)`, cause: err,
        });
      }
    }
  }
}

export interface ChooseInput {
  storage: Storage;
  sets: StorageSets;
  scratch: RepackScratch;
  identities: readonly string[];
  contentKey: Buffer | undefined;
  threshold: number;
  onProgress?: ProgressListener | undefined;
}

/** The packs to rewrite (live share under the threshold), and a warning for each one an unsigned set pins. */
export async function choosePacks(input: ChooseInput): Promise<{ plans: RepackPackPlan[]; warnings: string[] }> {
  const { storage, sets, contentKey } = input;
  const liveBytesOf = input.scratch.liveBytes();
  const plans: RepackPackPlan[] = [];
  const warnings: string[] = [];
  let measured = 0;
  for (const ref of [...sets.stored.values()].sort((a, b) => a.key.localeCompare(b.key))) {
    const liveBytes = liveBytesOf.get(ref.key) ?? 0;
    let memberBytes: number | undefined;
    let measuredBy: RepackPackPlan['measuredBy'] = 'ids';
    if (contentKey) {
      const name = ref.key.slice(PACKS_PREFIX.length);
      // summed as it is read (the list is never held), and used only once its GCM tag verified
      const ids = await packIdsTotal(storage, contentKey, name);
      if (ids && ids.bytes === ref.bytes && ids.sha256 === ref.sha256) memberBytes = ids.memberBytes;
    }
    if (memberBytes === undefined) {
      measuredBy = 'read';
      let total = 0;
      await readPack(storage, ref, input.identities, { onProgress: input.onProgress, base: measured }, async (_cid, size, body) => {
        total += size;
        await drain(body);
      });
      memberBytes = total;
      measured += ref.bytes;
    }
    if (memberBytes > 0 && liveBytes / memberBytes < input.threshold && liveBytes < memberBytes) {
      if (sets.pinned.has(ref.key)) {
        warnings.push(`${ref.key} is mostly unused (${pct(liveBytes, memberBytes)} live) but an unsigned set references it: left as it is`);
        continue;
      }
      plans.push({ key: ref.key, bytes: ref.bytes, memberBytes, liveBytes, measuredBy });
    }
  }
  return { plans, warnings };
}

/** The content key of this host, if it has one (never created here). */
export function readContentKey(home: string): Buffer | undefined {
  const file = join(home, 'content-key');
  if (!existsSync(file)) return undefined;
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : undefined;
  } catch {
    return undefined;
  }
}

function pct(part: number, whole: number): string {
  return `${whole > 0 ? Math.round((part / whole) * 100) : 0}%`;
}
