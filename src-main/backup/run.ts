/**
 * Runs a backup plan: for each source, on its server, stream the dump over SSH, encrypt it to
 * the plan's age recipients, and upload it (hashed on the way); then write the manifest's signature
 * (manifest.json.sig) and the manifest last.
 * A run that fails anywhere leaves no manifest (so no complete-looking set) and removes what
 * it uploaded; the catalog records the run either way.
 */
import { pipeline } from 'node:stream';
import { CofreError, toErrorInfo, type ErrorInfo } from '../errors.js';
import type { AppContext } from '../app/context.js';
import type { SourceConfig } from '../config/schema.js';
import { serverSpec } from '../app/servers.js';
import { checkGeoSeparation } from '../app/geo.js';
import { resolveSecret } from '../config/secrets.js';
import { connectServer } from '../remote/connect.js';
import { withRemoteLock } from '../remote/lock.js';
import { createEncryptStream } from '../crypto/age.js';
import type { Storage } from '../storage/types.js';
import { sourceDriver, objectName, type SourceDriver } from '../sources/index.js';
import { newProbeNonce, parseProbe, probeScript } from '../sources/probe.js';
import type { PreparedPart, PreparedSource } from '../sources/types.js';
import { ByteMeter, type ProgressListener } from '../util/progress.js';
import type { Manifest, ManifestObject, ManifestSource } from '../../shared/domain.js';
import type { FilesSourceConfig } from '../config/schema.js';
import { backupFilesV2, deletePacks, storageIdentity, type FilesV2Outcome, type FilesV2Stats } from '../files2/backup.js';
import { skipPendingPacks } from '../retention/pack-gc.js';
import { FilesState, contentKey } from '../files2/state.js';
import { DEFAULT_PACK_BYTES } from '../files2/packs.js';
import { restoreScript } from '../files2/restore-script.js';
import { newSetId, objectKey, manifestKey, manifestSigKey, setPrefix } from './layout.js';
import { listSetsOf, refreshSetsCache } from './sets.js';
import { DEFAULT_LIST_TIMEOUT_SECONDS } from './storage-sets.js';
import { takeLease, type Lease } from './lease.js';
import { loadSigningKey, signManifest } from '../app/signing.js';
import { said, type MessageRef } from '../../shared/i18n/catalog.js';
import { BandwidthLimiter, bandwidthSpec, limitUploads, progressWithLimit } from './bandwidth.js';
import { objectLockPolicy, putBytesRetained, retainAll, setRetention, type ObjectRetention } from '../storage/object-lock.js';

import { COFRE_VERSION } from '../version.js';
import { planOf } from '../config/plans.js';

/** A run log line: English (CLI, technical detail) and, when it has one, the console's text for it. */
type LogFn = (level: 'info' | 'warn' | 'error', line: string, said?: Partial<MessageRef>) => void;

/** How long a backup waits for another run on the same server (another workstation, a restore) to finish. */
const LOCK_WAIT_SECONDS = 15 * 60;

export interface BackupOptions {
  trigger?: 'manual' | 'schedule' | 'catch-up' | 'retry' | 'console';
  onProgress?: ProgressListener;
  onLog?: (line: string) => void;
  /** called with the catalog run id as soon as the run is recorded */
  onStart?: (runId: number) => void;
  signal?: AbortSignal;
}

export interface BackupResult {
  runId: number;
  plan: string;
  setId: string;
  status: 'succeeded' | 'failed';
  sources: Array<{ name: string; bytes: number; sha256: string }>;
  durationMs: number;
  bytes: number;
  warnings: string[];
  /** format-2 files sources: what was read over SSH and stored */
  files?: Array<{ source: string } & FilesV2Stats>;
  error?: ErrorInfo;
}

function sourcePassword(name: string, src: SourceConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (src.type === 'files') return undefined;
  return resolveSecret({ env: src.passwordEnv, file: src.passwordFile, what: `sources.${name}.passwordEnv` }, env);
}

export async function runBackup(ctx: AppContext, planName: string | undefined, opts: BackupOptions = {}): Promise<BackupResult> {
  const config = ctx.config;
  const [plan, planCfg] = planOf(config, planName);
  const started = ctx.now();
  const setId = newSetId(started);
  const catalog = ctx.catalog;
  const runId = catalog.startRun({ kind: 'backup', plan, setId, trigger: opts.trigger ?? 'manual' });
  opts.onStart?.(runId);
  const log: LogFn = (level, line, ref) => {
    catalog.logRun(runId, level, line, ref?.key ? { key: ref.key, ...(ref.params ? { params: ref.params } : {}) } : undefined);
    opts.onLog?.(line);
  };
  const warnings: string[] = [];
  const storedObjects: BackupResult['sources'] = [];
  let storage: Storage | undefined;
  let lease: Lease | undefined;
  let totalBytes = 0;
  const filesOutcomes: FilesV2Outcome[] = [];
  let filesState: FilesState | undefined;
  try {
    // Every set is signed: a missing or unreadable signing key fails the run before anything is dumped.
    const signingKey = await loadSigningKey(config, ctx.env);
    const geo = checkGeoSeparation(config, plan);
    if (geo.separated !== true) {
      if (planCfg.requireGeoSeparation) {
        throw new CofreError('PRECONDITION', `plan ${plan} requires geo-separation: ${geo.message}`, { hint: 'point the plan at storage in another region or provider', ...said('backup.geoRequired', { plan }) });
      }
      warnings.push(`geo-separation: ${geo.message}`);
      log('warn', `WARNING geo-separation: ${geo.message}`, said('log.backup.geo'));
    }
    const recipients = config.encryption?.recipients ?? [];
    const byServer = new Map<string, string[]>();
    for (const s of planCfg.sources) {
      const src = config.sources[s];
      if (!src) throw new CofreError('CONFIG_REFERENCE', `plan ${plan} names source "${s}", which is not in the config`, said('config.unknownSource', { plan, source: s }));
      byServer.set(src.server, [...(byServer.get(src.server) ?? []), s]);
    }
    const spec = bandwidthSpec(planCfg);
    const limiter = spec ? new BandwidthLimiter(spec) : undefined;
    const progress = progressWithLimit(opts.onProgress, limiter);
    // the context's storage: the one way every engine caller opens it (tests inject faults there)
    const opened = ctx.storage(planCfg.storage);
    const target = limiter ? limitUploads(opened, limiter) : opened;
    storage = target;
    // The storage check and the first SSH handshake are independent: overlap them. A storage
    // failure is still reported first (it is awaited first).
    const servers = [...byServer.keys()];
    const firstHost = servers[0] === undefined ? undefined : connectServer(serverSpec(config, servers[0], ctx.env));
    firstHost?.catch(() => undefined);
    let previous: Map<string, number>;
    try {
      await target.check();
      lease = await takeLease(target, { setId, plan, now: ctx.now, onError: (m) => log('warn', m) });
      log('info', `set ${setId} → ${target.describe}`, said('log.backup.set', { setId, storage: planCfg.storage }));
      if (limiter) {
        const w = limiter.spec.window;
        const rate = limiter.rateText();
        log('info', `bandwidth limited to ${limiter.describe()}${w ? ' (unlimited outside that window)' : ''} for the SSH read and the upload`,
          w ? said('log.backup.bandwidthWindow', { rate, window: w.text, zone: limiter.spec.timeZone }) : said('log.backup.bandwidth', { rate }));
      }
      previous = await previousSizes(ctx, target, plan);
    } catch (err) {
      void firstHost?.then((h) => h.close(), () => undefined);
      throw err;
    }
    const manifestSources: ManifestSource[] = [];
    let doneBytes = 0;
    const previousTotal = previous.size > 0 ? [...previous.values()].reduce((a, b) => a + b, 0) : undefined;
    for (const [index, serverName] of servers.entries()) {
      const sourceNames = byServer.get(serverName) ?? [];
      const host = index === 0 && firstHost ? await firstHost : await connectServer(serverSpec(config, serverName, ctx.env));
      try {
        // Every source's probes (tool versions, parts, size estimates, path checks) run in the
        // lock's own SSH channel, right after the lock is taken: one round trip for all.
        const jobs = sourceNames.map((name, i) => {
          const src = config.sources[name] as SourceConfig;
          const password = sourcePassword(name, src, ctx.env);
          const driver = sourceDriver(host, src, password);
          const prefix = `s${i}`;
          const hasPrevious = [...previous.keys()].some((k) => k.startsWith(`${name}.`));
          return { name, src, password, driver, prefix, probe: driver.probe(prefix, { estimate: !hasPrevious }) };
        });
        const nonce = newProbeNonce();
        const prelude = probeScript(jobs.flatMap((j) => j.probe.steps), nonce);
        const env = Object.assign({}, ...jobs.map((j) => j.probe.env)) as Record<string, string>;
        jobs[0]?.driver.prepare?.(); // opens beside the lock's channel, not after it
        await withRemoteLock(host, `backup-${serverName}`, async (_lost, probeOutput) => {
          const results = parseProbe(probeOutput, nonce);
          const prepared = jobs.map((j) => ({ job: j, source: j.driver.fromProbe(results, j.prefix) }));
          for (const { job, source } of prepared) for (const n of source.notes ?? []) log('info', `${job.name}: ${n.line}`, said(n.key, { source: job.name }));
          const expectedTotal = previousTotal ?? estimateTotal(doneBytes, prepared.flatMap((p) => p.source.parts));
          for (const { job, source } of prepared) {
            const t0 = Date.now();
            catalog.setRunSource(runId, { source: job.name, status: 'running', bytes: 0, durationMs: null, sha256: null });
            if (job.src.type === 'files' && job.src.format === 'packs') {
              if (!filesState) {
                filesState = FilesState.open(ctx.home);
                // packs that garbage collection may delete are not reused (their content is stored anew)
                const skipped = await skipPendingPacks(target, filesState, storageIdentity(target));
                if (skipped > 0) log('info', `${skipped} pack(s) wait for garbage collection on ${target.describe}: their contents are stored anew`);
              }
              const outcome = await backupFilesV2({
                host, storage: target, state: filesState, contentKey: contentKey(ctx.home), setId, name: job.name, src: job.src as FilesSourceConfig,
                recipients, packBytes: job.src.packBytes ?? DEFAULT_PACK_BYTES, toolVersion: source.tool.toolVersion,
                signal: opts.signal, progress, log, now: ctx.now, ...(limiter ? { readLimit: (s) => limiter.limit(s, 'read') } : {}),
              });
              filesOutcomes.push(outcome);
              warnings.push(...outcome.warnings);
              const stored = outcome.stats.newPackBytes + outcome.index.bytes;
              totalBytes += stored;
              manifestSources.push(outcome.source);
              storedObjects.push({ name: `${job.name}.index`, bytes: outcome.index.bytes, sha256: outcome.index.sha256 });
              catalog.setRunSource(runId, { source: job.name, status: 'succeeded', bytes: stored, durationMs: Date.now() - t0, sha256: outcome.index.sha256 });
              continue;
            }
            const ms = await backupSource(target, job.driver, source, {
              setId, name: job.name, src: job.src, recipients, previous, signal: opts.signal,
              progress, doneBytes: () => doneBytes, expectedTotal, log, limiter,
            });
            const bytes = ms.objects.reduce((a, o) => a + o.bytes, 0);
            doneBytes += ms.objects.reduce((a, o) => a + o.plainBytes, 0);
            totalBytes += bytes;
            manifestSources.push(ms);
            for (const o of ms.objects) storedObjects.push({ name: `${job.name}.${o.part}`, bytes: o.bytes, sha256: o.sha256 });
            catalog.setRunSource(runId, { source: job.name, status: 'succeeded', bytes, durationMs: Date.now() - t0, sha256: ms.objects[0]?.sha256 ?? null });
            log('info', `${job.name}: ${ms.objects.length} object(s), ${bytes} bytes stored`, said('log.backup.stored', { source: job.name, objects: ms.objects.length, bytes: formatSize(bytes) }));
          }
        }, { waitSeconds: LOCK_WAIT_SECONDS, prelude, env, awaitRelease: false }); // host.close() below releases it too
      } finally {
        host.close();
      }
    }
    let manifest: Manifest = {
      format: 'cofre-set/2', setId, plan, createdAt: started.toISOString(), finishedAt: ctx.now().toISOString(),
      recipients, sources: manifestSources, cofreVersion: COFRE_VERSION,
    };
    // The last small writes (restore.sh, signature, manifest) must answer within the storage's
    // timeout: one that never answers (a hung mount, a stalled request) fails the run and its
    // partial set is removed, instead of hanging the run (and its plan) for good.
    const answered = answerWithin(target, (config.storage[planCfg.storage]?.timeoutSeconds ?? DEFAULT_LIST_TIMEOUT_SECONDS) * 1000, opts.signal);
    if (filesOutcomes.length > 0) {
      lease?.assertWithinMaxAge(); // pack GC waits longer than this between its two looks
      manifest = await formatTwoParts(target, manifest, filesOutcomes, answered);
    }
    // The manifest is the commit marker: written last, only after every object and its signature are stored
    // (and, with Object Lock, retained: a set never claims a protection it lacks).
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    const lock = objectLockPolicy(target);
    if (lock) {
      const retention = setRetention(lock, started);
      const objects = await retainSet(target, manifest, retention);
      log('info', `set ${setId}: ${objects + 2} object(s) under Object Lock (${retention.mode}) until ${retention.retainUntil.toISOString()}`,
        said('log.objlock.retained', { setId, objects: objects + 2, mode: retention.mode, until: retention.retainUntil.toISOString() }));
      await answered(manifestSigKey(setId), putBytesRetained(target, manifestSigKey(setId), signManifest(manifestBytes, signingKey), retention));
      await answered(manifestKey(setId), putBytesRetained(target, manifestKey(setId), manifestBytes, retention));
    } else {
      await answered(manifestSigKey(setId), target.putBytes(manifestSigKey(setId), signManifest(manifestBytes, signingKey)));
      await answered(manifestKey(setId), target.putBytes(manifestKey(setId), manifestBytes));
    }
    for (const o of filesOutcomes) o.commit();
    const durationMs = ctx.now().getTime() - started.getTime();
    catalog.finishRun(runId, { status: 'succeeded', bytes: totalBytes, details: { warnings } });
    catalog.audit(ctx.actor, 'backup.create', `${plan}/${setId}`, { bytes: totalBytes, storage: planCfg.storage });
    await refreshSetsCache(ctx, planCfg.storage, target).catch(() => undefined);
    log('info', `set ${setId} complete`, said('log.backup.complete', { setId }));
    return { runId, plan, setId, status: 'succeeded', sources: storedObjects, durationMs, bytes: totalBytes, warnings, ...filesStats(filesOutcomes) };
  } catch (err) {
    const error = toErrorInfo(err);
    log('error', error.message, error);
    if (storage) await removePartialSet(storage, setId, log);
    // packs this run wrote are referenced by no manifest and not in the dedup state yet
    if (storage) for (const o of filesOutcomes) await deletePacks(storage, o.newPacks);
    for (const o of filesOutcomes) await o.dispose(); // the spool of each files source (plaintext paths)
    catalog.finishRun(runId, { status: opts.signal?.aborted ? 'cancelled' : 'failed', bytes: totalBytes, error });
    return { runId, plan, setId, status: 'failed', sources: storedObjects, durationMs: ctx.now().getTime() - started.getTime(), bytes: totalBytes, warnings, ...filesStats(filesOutcomes), error };
  } finally {
    await lease?.release();
    storage?.close();
    filesState?.close();
  }
}

function filesStats(outcomes: FilesV2Outcome[]): Pick<BackupResult, 'files'> {
  return outcomes.length ? { files: outcomes.map((o) => ({ source: o.source.name, ...o.stats })) } : {};
}

/**
 * Format 2: checks that every pack reused by deduplication still exists (right before the
 * manifest), writes restore.sh, and lists packs, indexes and restore.sh in the manifest.
 */
async function formatTwoParts(storage: Storage, base: Manifest, outcomes: FilesV2Outcome[], answered: Answered): Promise<Manifest> {
  for (const o of outcomes) await o.confirmReused();
  const packs = new Map<string, { key: string; bytes: number; sha256: string }>();
  for (const o of outcomes) for (const p of o.packs) packs.set(p.key, p);
  const indexes = Object.fromEntries(outcomes.map((o) => [o.source.name, o.index]));
  const packList = [...packs.values()].sort((a, b) => a.key.localeCompare(b.key));
  const script = restoreScript({ manifest: base, indexes, packs: packList });
  const scriptKey = objectKey(base.setId, 'restore.sh');
  const stored = await answered(scriptKey, storage.putBytes(scriptKey, Buffer.from(script)));
  return { ...base, format: 'cofre-set/2', packs: packList, indexes, restoreScript: { key: stored.key, bytes: stored.bytes, sha256: stored.sha256 } };
}

/**
 * Object Lock, right before the manifest: every object of the set stored so far (dumps, indexes,
 * restore.sh) and every pack the manifest lists, written by this set or reused from older ones, is
 * retained until the set's time + days. A pack retained longer already keeps its date. Any failure
 * fails the backup: the set is not written rather than written with a protection it lacks (a reused
 * pack's content cannot be uploaded again without reading it anew; the next backup does that if the
 * pack is gone). Returns how many objects it retained.
 */
async function retainSet(storage: Storage, manifest: Manifest, retention: ObjectRetention): Promise<number> {
  const keys: string[] = [];
  for await (const o of storage.list(setPrefix(manifest.setId))) keys.push(o.key);
  if (manifest.format === 'cofre-set/2') for (const p of manifest.packs ?? []) keys.push(p.key);
  await retainAll(storage, keys, retention);
  return keys.length;
}

/** Waits for a small write of the set's last step, at most the storage's timeout (or until cancelled). */
type Answered = <T>(key: string, write: Promise<T>) => Promise<T>;

function answerWithin(storage: Storage, ms: number, signal: AbortSignal | undefined): Answered {
  return async (key, write) => {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CofreError('STORAGE_UNREACHABLE', `storage ${storage.name} (${storage.describe}) did not answer writing ${key} within ${Math.round(ms / 1000)} s: the set was not written`, {
        hint: `check that storage ${storage.name} is reachable (network, disk), then run the backup again; raise storage.${storage.name}.timeoutSeconds if it is only slow`,
        ...said('backup.writeTimeout', { storage: storage.name, seconds: Math.round(ms / 1000) }),
      })), ms);
      onAbort = () => reject(new CofreError('CANCELLED', 'backup cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    write.catch(() => undefined); // a write that fails after we stopped waiting is not unhandled
    try {
      return await Promise.race([write, stop]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  };
}

interface SourceJob {
  setId: string;
  name: string;
  src: SourceConfig;
  recipients: string[];
  previous: Map<string, number>;
  signal: AbortSignal | undefined;
  progress: ProgressListener | undefined;
  doneBytes: () => number;
  expectedTotal: number | undefined;
  log: LogFn;
  limiter: BandwidthLimiter | undefined;
}

/** Headroom over the expected size for the upload's size hint (the data may have grown since). */
const SIZE_HINT_HEADROOM = 1.25;

/** Bytes still expected on this server (estimates that are only upper bounds do not count), or undefined. */
function estimateTotal(base: number, parts: PreparedPart[]): number | undefined {
  let sum = base;
  for (const p of parts) {
    if (p.estimatedBytes === undefined || p.estimateIsUpperBound) return undefined;
    sum += p.estimatedBytes;
  }
  return sum;
}

function formatSize(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

async function backupSource(storage: Storage, driver: SourceDriver, source: PreparedSource, job: SourceJob): Promise<ManifestSource> {
  const tool = source.tool;
  const objects: ManifestObject[] = [];
  for (const part of source.parts) {
    const name = objectName(job.name, part);
    const key = objectKey(job.setId, name);
    const expected = Math.max(job.previous.get(name) ?? 0, part.estimatedBytes ?? 0);
    const about = part.estimatedBytes !== undefined ? `, ${part.estimateIsUpperBound ? 'at most' : 'about'} ${formatSize(part.estimatedBytes)}` : '';
    job.log('info', `${job.name}: dumping ${part.part} (${tool.tool}${about})`, said('log.backup.dumping', { source: job.name, part: part.part }));
    const dump = await driver.start(part);
    const meter = new ByteMeter('backup', job.progress, {
      source: `${job.name}.${part.part}`,
      totalBytes: job.expectedTotal,
      base: job.doneBytes(),
    });
    const read = job.limiter ? job.limiter.limit(dump.stream, 'read') : dump.stream;
    const encrypted = pipeline(read, meter, createEncryptStream(job.recipients), () => undefined);
    const onAbort = (): void => dump.cancel();
    job.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const [stored, stats] = await Promise.all([
        storage.put(key, encrypted, { ...(job.signal ? { signal: job.signal } : {}), ...(expected > 0 ? { sizeHint: Math.ceil(expected * SIZE_HINT_HEADROOM) } : {}) }),
        dump.finished,
      ]);
      for (const w of stats.warnings) job.log('warn', `${job.name}: ${w}`, said('log.backup.warning', { source: job.name }));
      objects.push({
        part: part.part, format: part.format, key, bytes: stored.bytes, plainBytes: meter.bytes, sha256: stored.sha256,
        ...(stats.rowCounts ? { rowCounts: stats.rowCounts } : {}),
        ...(stats.fileCount !== undefined ? { fileCount: stats.fileCount, fileBytes: stats.fileBytes ?? 0 } : {}),
      });
    } catch (err) {
      dump.cancel();
      dump.finished.catch(() => undefined);
      throw err;
    } finally {
      job.signal?.removeEventListener('abort', onAbort);
    }
  }
  return { name: job.name, type: job.src.type, server: job.src.server, tool: tool.tool, toolVersion: tool.toolVersion, ...(tool.serverVersion ? { serverVersion: tool.serverVersion } : {}), objects };
}

/** Plaintext sizes per object name in the newest complete set of the plan: the ETA's estimate. */
async function previousSizes(ctx: AppContext, storage: Storage, plan: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  try {
    const last = (await listSetsOf(ctx, storage)).filter((s) => s.complete && s.plan === plan).pop();
    for (const src of last?.manifest?.sources ?? []) {
      for (const o of src.objects) sizes.set(o.key.split('/').pop() ?? o.key, o.plainBytes);
    }
  } catch {
    // no estimate; progress still shows bytes and rate
  }
  return sizes;
}

async function removePartialSet(storage: Storage, setId: string, log: LogFn): Promise<void> {
  try {
    const keys: string[] = [];
    for await (const o of storage.list(setPrefix(setId))) keys.push(o.key);
    if (keys.length) {
      await storage.delete(keys);
      log('info', `removed ${keys.length} object(s) of the incomplete set ${setId}`, said('log.backup.cleaned', { setId }));
    }
  } catch (err) {
    log('warn', `could not remove the incomplete set ${setId} (it has no manifest, so it is never taken for a restore point; prune removes it later): ${toErrorInfo(err).message}`, said('log.backup.cleanFailed', { setId }));
  }
}
