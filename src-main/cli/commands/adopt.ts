/** `cofre adopt [setId…]`: deep-verifies sets made before signing and signs those that pass. */
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { adoptSets } from '../../backup/adopt.js';
import { progressLine } from './backup.js';

export async function adoptCommand(ctx: AppContext, out: Output, o: { storage?: string; dryRun?: boolean }, setIds: string[]): Promise<number> {
  const r = await adoptSets(ctx, {
    storage: o.storage, ...(setIds.length ? { setIds } : {}), dryRun: Boolean(o.dryRun),
    onProgress: (p) => out.progress(progressLine(p)), onLog: (l) => out.log(l),
  });
  out.endProgress();
  out.result(r, () => {
    const lines = r.sets.map((s) => `${s.outcome.toUpperCase().padEnd(8)} ${s.storage}/${s.setId} (${s.format}): ${s.reason}`);
    for (const u of r.unreachable) lines.push(`UNREACHABLE storage ${u.storage}: ${u.error}`);
    if (r.sets.length === 0 && r.unreachable.length === 0) lines.push('No set needs adopting: every set is signed.');
    return lines.join('\n');
  });
  return r.unreachable.length > 0 || r.sets.some((s) => s.outcome === 'refused') ? 1 : 0;
}
