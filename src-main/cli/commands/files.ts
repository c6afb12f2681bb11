/** `cofre files <setId>`: the file entries a set holds (format 2 decrypts only the index). */
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { configuredIdentities } from '../../app/identity.js';
import { findSet } from '../../backup/verify.js';
import { setAuthenticator } from '../../app/signing.js';
import { listSetFiles } from '../../files2/entries.js';
import { CofreError } from '../../errors.js';
import { formatBytes, formatDateTime } from '../../../shared/format.js';

export async function filesCommand(ctx: AppContext, out: Output, opts: { path?: string; storage?: string }, setId: string): Promise<number> {
  const names = opts.storage ? [opts.storage] : Object.keys(ctx.config.storage);
  let lastError: unknown;
  for (const name of names) {
    const storage = ctx.storage(name);
    try {
      const { manifest } = await findSet(storage, setId, setAuthenticator(ctx.config, ctx.now));
      const entries = await listSetFiles(storage, manifest, await configuredIdentities(ctx.config, ctx.env), opts.path);
      ctx.catalog.audit(ctx.actor, 'set.files', setId, { storage: name, entries: entries.length });
      out.result(entries, () => entries.map((e) => `${e.mode} ${e.type.padEnd(8)} ${formatBytes(e.size).padStart(10)} ${formatDateTime(e.mtime, ctx.config.console.timezone)}  ${e.path}`).join('\n'));
      return 0;
    } catch (err) {
      if (!(err instanceof CofreError && err.code === 'SET_NOT_FOUND')) throw err;
      lastError = err;
    } finally {
      storage.close();
    }
  }
  throw lastError ?? new CofreError('SET_NOT_FOUND', `no set ${setId}`, { hint: 'run `cofre sets` to list the restore points' });
}
