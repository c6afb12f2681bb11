/**
 * `cofre repack [--storage NAME] [--threshold 0.5] [--dry-run]`: rewrites mostly-dead format-2
 * packs (files2/repack.ts), storage by storage; a storage that refuses (a doubtful set, a running
 * backup, a listing that fails) changes nothing there and makes the exit code 1.
 * `--json`: `{ dryRun, threshold, storages: [{ storage, packsExamined, repacked, bytesBefore, bytesAfter, setsRewritten, … } | { storage, error }] }`.
 */
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { CofreError, toErrorInfo, type ErrorInfo } from '../../errors.js';
import { DEFAULT_REPACK_THRESHOLD, repackStorage, type RepackResult } from '../../files2/repack.js';
import { formatBytes } from '../../../shared/format.js';
import { progressLine } from './backup.js';

export interface RepackCliOptions {
  storage?: string;
  threshold?: string;
  dryRun?: boolean;
}

export async function repackCommand(ctx: AppContext, out: Output, opts: RepackCliOptions): Promise<number> {
  const threshold = opts.threshold === undefined ? DEFAULT_REPACK_THRESHOLD : Number(opts.threshold);
  if (opts.threshold !== undefined && (!/^\s*(0(\.\d+)?|1(\.0*)?|\.\d+)\s*$/.test(opts.threshold) || !(threshold > 0 && threshold <= 1))) {
    throw new CofreError('INVALID_ARGUMENT', `--threshold "${opts.threshold}" is not a fraction between 0 and 1`, { hint: 'e.g. --threshold 0.5 rewrites packs less than half of whose bytes are still used' });
  }
  if (opts.storage !== undefined && !ctx.config.storage[opts.storage]) {
    throw new CofreError('INVALID_ARGUMENT', `"${opts.storage}" is not a storage in the config`, { hint: `storages: ${Object.keys(ctx.config.storage).join(', ')}` });
  }
  const names = opts.storage ? [opts.storage] : Object.keys(ctx.config.storage);
  const results: RepackResult[] = [];
  const errors: Array<{ storage: string; error: ErrorInfo }> = [];
  for (const storage of names) {
    try {
      results.push(await repackStorage(ctx, {
        storage, threshold, dryRun: Boolean(opts.dryRun),
        onProgress: (p) => out.progress(progressLine(p)),
        onLog: (l) => out.log(l),
        ...haltHook(ctx.env),
      }));
      out.endProgress();
    } catch (err) {
      out.endProgress();
      errors.push({ storage, error: toErrorInfo(err) });
    }
  }
  for (const e of errors) out.log(`repack ${e.storage} STOPPED: ${e.error.message}${e.error.hint ? `\n  → ${e.error.hint}` : ''}`);
  const dry = Boolean(opts.dryRun);
  out.result({ dryRun: dry, threshold, storages: [...results, ...errors.map((e) => ({ storage: e.storage, error: e.error }))] }, () =>
    [
      ...results.map((r) => [
        `${r.storage}: ${r.packsExamined} pack(s) examined; ${dry ? 'would repack' : 'repacked'} ${r.repacked.length} (${formatBytes(r.bytesBefore)} stored, ${formatBytes(r.liveBytes)} still used)` +
          (dry ? '' : ` into ${r.newPacks.length} new pack(s) of ${formatBytes(r.bytesAfter)}`),
        `  sets ${dry ? 'to rewrite' : 'rewritten'}: ${r.setsRewritten.length ? r.setsRewritten.join(', ') : 'none'}`,
        ...(r.unsignedSets.length ? [`  unsigned sets left as they are (their packs stay): ${r.unsignedSets.join(', ')}`] : []),
        ...(r.settled.length ? [`  finished what a stopped repack left on: ${r.settled.join(', ')}`] : []),
        ...(!dry && r.repacked.length ? ['  the old packs go at a later `cofre prune` (garbage collection waits past the longest backup lease)'] : []),
        ...r.warnings.map((w) => `  warning: ${w}`),
      ].join('\n')),
      ...errors.map((e) => `${e.storage}: STOPPED, nothing changed: ${e.error.message}`),
    ].join('\n'));
  return errors.length > 0 ? 1 : 0;
}

/**
 * Crash tests only: `COFRE_TEST_REPACK_HALT_AT=<step prefix>` (e.g. `manifest:`) makes the run
 * stop forever at the first write step that starts so, after saying so on stderr, for the test to
 * SIGKILL it there. Steps: `packs`, `index:<set>`, `sig-next:<set>`, `manifest:<set>`, `done:<set>`.
 */
function haltHook(env: NodeJS.ProcessEnv): { onStep?: (step: string) => Promise<void> } {
  const at = env['COFRE_TEST_REPACK_HALT_AT'];
  if (!at) return {};
  return {
    onStep: async (step) => {
      if (!step.startsWith(at)) return;
      process.stderr.write(`repack halted at ${step}\n`);
      await new Promise<never>(() => { setInterval(() => undefined, 60_000); }); // a timer keeps the process alive
    },
  };
}
