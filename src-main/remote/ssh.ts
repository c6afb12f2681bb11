/**
 * SSH connections to the servers Cofre backs up, on the `ssh2` package: key login
 * (passphrase-protected keys too), a pinned SHA-256 host key, keepalives, and errors that
 * say what to do. See exec.ts for running commands and lock.ts for the server-side lock.
 */
import { readFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import { describeConnectError } from './errors.js';
import { checkRunResult, collectRun, startExec } from './exec.js';
import { keyAlgorithm, normalizeFingerprint, sha256Fingerprint } from './fingerprint.js';
import type { ConnectOptions, ExecOptions, RemoteHost, RemoteProcess, RunOptions, RunResult, SshServerSpec } from './types.js';

export { fetchHostKeyFingerprint, sha256Fingerprint, normalizeFingerprint } from './fingerprint.js';
export type { HostKeyInfo } from './fingerprint.js';
export { shq, shJoin } from './shell.js';
export type * from './types.js';

/** Reads and parses the private key, so a bad file or passphrase fails before any network traffic. */
async function loadPrivateKey(server: SshServerSpec, passphrase: string | undefined): Promise<Buffer> {
  const where = `servers.${server.name}.privateKeyFile`;
  let key: Buffer;
  try {
    key = await readFile(server.privateKeyFile);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'the file does not exist' : code === 'EACCES' ? 'permission denied' : `${code ?? 'read error'}`;
    throw new CofreError('KEY_UNREADABLE', `${where}: cannot read ${server.privateKeyFile} (${why})`, {
      ...said('ssh.keyUnreadable', { server: server.name, file: server.privateKeyFile }),
      hint: 'check the path and that the user running Cofre can read it (ssh-keygen -t ed25519 creates a key)',
      cause: err,
    });
  }
  const parsed = ssh2.utils.parseKey(key, passphrase);
  if (parsed instanceof Error) {
    const message = parsed.message;
    if (/no passphrase given/i.test(message)) {
      throw new CofreError('KEY_UNREADABLE', `${where}: ${server.privateKeyFile} is protected by a passphrase, and none was given`, {
        ...said('ssh.keyPassphrase', { server: server.name, file: server.privateKeyFile }),
        hint: `set servers.${server.name}.privateKeyPassphraseEnv to the name of an environment variable holding the passphrase`,
      });
    }
    if (/passphrase|decrypt|integrity/i.test(message)) {
      throw new CofreError('KEY_UNREADABLE', `${where}: the passphrase for ${server.privateKeyFile} is wrong (the key could not be decrypted)`, {
        ...said('ssh.keyPassphrase', { server: server.name, file: server.privateKeyFile }),
        hint: `check the value of the variable named by servers.${server.name}.privateKeyPassphraseEnv`,
      });
    }
    throw new CofreError('KEY_UNREADABLE', `${where}: ${server.privateKeyFile} is not a private key Cofre can use (${message})`, {
      ...said('ssh.keyFormat', { server: server.name, file: server.privateKeyFile }),
      hint: 'use an OpenSSH private key (ed25519, ECDSA or RSA); `ssh-keygen -t ed25519` creates one',
    });
  }
  return key;
}

type HostKeyProblem = { kind: 'mismatch' | 'unpinned'; seen: string; algorithm: string };

function hostKeyError(server: SshServerSpec, label: string, problem: HostKeyProblem): CofreError {
  if (problem.kind === 'unpinned') {
    return new CofreError('HOST_KEY_UNPINNED', `the host key of ${label} is not pinned; the server presents ${problem.algorithm} ${problem.seen}`, {
      ...said('ssh.hostKeyUnpinned', { server: server.name }),
      hint: `run \`cofre trust ${server.name}\` and compare the fingerprint with the one shown on the server's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)`,
    });
  }
  return new CofreError(
    'HOST_KEY_MISMATCH',
    `HOST KEY MISMATCH for ${label}: the server presents ${problem.algorithm} ${problem.seen}, but ${normalizeFingerprint(server.hostKey ?? '')} is pinned. Nothing was sent to it.`,
    {
      ...said('ssh.hostKeyMismatch', { server: server.name }),
      hint: `someone may be intercepting the connection, or the server was reinstalled. Check the fingerprint on the server's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub); only if the change is expected, run \`cofre trust ${server.name} --replace\``,
    },
  );
}

/** Opens an authenticated SSH connection to a server whose host key matches the pin. */
export async function connect(server: SshServerSpec, options: ConnectOptions = {}): Promise<RemoteHost> {
  const label = `${server.name} (${server.host}:${server.port})`;
  const passphrase = options.privateKeyPassphrase ?? server.privateKeyPassphrase;
  const privateKey = await loadPrivateKey(server, passphrase);
  const pinned = server.hostKey?.trim() ? normalizeFingerprint(server.hostKey) : undefined;

  const client = new ssh2.Client();
  let problem: HostKeyProblem | undefined;
  let seenFingerprint = '';
  let connectionError: CofreError | undefined;
  let ready = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const ctx = { label, host: server.host, port: server.port, user: server.user, keyFile: server.privateKeyFile };

  await new Promise<void>((resolve, reject) => {
    client.on('ready', () => {
      ready = true;
      resolve();
    });
    client.on('error', (err) => {
      const mapped = problem ? hostKeyError(server, label, problem) : describeConnectError(err, ctx);
      if (ready) {
        connectionError ??= new CofreError('HOST_UNREACHABLE', `lost the SSH connection to ${label}: ${err.message}`, {
          ...said('ssh.lost', { server: label }),
          hint: 'check the network and the server, then run again',
          cause: err,
        });
      } else {
        reject(mapped);
      }
    });
    client.on('close', () => {
      if (!ready) {
        reject(problem ? hostKeyError(server, label, problem) : new CofreError('HOST_UNREACHABLE', `${label} closed the connection during the SSH handshake`, {
          ...said('ssh.unreachable', { server: label, host: server.host, port: server.port }),
          hint: 'check that this address and port is an SSH server and that it accepts this client (MaxStartups, firewall, fail2ban)',
        }));
      }
      connectionError ??= new CofreError('HOST_UNREACHABLE', `the SSH connection to ${label} was closed`, {
        ...said('ssh.lost', { server: label }),
        hint: 'check the network and the server, then run again',
      });
      resolveClosed();
    });
    client.connect({
      host: server.host,
      port: server.port,
      username: server.user,
      privateKey,
      ...(passphrase === undefined ? {} : { passphrase }),
      readyTimeout: options.readyTimeoutMs ?? 20_000,
      keepaliveInterval: options.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 4,
      tryKeyboard: false,
      hostVerifier: (key: Buffer): boolean => {
        const seen = sha256Fingerprint(key);
        seenFingerprint = seen;
        if (pinned === undefined) {
          if (options.allowUnpinned) return true;
          problem = { kind: 'unpinned', seen, algorithm: keyAlgorithm(key) };
          return false;
        }
        if (seen !== pinned) {
          problem = { kind: 'mismatch', seen, algorithm: keyAlgorithm(key) };
          return false;
        }
        return true;
      },
    });
  }).catch((err: unknown) => {
    client.end();
    throw err;
  });

  return new SshRemoteHost(server, label, client, seenFingerprint, () => connectionError, closed);
}

class SshRemoteHost implements RemoteHost {
  private open = true;

  constructor(
    private readonly server: SshServerSpec,
    private readonly label: string,
    private readonly client: InstanceType<typeof ssh2.Client>,
    readonly hostKeyFingerprint: string,
    private readonly connectionError: () => CofreError | undefined,
    readonly closed: Promise<void>,
  ) {
    void closed.then(() => {
      this.open = false;
    });
  }

  get name(): string {
    return this.server.name;
  }
  get host(): string {
    return this.server.host;
  }
  get port(): number {
    return this.server.port;
  }
  get user(): string {
    return this.server.user;
  }
  get connected(): boolean {
    return this.open;
  }

  exec(command: string, opts: ExecOptions = {}): RemoteProcess {
    return startExec({ client: this.client, label: this.label, connectionError: this.connectionError }, command, opts);
  }

  run(command: string, opts: RunOptions = {}): Promise<RunResult> {
    return collectRun(this, this.label, command, opts);
  }

  async runChecked(command: string, opts: RunOptions = {}): Promise<RunResult> {
    return checkRunResult(await this.run(command, opts), this.label, this.server.user, command, opts);
  }

  close(): void {
    this.open = false;
    this.client.end();
  }
}
