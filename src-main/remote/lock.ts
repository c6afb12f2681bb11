/**
 * A lock on the server itself, so two Cofre runs (two workstations, a daemon and a CLI) never
 * dump the same server at once. It is `flock -n` on `${TMPDIR:-/tmp}/cofre-<name>.lock`,
 * held by a remote command that waits on its stdin: closing stdin (or losing the connection,
 * which makes sshd end the session) releases it, so a crashed run never leaves it stuck.
 */
import { PassThrough } from 'node:stream';
import { CofreError } from '../errors.js';
import type { RemoteHost } from './types.js';

/** flock's exit code when the lock is held elsewhere (EX_TEMPFAIL). */
const BUSY_CODE = 75;
const LOCKED_MARK = 'cofre-locked';

export function lockFileExpression(name: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw new CofreError('INVALID_ARGUMENT', `"${name}" is not a valid lock name (letters, digits, . _ - only)`);
  }
  return `"\${TMPDIR:-/tmp}/cofre-${name}.lock"`;
}

/**
 * Runs `fn` while holding the server-side lock `name` on `host`. Throws REMOTE_BUSY when
 * another run holds it. `fn` receives a signal that aborts if the lock is lost mid-way
 * (connection dropped), so long work can stop early.
 */
export async function withRemoteLock<T>(
  host: RemoteHost,
  name: string,
  fn: (signal: AbortSignal) => Promise<T>,
  opts: { waitSeconds?: number } = {},
): Promise<T> {
  const file = lockFileExpression(name);
  const stdin = new PassThrough();
  // -w: wait that long for another run of this server to finish before giving up (0 = fail at once)
  const wait = opts.waitSeconds && opts.waitSeconds > 0 ? `-w ${Math.ceil(opts.waitSeconds)}` : '-n';
  const proc = host.exec(`exec flock ${wait} -E ${BUSY_CODE} ${file} -c 'echo ${LOCKED_MARK}; exec cat >/dev/null'`, {
    stdin,
    label: 'flock',
    okCodes: [0, BUSY_CODE],
  });

  // Wait for the mark on stdout, or for the command to end (busy / failure).
  const acquired = await new Promise<boolean>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8');
      if (seen.includes(LOCKED_MARK)) {
        proc.stdout.off('data', onData);
        resolve(true);
      }
    };
    proc.stdout.on('data', onData);
    proc.done.then(
      () => resolve(false),
      (err: unknown) => reject(err),
    );
  });

  if (!acquired) {
    const result = await proc.done;
    if (result.code === BUSY_CODE) {
      const waited = opts.waitSeconds ? ` (waited ${Math.ceil(opts.waitSeconds)} s)` : '';
      throw new CofreError('REMOTE_BUSY', `another Cofre run holds the lock "${name}" on ${host.name} (${host.host}:${host.port})${waited}`, {
        hint: 'wait for the other backup or restore of this server to finish, then run again',
      });
    }
    const why = result.code === 127 ? 'flock is not installed (it is in util-linux)' : `flock exited with code ${result.code ?? result.signal}: ${result.stderr.trim()}`;
    throw new CofreError('REMOTE_COMMAND_FAILED', `could not take the lock "${name}" on ${host.name}: ${why}`, {
      hint: 'install util-linux on the server, and check that ${TMPDIR:-/tmp} is writable by the SSH user',
    });
  }

  proc.stdout.resume();
  const lost = new AbortController();
  const watch = proc.done.then(
    () => undefined,
    () => undefined,
  );
  void watch.then(() => {
    if (!released) {
      lost.abort(new CofreError('HOST_UNREACHABLE', `the lock "${name}" on ${host.name} was lost (the SSH connection ended)`));
    }
  });
  let released = false;
  try {
    return await fn(lost.signal);
  } finally {
    released = true;
    stdin.end();
    await watch;
  }
}
