/** `cofre forget <setId> --yes [--storage NAME] [--force]`: deletes one set on purpose (audited). */
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { forgetSet } from '../../retention/forget.js';
import { unreachableLines } from '../../backup/storage-sets.js';

export async function forgetCommand(ctx: AppContext, out: Output, o: { yes?: boolean; force?: boolean; storage?: string }, setId: string): Promise<number> {
  const r = await forgetSet(ctx, setId, o);
  for (const line of unreachableLines(r.unreachable)) out.log(line);
  out.result(r, () => `Set ${r.setId} (${r.state}, plan ${r.plan ?? '?'}) deleted from storage ${r.storage}.`);
  return 0;
}
