/**
 * `cofre kept [--target T]`: the copies restores kept of what they replaced (safety folders,
 * `_antes_` / `_old_` databases and folders), each looked up on its target.
 * `cofre kept remove <name> [--target T] --yes [--force]`: removes one (audited; the newest copy of
 * what it replaced only with --force). See restore/kept-copies.ts.
 */
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { listKeptCopies, removeKeptCopy, type KeptCopy } from '../../restore/kept-copies.js';
import { formatBytes } from '../../../shared/format.js';

function line(c: KeptCopy, tz: string): string {
  const when = new Date(c.madeAt).toLocaleString('pt-BR', { timeZone: tz, dateStyle: 'short', timeStyle: 'short' });
  const state = !c.exists ? 'removed' : c.newest ? 'newest' : 'old';
  const size = c.bytes === undefined ? (c.exists ? '?' : '-') : formatBytes(c.bytes);
  return `${c.target}\t${c.kind}\t${c.name}\t${size}\t${when}\tof ${c.of}\t${state}`;
}

export async function keptCommand(ctx: AppContext, out: Output, o: { target?: string; all?: boolean }): Promise<number> {
  const copies = await listKeptCopies(ctx, { target: o.target });
  const shown = o.all ? copies : copies.filter((c) => c.exists);
  out.result(shown, () => shown.length === 0
    ? 'No kept copies (safety folders, _antes_ or _old_ copies) recorded by restores on this workstation.'
    : ['target\tkind\tname\tsize\tmade\tcopy of\tstate', ...shown.map((c) => line(c, ctx.config.console.timezone)),
      '', 'Remove one with: cofre kept remove <name> --target <target> --yes (the newest copy of each original needs --force).'].join('\n'));
  return 0;
}

export async function keptRemoveCommand(ctx: AppContext, out: Output, o: { target?: string; yes?: boolean; force?: boolean }, name: string): Promise<number> {
  const r = await removeKeptCopy(ctx, name, o);
  out.result(r, () => `Removed ${r.removed.kind === 'safety' || r.removed.kind === 'folder' ? 'folder' : `${r.removed.kind} database`} ${r.removed.name} from target ${r.removed.target}${r.removed.bytes !== undefined ? ` (${formatBytes(r.removed.bytes)})` : ''}.`);
  return 0;
}
