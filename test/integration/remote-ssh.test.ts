/**
 * The SSH remote module against a real OpenSSH server: streaming with backpressure, exit
 * codes, secrets kept off command lines, host-key pinning, login failures, connections lost
 * mid-stream, and the server-side lock.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { CofreError } from '../../src-main/errors.js';
import { connect, shq, withRemoteLock } from '../../src-main/remote/index.js';
import type { ExecOptions, RemoteHost, SshServerSpec } from '../../src-main/remote/index.js';
import { freePort } from '../harness/index.js';
import { runChecked } from '../harness/util.js';

const { ssh } = inject('harness');

function spec(overrides: Partial<SshServerSpec> = {}): SshServerSpec {
  return {
    name: 'clinica',
    host: ssh.host,
    port: ssh.port,
    user: ssh.user,
    privateKeyFile: ssh.privateKeyPath,
    hostKey: ssh.hostKeyFingerprint,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<CofreError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CofreError);
    return err as CofreError;
  }
  throw new Error('expected a failure, got success');
}

/** A sink that counts bytes, optionally slowly, and records peak RSS. */
function countingSink(opts: { delayEveryBytes?: number; delayMs?: number } = {}): Writable & { bytes: number; peakRss: number } {
  let sinceDelay = 0;
  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb): void {
      sink.bytes += chunk.length;
      sinceDelay += chunk.length;
      const rss = process.memoryUsage.rss();
      if (rss > sink.peakRss) sink.peakRss = rss;
      if (opts.delayEveryBytes && sinceDelay >= opts.delayEveryBytes) {
        sinceDelay = 0;
        setTimeout(cb, opts.delayMs ?? 1);
      } else {
        cb();
      }
    },
  }) as Writable & { bytes: number; peakRss: number };
  sink.bytes = 0;
  sink.peakRss = 0;
  return sink;
}

describe('remote SSH module', () => {
  let dir: string;
  const hosts: RemoteHost[] = [];
  const open = async (overrides: Partial<SshServerSpec> = {}): Promise<RemoteHost> => {
    const host = await connect(spec(overrides));
    hosts.push(host);
    return host;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cofre-remote-test-'));
  });
  afterEach(async () => {
    for (const host of hosts.splice(0)) host.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('running commands', () => {
    it('streams 200 MB of output with flat memory, to a slow consumer', async () => {
      const host = await open();
      const total = 200 * 1024 * 1024;
      const rssBefore = process.memoryUsage.rss();
      const proc = host.exec(`head -c ${total} /dev/zero`);
      const sink = countingSink({ delayEveryBytes: 4 * 1024 * 1024, delayMs: 20 });
      const started = Date.now();
      await pipeline(proc.stdout, sink);
      const result = await proc.done;
      const seconds = (Date.now() - started) / 1000;
      expect(result.code).toBe(0);
      expect(sink.bytes).toBe(total);
      // Without backpressure most of the 200 MB would pile up in memory.
      expect(sink.peakRss - rssBefore).toBeLessThan(64 * 1024 * 1024);
      console.info(`streamed ${total / 2 ** 20} MiB in ${seconds.toFixed(2)} s (${(total / 2 ** 20 / seconds).toFixed(0)} MiB/s), RSS +${((sink.peakRss - rssBefore) / 2 ** 20).toFixed(1)} MiB`);
    });

    it('stops reading from the server while the consumer is paused', async () => {
      const host = await open();
      const proc = host.exec('head -c 104857600 /dev/urandom');
      let received = 0;
      let pausedOnce = false;
      proc.stdout.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (!pausedOnce && received > 4 * 1024 * 1024) {
          pausedOnce = true;
          proc.stdout.pause();
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const whilePaused = received;
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(received).toBe(whilePaused);
      expect(whilePaused).toBeLessThan(16 * 1024 * 1024);
      const ended = new Promise((resolve) => proc.stdout.once('end', resolve));
      proc.stdout.resume();
      expect((await proc.done).code).toBe(0);
      await ended;
      expect(received).toBe(104857600);
    });

    it('reports exit codes and stderr; runChecked names the command and its error output', async () => {
      const host = await open();
      const r = await host.run('echo out; echo "something broke" >&2; exit 3');
      expect(r).toMatchObject({ stdout: 'out\n', stderr: 'something broke\n', code: 3 });

      const err = await failure(host.runChecked('ls /nonexistent-cofre-path'));
      expect(err.code).toBe('REMOTE_COMMAND_FAILED');
      expect(err.message).toContain('ls');
      expect(err.message).toContain('exited with code 2');
      expect(err.message).toMatch(/No such file or directory/);

      const missing = await failure(host.runChecked('pg_dump_not_installed --version'));
      expect(missing.hint).toMatch(/not installed/);
    });

    it('makes stdout fail when the command fails, so a pipeline never takes a failed dump for complete', async () => {
      const host = await open();
      const proc = host.exec('echo partial; echo "pg_dump: error: connection failed" >&2; exit 1', { label: 'pg_dump' });
      const sink = countingSink();
      const err = await failure(pipeline(proc.stdout, sink));
      expect(err.code).toBe('REMOTE_COMMAND_FAILED');
      expect(err.message).toContain('pg_dump');
      expect(err.message).toContain('connection failed');
      expect(await proc.done).toMatchObject({ code: 1 });
    });

    it('keeps only the tail of a huge stderr', async () => {
      const host = await open();
      const r = await host.run('head -c 1000000 /dev/zero | tr "\\0" x >&2; echo END >&2');
      expect(r.stderr.length).toBeLessThanOrEqual(64 * 1024);
      expect(r.stderr.endsWith('END\n')).toBe(true);
    });

    it('passes env vars without putting them on any command line, and stdin after them intact', async () => {
      const host = await open();
      const secret = `s3cr'et "${randomBytes(6).toString('hex')}" $HOME`;
      const printed = await host.runChecked('printf %s "$COFRE_TEST_SECRET"', { env: { COFRE_TEST_SECRET: secret } });
      expect(printed.stdout).toBe(secret);

      // While a command with the secret runs, no process on the server shows it.
      const marker = randomBytes(8).toString('hex');
      const sleeper = host.exec(`sleep 2 # ${marker}`, { env: { COFRE_TEST_SECRET: marker + 'SECRET' } });
      sleeper.stdout.resume();
      const ps = await host.runChecked(`sleep 0.5; ps -eo args`);
      expect(ps.stdout).toContain(marker);
      expect(ps.stdout).not.toContain(marker + 'SECRET');
      expect((await sleeper.done).code).toBe(0);

      const input = randomBytes(3 * 1024 * 1024);
      const proc = host.exec('sha256sum; printf %s "$X"', { env: { X: 'ok' }, stdin: Readable.from([input]) });
      const out: Buffer[] = [];
      proc.stdout.on('data', (c: Buffer) => out.push(c));
      const ended = new Promise((resolve) => proc.stdout.once('end', resolve));
      await proc.done;
      await ended;
      const { createHash } = await import('node:crypto');
      expect(Buffer.concat(out).toString()).toBe(`${createHash('sha256').update(input).digest('hex')}  -\nok`);
    });

    it('rejects env values that cannot travel safely', async () => {
      const host = await open();
      expect(() => host.exec('true', { env: { 'BAD NAME': 'x' } })).toThrow(CofreError);
      expect(() => host.exec('true', { env: { OK: 'line1\nline2' } })).toThrow(/line break/);
    });

    it('shq quotes anything for the remote shell', async () => {
      const host = await open();
      const nasty = `a b'c"d$(echo x)\`e\`;|&*?\n\\`;
      const r = await host.runChecked(`printf %s ${shq(nasty)}`);
      expect(r.stdout).toBe(nasty);
    });
  });

  describe('connecting', () => {
    it('refuses a server whose host key differs from the pin, naming both fingerprints', async () => {
      const wrong = `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
      const err = await failure(connect(spec({ hostKey: wrong })));
      expect(err.code).toBe('HOST_KEY_MISMATCH');
      expect(err.message).toContain(wrong);
      expect(err.message).toContain(ssh.hostKeyFingerprint);
      expect(err.hint).toMatch(/cofre trust clinica/);
    });

    it('refuses an unpinned server unless told to allow it, showing what it presents', async () => {
      const err = await failure(connect(spec({ hostKey: undefined })));
      expect(err.code).toBe('HOST_KEY_UNPINNED');
      expect(err.message).toContain(ssh.hostKeyFingerprint);
      const host = await connect(spec({ hostKey: undefined }), { allowUnpinned: true });
      hosts.push(host);
      expect(host.hostKeyFingerprint).toBe(ssh.hostKeyFingerprint);
    });

    it('accepts a pin without the SHA256: prefix or with base64 padding', async () => {
      const body = ssh.hostKeyFingerprint.slice('SHA256:'.length);
      const host = await open({ hostKey: `${body}=` });
      expect((await host.runChecked('echo ok')).stdout).toBe('ok\n');
    });

    it('says HOST_UNREACHABLE for a port where nothing listens', async () => {
      const port = await freePort();
      const err = await failure(connect(spec({ port })));
      expect(err.code).toBe('HOST_UNREACHABLE');
      expect(err.message).toContain(`127.0.0.1:${port}`);
      expect(err.message).toMatch(/refused/);
    });

    it('says HOST_UNREACHABLE, not a hang, for a port that is not SSH', async () => {
      const { postgres } = inject('harness');
      const started = Date.now();
      const err = await failure(connect(spec({ port: postgres.port })));
      expect(err.code).toBe('HOST_UNREACHABLE');
      expect(err.message).toMatch(/does not speak SSH/);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('says AUTH_FAILED for a key the server does not know', async () => {
      const keyFile = join(dir, 'stranger');
      await runChecked('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
      const err = await failure(connect(spec({ privateKeyFile: keyFile })));
      expect(err.code).toBe('AUTH_FAILED');
      expect(err.message).toContain(ssh.user);
      expect(err.hint).toContain(`${keyFile}.pub`);
    });

    it('says KEY_UNREADABLE for a missing, unreadable or garbage key file', async () => {
      const missing = await failure(connect(spec({ privateKeyFile: join(dir, 'nope') })));
      expect(missing.code).toBe('KEY_UNREADABLE');
      expect(missing.message).toMatch(/does not exist/);

      const garbage = join(dir, 'garbage');
      await writeFile(garbage, 'not a key\n');
      const bad = await failure(connect(spec({ privateKeyFile: garbage })));
      expect(bad.code).toBe('KEY_UNREADABLE');

      const folder = join(dir, 'folder');
      await (await import('node:fs/promises')).mkdir(folder);
      await chmod(folder, 0o700);
      const notFile = await failure(connect(spec({ privateKeyFile: folder })));
      expect(notFile.code).toBe('KEY_UNREADABLE');
    });

    it('logs in with a passphrase-protected key, and explains a missing or wrong passphrase', async () => {
      const host = await open({ privateKeyFile: ssh.encryptedKeyPath, privateKeyPassphrase: ssh.passphrase });
      expect((await host.runChecked('echo ok')).stdout).toBe('ok\n');

      const none = await failure(connect(spec({ privateKeyFile: ssh.encryptedKeyPath })));
      expect(none.code).toBe('KEY_UNREADABLE');
      expect(none.message).toMatch(/protected by a passphrase/);
      expect(none.hint).toMatch(/privateKeyPassphraseEnv/);

      const wrong = await failure(connect(spec({ privateKeyFile: ssh.encryptedKeyPath, privateKeyPassphrase: 'not-it' })));
      expect(wrong.code).toBe('KEY_UNREADABLE');
      expect(wrong.message).toMatch(/passphrase .* is wrong/);
      expect(wrong.message).not.toContain('not-it');
    });

    it('logs in with an RSA key', async () => {
      expect(ssh.rsaKeyPath).toBeDefined();
      const host = await open({ privateKeyFile: ssh.rsaKeyPath as string });
      expect((await host.runChecked('echo rsa')).stdout).toBe('rsa\n');
    });
  });

  describe('losing the connection', () => {
    it('fails stdout and done when the session dies mid-stream', async () => {
      const host = await open();
      // 5 MB, then the shell kills its own sshd session process: the TCP connection drops.
      const proc = host.exec('head -c 5000000 /dev/zero; sleep 0.3; kill -9 $PPID; sleep 5; head -c 5000000 /dev/zero', { label: 'pg_dump' });
      const sink = countingSink();
      const streamErr = await failure(pipeline(proc.stdout, sink));
      const doneErr = await failure(proc.done);
      expect(sink.bytes).toBe(5_000_000);
      expect(doneErr.code).toBe('HOST_UNREACHABLE');
      expect(doneErr.message).toMatch(/ended while pg_dump was running/);
      expect(streamErr.code).toBe('HOST_UNREACHABLE');
      await host.closed;
      expect(host.connected).toBe(false);
    });

    it('fails a command started on a closed connection', async () => {
      const host = await open();
      host.close();
      await host.closed;
      const err = await failure(host.run('echo hi'));
      expect(['HOST_UNREACHABLE', 'REMOTE_COMMAND_FAILED']).toContain(err.code);
    });

    it('cancel() rejects done with CANCELLED and the writing command dies', async () => {
      const host = await open();
      const marker = randomBytes(6).toString('hex');
      const proc = host.exec(`while :; do echo ${marker}; sleep 0.05; done`);
      const streamErr = failure(pipeline(proc.stdout, countingSink()));
      setTimeout(() => proc.cancel(), 300);
      const started = Date.now();
      expect((await failure(proc.done)).code).toBe('CANCELLED');
      expect((await streamErr).code).toBe('CANCELLED');
      expect(Date.now() - started).toBeLessThan(2000);
      // The loop gets SIGPIPE on its next echo.
      let left = '';
      for (let i = 0; i < 40; i++) {
        left = (await host.run(`ps -eo args | grep -c '[${marker[0]}]${marker.slice(1)}' || true`)).stdout.trim();
        if (left === '0') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(left).toBe('0');
    });

    it('stops the command when the consumer destroys stdout', async () => {
      const host = await open();
      const proc = host.exec('head -c 100000000 /dev/zero');
      proc.stdout.once('data', () => proc.stdout.destroy());
      expect((await failure(proc.done)).code).toBe('CANCELLED');
    });
  });

  describe('server-side lock', () => {
    it('lets one run hold a lock; a second gets REMOTE_BUSY until it is released', async () => {
      const name = `test-${randomBytes(4).toString('hex')}`;
      const [a, b] = await Promise.all([open(), open()]);
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const first = withRemoteLock(a, name, async () => {
        entered();
        await held;
        return 'first done';
      });
      await inside;
      const busy = await failure(withRemoteLock(b, name, async () => 'second'));
      expect(busy.code).toBe('REMOTE_BUSY');
      expect(busy.message).toContain(name);
      release();
      expect(await first).toBe('first done');
      expect(await withRemoteLock(b, name, async () => 'second')).toBe('second');
      await b.runChecked(`rm -f "$HOME/.cache/cofre/${name}.lock"`);
    });

    it('releases the lock when fn throws, and when the holder connection dies', async () => {
      const name = `test-${randomBytes(4).toString('hex')}`;
      const a = await open();
      await expect(withRemoteLock(a, name, async () => {
        throw new Error('boom');
      })).rejects.toThrow('boom');
      expect(await withRemoteLock(a, name, async () => 'again')).toBe('again');

      const holder = await open();
      let aborted = false;
      const holding = withRemoteLock(holder, name, async (signal) => {
        holder.close();
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        aborted = signal.aborted;
      });
      await holding;
      expect(aborted).toBe(true);
      const b = await open();
      // sshd ends the orphaned session shortly after the connection drops.
      let result: string | undefined;
      for (let i = 0; i < 50 && result === undefined; i++) {
        result = await withRemoteLock(b, name, async () => 'taken').catch((err: unknown) => {
          if (err instanceof CofreError && err.code === 'REMOTE_BUSY') return undefined;
          throw err;
        });
        if (result === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(result).toBe('taken');
      await b.runChecked(`rm -f "$HOME/.cache/cofre/${name}.lock"`);
    });

    it('ignores a decoy at the old predictable /tmp path: the lock lives in a 0700 folder of the SSH user', async () => {
      const name = `test-${randomBytes(4).toString('hex')}`;
      const a = await open();
      // Another user pre-creates the old lock path as a world-writable file and holds a flock on
      // it (to block every backup), and a symlink beside it (to make the lock follow it).
      const decoy = `/tmp/cofre-${name}.lock`;
      await a.runChecked(`touch ${decoy} && chmod 666 ${decoy} && ln -s /etc/hostname /tmp/cofre-${name}-link.lock`);
      const blocker = a.exec(`exec flock ${decoy} -c 'echo held; exec cat >/dev/null'`, { stdin: new Readable({ read() {} }) });
      await new Promise<void>((resolve) => blocker.stdout.once('data', () => resolve()));
      try {
        const where = await withRemoteLock(a, name, async () =>
          (await a.runChecked(`ls -ld "$HOME/.cache/cofre" | cut -c1-10; [ -f "$HOME/.cache/cofre/${name}.lock" ] && echo there`)).stdout);
        expect(where).toBe('drwx------\nthere\n');
      } finally {
        blocker.cancel();
        await a.run(`rm -f ${decoy} /tmp/cofre-${name}-link.lock "$HOME/.cache/cofre/${name}.lock"`);
      }
    });

    it('refuses a lock folder that is a symlink, naming the problem', async () => {
      const a = await open();
      const home = (await a.runChecked(`d=$(mktemp -d) && mkdir "$d/.cache" && ln -s /tmp "$d/.cache/cofre" && echo "$d"`)).stdout.trim();
      try {
        const b = await open();
        // the same server, seen through a session whose home folder is `home`
        const elsewhere = { name: b.name, host: b.host, port: b.port, exec: (cmd: string, o?: ExecOptions) => b.exec(`HOME=${shq(home)}; unset XDG_RUNTIME_DIR\n${cmd}`, o) };
        const err = await failure(withRemoteLock(elsewhere as unknown as RemoteHost, 'x', async () => 'taken'));
        expect(err.code).toBe('REMOTE_COMMAND_FAILED');
        expect(err.message).toMatch(/no private folder for the lock/);
        expect(err.hint).toMatch(/symlink/);
      } finally {
        await a.run(`rm -rf ${shq(home)}`);
      }
    });
  });
});
