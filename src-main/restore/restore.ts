/**
 * The restore service: select → preflight → (production: safety dump) → transfer →
 * validate → report. Every phase is timed; the RTO clock runs from the incident start
 * (`incidentStart`, default: when the restore starts). A failed phase stops the restore,
 * and the result says what state the target is in and how to go on.
 */
import { CofreError, toErrorInfo, type ErrorInfo } from '../errors.js';
import type { AppContext } from '../app/context.js';
import { serverSpec } from '../app/servers.js';
import { configuredIdentities } from '../app/identity.js';
import type { RemoteHost } from '../remote/types.js';
import type { Storage } from '../storage/types.js';
import { formatBytes, formatDuration } from '../../shared/format.js';
import { said, type MessageRef } from '../../shared/i18n/catalog.js';
import { selectSet, latestSet, type SelectedSet } from './select.js';
import { planItems, targetOf, type TargetInfo } from './target.js';
import { checkReachable, describeProjection, runPreflightChecks } from './preflight.js';
import { dropForProduction, renameExisting, transferItem } from './transfer.js';
import { takeSafetyDumps, safetyDir } from './safety.js';
import { recordHashFailure } from '../backup/verify.js';
import type { ObjectFindings } from './preflight.js';
import { Spool } from '../files2/spool.js';
import { runTargetChecks, validateItems } from './validate.js';
import { catalogDetails, writeReport } from './report.js';
import { waitForTarget } from './target-busy.js';
import { asideStamp, moveAsideExisting, usesOriginalNames, type MovedAside } from './original-names.js';
import { checkTableRequest, narrowToTables, TableRefused } from './pg-table.js';
import { pathNotInSetError, replacedPaths } from './paths.js';
import { RPO_BUDGET_MS, RTO_BUDGET_MS, type CheckResult, type PhaseTiming, type Projection, type RestoreItem, type RestoreOptions, type RestorePhase, type RestoreResult, type ValidationResult } from './types.js';

/** Staging restores read the set whole in preflight up to this size, and stream above it; production always reads whole first. */
const AUTO_VERIFY_LIMIT = 2 * 1024 ** 3;

/** Production targets: `yes` and the target's name typed exactly; throws before anything happens. */
export function requireConfirmation(target: TargetInfo, opts: Pick<RestoreOptions, 'yes' | 'confirmName'>): void {
  if (target.config.kind !== 'production') return;
  if (opts.confirmName !== undefined && opts.confirmName !== target.name) {
    throw new CofreError('CONFIRMATION_REQUIRED', `the typed name "${opts.confirmName}" is not the production target's name: restore refused, nothing was touched`, {
      hint: `type the target's name exactly: ${target.name}`,
      ...said('restore.confirmMismatch', { target: target.name }),
    });
  }
  if (!opts.yes || opts.confirmName !== target.name) {
    throw new CofreError('CONFIRMATION_REQUIRED', `restoring into production target "${target.name}" overwrites its data (a safety dump is taken first)`, {
      hint: `confirm with --yes --confirm-name ${target.name}`,
      ...said('restore.confirmProduction', { target: target.name }),
    });
  }
}

class PhaseFailure extends CofreError {}

export async function runRestore(ctx: AppContext, opts: RestoreOptions): Promise<RestoreResult> {
  const config = ctx.config;
  const kind = opts.kind ?? 'restore';
  const target = targetOf(config, opts.target, ctx.env);
  try {
    if (opts.tables?.length) checkTableRequest(opts.tables, { production: target.config.kind === 'production', target: target.name, paths: Boolean(opts.paths?.length) });
    requireConfirmation(target, opts);
  } catch (err) {
    ctx.catalog.audit(ctx.actor, `${kind}.refused`, target.name, { reason: toErrorInfo(err).message });
    throw err;
  }
  const startedAt = ctx.now();
  const incident = opts.incidentStart ? new Date(opts.incidentStart) : startedAt;
  if (Number.isNaN(incident.getTime())) throw new CofreError('INVALID_ARGUMENT', `--incident-start ${opts.incidentStart} is not an ISO date and time`, { hint: 'e.g. 2026-03-01T08:15:00-03:00', ...said('restore.badInstant', { value: opts.incidentStart ?? '' }) });
  const catalog = ctx.catalog;
  const runId = catalog.startRun({ kind, target: target.name, trigger: opts.trigger ?? 'manual' });
  opts.onStart?.(runId);
  const restoreId = `${kind}-${runId}`;
  const log = (level: 'info' | 'warn' | 'error', line: string, ref?: Partial<MessageRef>): void => {
    catalog.logRun(runId, level, line, ref?.key ? { key: ref.key, ...(ref.params ? { params: ref.params } : {}) } : undefined);
    opts.onLog?.(line);
  };
  const elapsed = (): number => ctx.now().getTime() - incident.getTime();
  const phases: PhaseTiming[] = [];
  const preflight: CheckResult[] = [];
  const validation: ValidationResult[] = [];
  const warnings: string[] = [];
  const safetyDumps: string[] = [];
  const done: RestoreResult['items'] = [];
  let selected: SelectedSet | undefined;
  let projection: Projection | undefined;
  let items: RestoreItem[] = [];
  let host: RemoteHost | undefined;
  let storage: Storage | undefined;
  let spool: Spool | undefined;
  let error: ErrorInfo | undefined;
  let targetState: string | undefined;
  let touched = false;
  let bytes = 0;
  let transferMs = 0;
  let verifyRate: number | undefined;
  /** staging with `names: original`: what was moved aside, and its suffix */
  const movedAside: MovedAside[] = [];
  const stamp = asideStamp(startedAt);
  /** a stored object differs from the manifest's SHA-256: the set is marked in the catalog and the result warns */
  const hashFailed = (object: string, message: string, during: string): void => {
    if (!selected) return;
    const line = recordHashFailure(catalog, ctx.actor, { setId: selected.setId, storage: selected.storage, object, message, during });
    warnings.push(line);
    log('error', line);
  };

  const timed = async <T>(phase: RestorePhase, fn: () => Promise<T>): Promise<T> => {
    const t0 = ctx.now();
    log('info', `phase ${phase} started`, said('log.restore.phase', { phase }));
    try {
      const r = await fn();
      phases.push({ phase, startedAt: t0.toISOString(), durationMs: ctx.now().getTime() - t0.getTime(), ok: true });
      return r;
    } catch (err) {
      phases.push({ phase, startedAt: t0.toISOString(), durationMs: ctx.now().getTime() - t0.getTime(), ok: false });
      throw err;
    }
  };

  catalog.audit(ctx.actor, `${kind}.start`, target.name, { restoreId, setId: opts.setId, at: opts.at, sources: opts.sources });
  try {
    await waitForTarget(ctx, target.name, { exceptRun: runId, log: (l) => log('info', l, said('log.restore.waiting')), signal: opts.signal });
    selected = await timed('select', async () => {
      const s = kind === 'drill' && !opts.setId && !opts.at
        ? await latestSet(ctx, { storage: opts.storage })
        : await selectSet(ctx, { setId: opts.setId, at: opts.at, storage: opts.storage, acceptUnsigned: opts.acceptUnsigned });
      catalog.updateRun(runId, { setId: s.setId });
      for (const u of s.unreachable) {
        warnings.push(`storage ${u.storage} did not answer (${u.error.message}); the set was chosen among the others`);
        log('warn', `storage ${u.storage} did not answer: ${u.error.message}`);
      }
      if (s.unsigned) {
        warnings.push(`set ${s.setId} is unsigned (${s.unsigned}); restored on the user's explicit confirmation`);
        catalog.audit(ctx.actor, `${kind}.acceptUnsigned`, s.setId, { problem: s.unsigned, target: target.name });
      }
      log('info', `set ${s.setId} (created ${s.createdAt}) from storage ${s.storage} → target ${target.name} (${target.config.kind})`, said('log.restore.set', { setId: s.setId, storage: s.storage, target: target.name }));
      return s;
    });
    const set = selected;
    const plan = { sources: opts.sources, globals: opts.globals, kind: kind === 'drill' ? 'drill' as const : 'restore' as const, paths: opts.paths };
    if (opts.tables?.length) {
      const hasPg = set.manifest.sources.some((s) => s.type === 'postgres' && (!opts.sources || opts.sources.includes(s.name)));
      items = narrowToTables(set.manifest, hasPg ? planItems(set.manifest, target, { ...plan, tables: true }) : [], opts.tables);
    } else {
      items = planItems(set.manifest, target, plan);
    }
    for (const i of items) if (i.skip) warnings.push(`${i.source.name}.${i.object.part}: ${i.skip}`);
    const jobs = Math.max(1, opts.jobs ?? 1);

    await timed('preflight', async () => {
      // a format-2 index is read once: the preflight keeps what the transfer needs in a private spool
      if (items.some((i) => !i.skip && i.object.format === 'files-v2')) spool = await Spool.open('restore');
      storage = ctx.storage(set.storage);
      const storedTotal = items.reduce((a, i) => a + i.object.bytes, 0);
      // the target is reached while storage is read (the checks of each side wait for their own)
      const reaching = checkReachable(serverSpec(config, target.config.server, ctx.env));
      const checking = runPreflightChecks({
        host: reaching.then((r) => r.host), storage, target, items, jobs, catalog, elapsedMs: elapsed(), spool,
        verifyHashes: target.config.kind === 'production' || (opts.verifyHashes ?? storedTotal <= AUTO_VERIFY_LIMIT),
        existing: opts.existing ?? 'refuse',
        original: { config, env: ctx.env, stamp },
        identities: () => configuredIdentities(config, ctx.env, ctx.askSecret),
        onProgress: (p) => opts.onProgress?.({ ...p, elapsedMs: elapsed() }),
      });
      checking.catch(() => undefined); // awaited below, once the target answered
      const reach = await reaching;
      preflight.push(reach.check);
      if (!reach.host) {
        await checking.catch(() => undefined); // the storage side ends before its spool goes
        throw new PhaseFailure('PRECONDITION', `preflight failed: ${reach.check.message}`, { hint: 'nothing was done on the target; fix the connection (host, port, key, pinned host key) and run again', ...(reach.check.cause?.key ? said(reach.check.cause.key, reach.check.cause.params) : said('restore.preflightFailed')) });
      }
      host = reach.host;
      const checked = await checking;
      preflight.push(...checked.checks);
      projection = checked.projection;
      const f = checked.findings;
      if (f.readBytes > 0 && f.readMs > 0) verifyRate = Math.round((f.readBytes * 1000) / f.readMs);
      for (const c of checked.checks) if (!c.ok && /SHA-256 .* differs/.test(c.message)) hashFailed(c.name.replace(/^object /, ''), c.message, 'restore preflight');
      for (const c of preflight) log(c.ok ? 'info' : 'error', `preflight ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.message}`, c);
      const about = { projected: formatDuration(projection.projectedMs), bytes: formatBytes(projection.totalBytes) };
      log(projection.overBudget ? 'warn' : 'info', describeProjection(projection), said(projection.overBudget ? 'log.restore.projectionOver' : 'log.restore.projection', about));
      if (projection.overBudget) warnings.push(describeProjection(projection));
      const failed = preflight.filter((c) => !c.ok);
      const missing = [...checked.findings.missingPaths.values()].flat();
      if (failed.length > 0 && missing.length > 0 && failed.every((c) => c.key === 'restore2.pathsInSet')) throw pathNotInSetError(set.setId, missing);
      if (failed.length > 0) {
        throw new PhaseFailure('PRECONDITION', `preflight failed: ${failed.map((c) => `${c.name}: ${c.message}`).join('; ')}`, {
          hint: 'nothing was done on the target; fix what the failed checks say and run the restore again',
          ...said('restore.preflightFailed'),
        });
      }
      for (const item of items) {
        const prepared = f.prepared.get(item.object.key);
        if (prepared) item.prepared = prepared;
      }
      return { identities: checked.identities as string[], findings: checked.findings };
    }).then(async ({ identities, findings }: { identities: string[]; findings: ObjectFindings }) => {
      const h = host as RemoteHost;
      const st = storage as Storage;
      if (target.config.kind === 'production') {
        await timed('safety', async () => {
          const dir = safetyDir(ctx.now());
          // format 2 replaces the paths it restores (what is there now goes into the safety copy first)
          for (const item of items) if (!item.skip && item.object.format === 'files-v2') item.replace = replacedPaths(item, findings.fileRoots.get(item.object.key));
          safetyDumps.push(...(await takeSafetyDumps(h, target, items, findings.fileRoots, dir, (l) => log('info', l, said('log.restore.safety')))));
          touched = true;
          for (const item of items) if (!item.skip) await dropForProduction(item, { host: h, target });
        });
      } else if (usesOriginalNames(target)) {
        log('info', `production names on staging target ${target.name}: what exists is moved aside as <name>_antes_${stamp}`, said('staging.log.names', { target: target.name, stamp }));
        try {
          await moveAsideExisting(h, target, items, config, findings.fileRoots, stamp, (l, ref) => log('warn', l, ref), movedAside);
          if (movedAside.length) touched = true;
        } catch (err) {
          touched = true; // a copy may be half made: say what was moved
          throw err;
        } finally {
          for (const m of movedAside) warnings.push(`existing ${m.destination} moved aside to ${m.aside} (kept; drop it when no longer needed)`);
        }
      } else if (opts.existing === 'rename') {
        const stamp = ctx.now().toISOString().replace(/[-:T]/g, '').slice(0, 14);
        for (const item of items) {
          if (item.skip) continue;
          const aside = await renameExisting(item, { host: h, target }, stamp);
          if (aside) {
            touched = true;
            movedAside.push({ item: `${item.source.name}.${item.object.part}`, destination: item.destination, aside, kind: item.type === 'files' ? 'folder' : item.type });
            warnings.push(`existing ${item.destination} renamed to ${aside}`);
            log('warn', `existing ${item.destination} renamed to ${aside}`, said('log.restore.renamed', { destination: item.destination, aside }));
          }
        }
      }
      await timed('transfer', async () => {
        const t0 = ctx.now().getTime();
        for (const item of items) {
          const base = { source: item.source.name, part: item.object.part, type: item.type, destination: item.destination };
          if (item.skip) { done.push({ ...base, bytes: 0, durationMs: 0, skipped: item.skip }); continue; }
          const i0 = ctx.now().getTime();
          const touchedBefore = touched;
          touched = true;
          log('info', `restoring ${item.source.name}.${item.object.part} (${formatBytes(item.object.bytes)}) into ${item.destination}`,
            said('log.restore.item', { item: `${item.source.name}.${item.object.part}`, bytes: formatBytes(item.object.bytes), destination: item.destination }));
          try {
            await transferItem(item, {
              storage: st, host: h, target, identities, jobs, restoreId, signal: opts.signal,
              onProgress: (p) => opts.onProgress?.({ ...p, elapsedMs: elapsed() }),
            });
          } catch (err) {
            if (err instanceof TableRefused) touched = touchedBefore; // refused on the dump's TOC: nothing was created
            const e = toErrorInfo(err);
            if (e.code === 'INTEGRITY' && /SHA-256 .* differs/.test(e.message)) hashFailed(item.object.key.split('/').pop() ?? item.object.key, e.message, `${kind} transfer`);
            throw err;
          }
          for (const w of item.warnings ?? []) { warnings.push(w); log('warn', w); }
          for (const n of item.notes ?? []) log('info', n.line, n);
          bytes += item.object.bytes;
          done.push({ ...base, bytes: item.object.bytes, durationMs: ctx.now().getTime() - i0 });
        }
        transferMs = ctx.now().getTime() - t0;
      });
      await timed('validate', async () => {
        validation.push(...(await validateItems(h, target, items, config, findings.fileRoots)));
        // the target's checks test a whole database: not a single restored table
        if (!opts.tables?.length) validation.push(...(await runTargetChecks(h, target, items, target.config.checks)));
        const bad = validation.filter((v) => !v.ok);
        for (const v of validation) log(v.ok ? 'info' : 'error', `validate ${v.ok ? 'ok  ' : 'FAIL'} ${v.name}: expected ${v.expected}, found ${v.actual}`, v);
        if (bad.length > 0) {
          throw new PhaseFailure('INTEGRITY', `validation failed: ${bad.length} of ${validation.length} item(s) differ from the set (${bad.slice(0, 5).map((v) => v.name).join(', ')}${bad.length > 5 ? ', …' : ''})`, {
            hint: 'the data on the target does not match the backup: read the validation table in the report before using it',
            ...said('restore.validationFailed'),
          });
        }
      });
    });
  } catch (err) {
    error = toErrorInfo(err);
    log('error', error.message, error);
    targetState = describeTargetState(target, items, done, touched, safetyDumps, phases);
    if (movedAside.length) targetState += `. The copies that were there before are kept aside: ${movedAside.map((m) => `${m.destination} → ${m.aside}`).join(', ')}`;
  } finally {
    host?.close();
    storage?.close();
    await spool?.dispose().catch(() => undefined);
  }

  const finished = ctx.now();
  const setCreatedAt = selected?.createdAt ?? null;
  const rpoMs = setCreatedAt ? Math.max(0, startedAt.getTime() - Date.parse(setCreatedAt)) : null;
  const rtoMs = Math.max(0, finished.getTime() - incident.getTime());
  const result: RestoreResult = {
    restoreId, runId, kind, status: error ? 'failed' : 'succeeded', setId: selected?.setId ?? null, plan: selected?.manifest.plan ?? null,
    storage: selected?.storage ?? null, target: target.name, targetKind: target.config.kind, setCreatedAt,
    startedAt: startedAt.toISOString(), incidentStart: incident.toISOString(), finishedAt: finished.toISOString(),
    phases, preflight, ...(projection ? { projection } : {}), items: done, validation,
    rpoMs, rtoMs, rpoOk: rpoMs === null ? null : rpoMs <= RPO_BUDGET_MS, rtoOk: rtoMs <= RTO_BUDGET_MS, bytes,
    ...(transferMs > 0 && bytes > 0 ? { transferRate: Math.round((bytes * 1000) / transferMs) } : {}),
    ...(verifyRate ? { verifyRate } : {}),
    safetyDumps, ...(movedAside.length ? { movedAside } : {}), warnings, ...(error ? { error } : {}), ...(targetState ? { targetState } : {}),
  };
  const r0 = ctx.now();
  try {
    result.reportPath = writeReport(ctx.home, { ...result, phases: [...phases, { phase: 'report', startedAt: r0.toISOString(), durationMs: 0, ok: true }] }, config.console.timezone);
    phases.push({ phase: 'report', startedAt: r0.toISOString(), durationMs: ctx.now().getTime() - r0.getTime(), ok: true });
    // rewrite with the final phase list so the file and the catalog hold the same numbers
    result.phases = phases;
    writeReport(ctx.home, result, config.console.timezone);
  } catch (err) {
    warnings.push(`the report could not be written: ${toErrorInfo(err).message}`);
  }
  catalog.finishRun(runId, { status: result.status, bytes, ...(error ? { error } : {}), details: catalogDetails(result) });
  catalog.audit(ctx.actor, `${kind}.finish`, target.name, { restoreId, setId: result.setId, status: result.status, rtoMs, rpoMs, safetyDumps, ...(movedAside.length ? { movedAside } : {}) });
  log(error ? 'error' : 'info', `${kind} ${restoreId} ${result.status}; RTO ${rtoMs} ms, report ${result.reportPath ?? '(none)'}`,
    said(error ? 'log.restore.failed' : 'log.restore.succeeded', { restoreId, rto: formatDuration(rtoMs) }));
  return result;
}

function describeTargetState(target: TargetInfo, items: RestoreItem[], done: RestoreResult['items'], touched: boolean, safetyDumps: string[], phases: PhaseTiming[]): string {
  if (!touched) return 'untouched: nothing was written to the target; fix the problem and run the restore again';
  const complete = done.filter((d) => !d.skipped).map((d) => d.destination);
  const pending = items.filter((i) => !i.skip && !complete.includes(i.destination)).map((i) => i.destination);
  const validating = phases.some((p) => p.phase === 'validate');
  if (target.config.kind === 'production') {
    return `production target changed: restored ${complete.join(', ') || 'nothing'}${pending.length ? `; NOT restored (dropped or partial): ${pending.join(', ')}` : ''}. ` +
      `The previous data is in the safety dumps ${safetyDumps.join(', ') || '(none: nothing existed)'}; run the restore again (it repeats the safety dump and replaces the databases), or load the safety dumps with pg_restore / mysql / tar -x to go back`;
  }
  if (validating) return `restored into ${complete.join(', ')} on staging, but validation found differences; the data stays there for inspection (drop it when done)`;
  return `staging target partially restored: complete ${complete.join(', ') || 'none'}; incomplete: ${pending.join(', ') || 'none'}. Drop the incomplete database(s)/folder(s) (or pass --rename-existing) and run the restore again`;
}

export { RTO_BUDGET_MS };
