/**
 * Restaurar → *Cópias guardadas*: the copies restores kept of what they replaced, listed and
 * removed by the engine's own functions (src-main/restore/kept-copies.ts, as `cofre kept`). Each
 * target is looked at on its own, so one that does not answer is named and never hides the others.
 */
import { toErrorInfo } from '../../errors.js';
import { listKeptCopies, removeKeptCopy, type KeptCopy as EngineKeptCopy } from '../../restore/kept-copies.js';
import type { EngineServices } from '../services.js';
import type { KeptCopy, KeptList } from '../../../shared/rpc/contracts/kept.js';
import type { Runtime } from './runtime.js';

/** The engine's record as the console's contract has it (run ids are strings there, absent values left out). */
export function toKeptCopy(c: EngineKeptCopy): KeptCopy {
  return {
    target: c.target, name: c.name, kind: c.kind, of: c.of, madeAt: c.madeAt, runId: String(c.runId),
    ...(c.setId ? { setId: c.setId } : {}), exists: c.exists, ...(c.bytes !== undefined && Number.isFinite(c.bytes) ? { bytes: c.bytes } : {}), newest: c.newest,
  };
}

export function keptServices(rt: Runtime): Pick<EngineServices, 'kept'> {
  const { ctx } = rt;
  return {
    kept: {
      async list(): Promise<KeptList> {
        const config = rt.config();
        const copies: KeptCopy[] = [];
        const unreachable: KeptList['unreachable'] = [];
        for (const target of Object.keys(config.restoreTargets)) {
          try {
            copies.push(...(await listKeptCopies(ctx, { target })).map(toKeptCopy));
          } catch (err) {
            unreachable.push({ target, error: toErrorInfo(err) });
          }
        }
        copies.sort((a, b) => b.madeAt.localeCompare(a.madeAt) || Number(b.runId) - Number(a.runId));
        return { copies, unreachable };
      },
      async remove({ target, name, force }, call) {
        rt.config();
        const r = await removeKeptCopy(ctx, name, { target, force, yes: true, actor: call.actor });
        return { removed: toKeptCopy(r.removed) };
      },
    },
  };
}
