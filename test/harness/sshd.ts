/**
 * A real OpenSSH server for tests, playing the clinic server: `/usr/sbin/sshd -D -f <config>`
 * on 127.0.0.1 with its own ed25519 host key, key-only login for the current user, and
 * generated client keys (one plain, one passphrase-protected, optionally an RSA one).
 * Commands run through it find the Debian tools (pg_dump, psql, mysqldump, mysql, tar, flock).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  logTail,
  removeDir,
  run,
  runChecked,
  stopProcess,
  tempDir,
  waitForPort,
  withRetries,
} from './util.js';
import type { RunResult } from './util.js';

const SSHD = '/usr/sbin/sshd';

/** Plain-data connection info (what the vitest global setup hands to tests). */
export interface SshServerInfo {
  host: string;
  port: number;
  user: string;
  /** ed25519 client key without passphrase */
  privateKeyPath: string;
  /** ed25519 client key protected by `passphrase` */
  encryptedKeyPath: string;
  passphrase: string;
  /** RSA client key without passphrase, when asked for with `rsaKey: true` */
  rsaKeyPath?: string;
  /** the host key's fingerprint as OpenSSH prints it: `SHA256:<base64 without padding>` */
  hostKeyFingerprint: string;
  /** the host's public key line, e.g. `ssh-ed25519 AAAA…` */
  hostPublicKey: string;
  /** a known_hosts file that pins the host key, for the system `ssh` client */
  knownHostsPath: string;
  /** the temp folder holding config, keys and logs */
  dir: string;
  logPath: string;
}

export interface SshServerHandle extends SshServerInfo {
  /** sshd's master process id */
  pid: number;
  /** Runs a shell command on the server through the system `ssh` client (for test setup). */
  exec(command: string, input?: string | Buffer): Promise<RunResult>;
  /** Stops sshd (and its sessions) and removes the temp folder. */
  stop(): Promise<void>;
}

export interface StartSshdOptions {
  /** also generate an RSA (3072-bit) client key; default false */
  rsaKey?: boolean;
  /** extra sshd_config lines */
  extraConfig?: string[];
}

async function generateKey(path: string, type: 'ed25519' | 'rsa', passphrase = ''): Promise<void> {
  const args = ['-q', '-t', type, '-N', passphrase, '-C', 'cofre-test', '-f', path];
  if (type === 'rsa') args.splice(3, 0, '-b', '3072');
  await runChecked('ssh-keygen', args);
}

/** `SHA256:…` of a public key file, as `ssh-keygen -lf` prints it. */
export async function fingerprintOf(publicKeyPath: string): Promise<string> {
  const { stdout } = await runChecked('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyPath]);
  const match = /\b(SHA256:[A-Za-z0-9+/]+)/.exec(stdout);
  if (!match?.[1]) throw new Error(`could not read a fingerprint from: ${stdout}`);
  return match[1];
}

/** Runs a command on the server with the system ssh client, given plain connection info. */
export async function sshExec(info: SshServerInfo, command: string, input?: string | Buffer): Promise<RunResult> {
  return await run(
    'ssh',
    [
      '-F', '/dev/null',
      '-i', info.privateKeyPath,
      '-p', String(info.port),
      '-o', 'BatchMode=yes',
      '-o', 'IdentitiesOnly=yes',
      '-o', `UserKnownHostsFile=${info.knownHostsPath}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', 'LogLevel=ERROR',
      `${info.user}@${info.host}`,
      command,
    ],
    input === undefined ? {} : { input },
  );
}

function sshdConfig(dir: string, port: number, extra: readonly string[]): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'UsePAM no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'X11Forwarding no',
    'AllowTcpForwarding no',
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    'ClientAliveInterval 0',
    'LogLevel VERBOSE',
    'Subsystem sftp internal-sftp',
    // The session runs as root (this machine's user), whose ~/.bashrc starts pyenv and costs
    // ~150 ms per command; bash skips ~/.bashrc under sshd when SHLVL is set. A clinic's backup
    // user has no such shell start-up, and the bench's raw pipeline pays the same either way.
    'SetEnv SHLVL=1',
    ...extra,
    '',
  ].join('\n');
}

export async function startSshd(opts: StartSshdOptions = {}): Promise<SshServerHandle> {
  const dir = await tempDir('sshd');
  try {
    // sshd refuses to start without its privilege-separation folder.
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

    const hostKey = join(dir, 'ssh_host_ed25519_key');
    const privateKeyPath = join(dir, 'id_ed25519');
    const encryptedKeyPath = join(dir, 'id_ed25519_encrypted');
    const rsaKeyPath = opts.rsaKey ? join(dir, 'id_rsa') : undefined;
    const passphrase = `pp-${randomBytes(9).toString('base64url')}`;
    await Promise.all([
      generateKey(hostKey, 'ed25519'),
      generateKey(privateKeyPath, 'ed25519'),
      generateKey(encryptedKeyPath, 'ed25519', passphrase),
      rsaKeyPath ? generateKey(rsaKeyPath, 'rsa') : Promise.resolve(),
    ]);
    const publicKeys = await Promise.all(
      [privateKeyPath, encryptedKeyPath, ...(rsaKeyPath ? [rsaKeyPath] : [])].map((p) => readFile(`${p}.pub`, 'utf8')),
    );
    await writeFile(join(dir, 'authorized_keys'), publicKeys.map((k) => k.trim()).join('\n') + '\n', { mode: 0o600 });
    const hostPublicKey = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    const hostKeyFingerprint = await fingerprintOf(`${hostKey}.pub`);
    const logPath = join(dir, 'sshd.log');
    const configPath = join(dir, 'sshd_config');

    const { child, port } = await withRetries(3, async () => {
      const port = await freePort();
      await writeFile(configPath, sshdConfig(dir, port, opts.extraConfig ?? []), { mode: 0o600 });
      await writeFile(logPath, '');
      await runChecked(SSHD, ['-t', '-f', configPath]);
      // detached: sshd and its session processes get their own process group, so stop() can end them all.
      const child: ChildProcess = spawn(SSHD, ['-D', '-f', configPath, '-E', logPath], {
        stdio: 'ignore',
        detached: true,
      });
      child.on('error', () => undefined);
      const alive = (): boolean => child.exitCode === null && child.signalCode === null;
      try {
        await waitForPort('127.0.0.1', port, 10_000, alive);
      } catch (err) {
        await stopChild(child);
        throw new Error(`sshd did not start: ${(err as Error).message}\n--- ${logPath} ---\n${await logTail(logPath)}`, { cause: err });
      }
      return { child, port };
    });

    const knownHostsPath = join(dir, 'known_hosts');
    await writeFile(knownHostsPath, `[127.0.0.1]:${port} ${hostPublicKey}\n`);
    await chmod(privateKeyPath, 0o600);

    const info: SshServerInfo = {
      host: '127.0.0.1',
      port,
      user: userInfo().username,
      privateKeyPath,
      encryptedKeyPath,
      passphrase,
      ...(rsaKeyPath ? { rsaKeyPath } : {}),
      hostKeyFingerprint,
      hostPublicKey,
      knownHostsPath,
      dir,
      logPath,
    };
    let stopped = false;
    return {
      ...info,
      pid: child.pid ?? -1,
      exec: (command, input) => sshExec(info, command, input),
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        const sessions = child.pid === undefined ? [] : await descendantsOf(child.pid);
        await stopChild(child);
        await Promise.all(sessions.map((pid) => stopProcess(pid, 2000)));
        await removeDir(dir);
      },
    };
  } catch (err) {
    await removeDir(dir);
    throw err;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  // End the sessions first (same process group), then the master.
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // group already gone
  }
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await Promise.race([exited, stopProcess(pid, 3000)]);
  }
}

/**
 * sshd puts each connection in a session of its own (setsid), so killing the master's process
 * group misses them: collect the master's descendants first and end them too.
 */
async function descendantsOf(rootPid: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …; comm may contain spaces, so parse after the last ')'
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isFinite(ppid)) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
