/**
 * Temp folders on a server: always `mktemp -d` (mode 0700, a random name made by the server
 * with O_EXCL semantics), never a predictable name made with `mkdir -p` and then chmod-ed —
 * another user of the server could pre-create that name (a folder they own, a symlink) and
 * read the plaintext dumps written into it.
 */
import { CofreError } from '../errors.js';
import { shq } from './shell.js';
import type { RemoteHost } from './types.js';

/** Makes `<prefix>-XXXXXX` on the server with `mktemp -d` and returns its path. */
export async function makeRemoteTempDir(host: RemoteHost, prefix: string): Promise<string> {
  const r = await host.runChecked(`mktemp -d ${shq(`${prefix}-XXXXXX`)}`, { label: 'mktemp' });
  const dir = r.stdout.trim();
  if (!dir.startsWith(`${prefix}-`) || dir.includes('\n')) {
    throw new CofreError('REMOTE_COMMAND_FAILED', `mktemp on ${host.name} answered "${dir}" instead of a folder under ${prefix}-…`, { hint: 'check mktemp (coreutils) on the server' });
  }
  return dir;
}

/** A database or source name as one safe file name: no `/`, no leading `.`, no shell-awkward bytes. */
export function safeFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return safe.length > 0 ? safe.slice(0, 200) : '_';
}
