/**
 * A lock on the server itself, so two Cofre runs (two workstations, a daemon and a CLI) never
 * dump the same server at once. It is `flock -n` on `<dir>/<name>.lock`, held by a remote
 * command that waits on its stdin: closing stdin (or losing the connection, which makes sshd
 * end the session) releases it, so a crashed run never leaves it stuck.
 *
 * `<dir>` is private to the SSH user: `$HOME/.cache/cofre` (or, where the home folder is not
 * writable, `$XDG_RUNTIME_DIR/cofre`), mode 0700, owned by the user and not a symlink. A lock
 * in a shared folder such as /tmp has a name other users can pre-create (a file they own, a
 * symlink) to block every backup or to make the lock follow their link. Runs by the same user
 * still exclude each other; runs of different SSH users on one server do not (each user has
 * their own backups and permissions).
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { shq } from './shell.js';
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { RemoteHost } from './types.js';

/** flock's exit code when the lock is held elsewhere (EX_TEMPFAIL). */
const BUSY_CODE = 75;
/** the private lock folder could not be made or is not safe */
const NO_DIR_CODE = 76;

/**
 * Shell code that sets `d` to the user's private lock folder, or exits NO_DIR_CODE. A folder
 * that exists but is a symlink or someone else's is refused, never chmod-ed or followed.
 */
export const LOCK_DIR_SCRIPT = [
  'umask 077',
  'for d in "${HOME:+$HOME/.cache/cofre}" "${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/cofre}"; do',
  '  [ -n "$d" ] && mkdir -p -- "$d" 2>/dev/null && [ -d "$d" ] && [ ! -L "$d" ] && [ -O "$d" ] && chmod 700 -- "$d" && break',
  '  d=',
  'done',
  `[ -n "$d" ] || { echo "no private folder for the lock ($HOME/.cache/cofre must be a folder owned by $(id -un), not a symlink)" >&2; exit ${NO_DIR_CODE}; }`,
].join('\n');
const LOCKED_MARK = 'cofre-locked';

export interface RemoteLockOptions {
  /** how long to wait for another holder to release the lock; 0 or absent = fail at once */
  waitSeconds?: number;
  /**
   * A POSIX shell script run on the server right after the lock is taken, in the same SSH
   * channel (a channel costs a round trip plus the login shell's start-up): e.g. the tool
   * probes of every source. Its stdout (stderr stays apart) reaches `fn` as its second
   * argument; its exit status is ignored, so the script reports failures in its output.
   * It gets no stdin.
   */
  prelude?: string;
  /** environment for the prelude (passwords), sent inside the channel, never on a command line */
  env?: Record<string, string>;
  /**
   * false: return as soon as the release is sent, without waiting for the server to confirm
   * it (a round trip). For callers that close the connection right after, which releases the
   * lock on the server as well; the default waits, so the lock is free when this returns.
   */
  awaitRelease?: boolean;
}

/** `"$d/<name>.lock"`, for use after LOCK_DIR_SCRIPT. */
export function lockFileExpression(name: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw new CofreError('INVALID_ARGUMENT', `"${name}" is not a valid lock name (letters, digits, . _ - only)`);
  }
  return `"$d/${name}.lock"`;
}

/**
 * Runs `fn` while holding the server-side lock `name` on `host`. Throws REMOTE_BUSY when
 * another run holds it. `fn` receives a signal that aborts if the lock is lost mid-way
 * (connection dropped), so long work can stop early.
 */
export async function withRemoteLock<T>(
  host: RemoteHost,
  name: string,
  fn: (signal: AbortSignal, preludeOutput: string) => Promise<T>,
  opts: RemoteLockOptions = {},
): Promise<T> {
  const file = lockFileExpression(name);
  const stdin = new PassThrough();
  // -w: wait that long for another run of this server to finish before giving up (0 = fail at once)
  const wait = opts.waitSeconds && opts.waitSeconds > 0 ? `-w ${Math.ceil(opts.waitSeconds)}` : '-n';
  // With a prelude, the mark carries a random token, so nothing the prelude prints can fake it.
  const mark = opts.prelude === undefined ? LOCKED_MARK : `${LOCKED_MARK}-${randomBytes(8).toString('hex')}`;
  const inner = opts.prelude === undefined
    ? `echo ${mark}; exec cat >/dev/null`
    : `{\n${opts.prelude}\n} </dev/null; echo; echo ${mark}; exec cat >/dev/null`;
  const proc = host.exec(`${LOCK_DIR_SCRIPT}\nexec flock ${wait} -E ${BUSY_CODE} ${file} -c ${shq(inner)}`, {
    stdin,
    label: 'flock',
    okCodes: [0, BUSY_CODE, NO_DIR_CODE],
    ...(opts.env && Object.keys(opts.env).length > 0 ? { env: opts.env } : {}),
  });

  // Wait for the mark on stdout, or for the command to end (busy / failure).
  let preludeOutput = '';
  const acquired = await new Promise<boolean>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8');
      const at = seen.indexOf(mark);
      if (at >= 0) {
        // the prelude's output, without the newline echoed before the mark
        preludeOutput = seen.slice(0, Math.max(0, at - 1));
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
        ...said('ssh.lockBusy', { server: host.name }),
        hint: 'wait for the other backup or restore of this server to finish, then run again',
      });
    }
    if (result.code === NO_DIR_CODE) {
      throw new CofreError('REMOTE_COMMAND_FAILED', `could not take the lock "${name}" on ${host.name}: ${result.stderr.trim()}`, {
        hint: 'give the SSH user a writable home folder; remove ~/.cache/cofre on the server if it is a symlink or belongs to another user',
      });
    }
    const why = result.code === 127 ? 'flock is not installed (it is in util-linux)' : `flock exited with code ${result.code ?? result.signal}: ${result.stderr.trim()}`;
    throw new CofreError('REMOTE_COMMAND_FAILED', `could not take the lock "${name}" on ${host.name}: ${why}`, {
      ...said('ssh.lockFailed', { server: host.name }),
      hint: 'install util-linux on the server',
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
    return await fn(lost.signal, preludeOutput);
  } finally {
    released = true;
    stdin.end();
    if (opts.awaitRelease !== false) await watch;
  }
}
