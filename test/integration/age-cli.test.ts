/**
 * Interop with the real Debian `age` / `age-keygen` (1.1.x): files Cofre writes open with
 * `age -d -i`, files `age -r` / `age -p` writes open in Cofre. The passphrase prompts of the
 * CLI read from the terminal, so those runs go through a pseudo-terminal (python3 pty).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDecryptStream,
  createEncryptStream,
  decryptBuffer,
  encryptBuffer,
  generateIdentity,
  loadIdentities,
  recipientFromIdentity,
  writeIdentityFile,
} from '../../src-main/crypto/age.js';
import { rejection } from '../support/errors.js';
import { run, runChecked } from '../harness/util.js';

const AGE = '/usr/bin/age';
const AGE_KEYGEN = '/usr/bin/age-keygen';
const CHUNK = 64 * 1024;

/** Runs argv in a pseudo-terminal, answering every passphrase prompt with $PW. */
const PTY_SCRIPT = `
import os, pty, sys
pw = os.environ["PW"].encode() + b"\\n"
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
seen = b""
answered = 0
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    seen += data
    while answered < seen.lower().count(b"passphrase"):
        os.write(fd, pw)
        answered += 1
_, status = os.waitpid(pid, 0)
sys.stderr.write(seen.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
`;

async function withPassphrase(passphrase: string, argv: string[]): Promise<void> {
  await runChecked('/usr/bin/python3', ['-c', PTY_SCRIPT, ...argv], { env: { ...process.env, PW: passphrase } });
}

/** Runs age and returns its stdout bytes; throws with stderr on failure. */
async function ageStdout(args: string[]): Promise<Buffer> {
  const child = spawn(AGE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`age ${args.join(' ')} exited ${code}: ${stderr}`);
  return Buffer.concat(out);
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cofre-age-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function keygen(name: string): Promise<{ path: string; identity: string; recipient: string }> {
  const path = join(dir, name);
  await runChecked(AGE_KEYGEN, ['-o', path]);
  const recipient = (await runChecked(AGE_KEYGEN, ['-y', path])).stdout.trim();
  const [identity] = await loadIdentities(path);
  if (identity === undefined) throw new Error('no identity');
  return { path, identity, recipient };
}

describe('age CLI interop', () => {
  it('parses an age-keygen identity file and derives the same recipient as age-keygen -y', async () => {
    const key = await keygen('id.txt');
    expect(recipientFromIdentity(key.identity)).toBe(key.recipient);
    expect((await readFile(key.path, 'utf8')).split('\n')[1]).toBe(`# public key: ${key.recipient}`);
  });

  it('our identity file works with age -d -i and age-keygen -y', async () => {
    const { identity, recipient } = generateIdentity();
    const path = join(dir, 'ours.txt');
    await writeIdentityFile(path, identity, recipient);
    expect((await runChecked(AGE_KEYGEN, ['-y', path])).stdout.trim()).toBe(recipient);
  });

  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * 1024 * 1024])('ours → age -d: %i bytes byte-identical', async (size) => {
    const key = await keygen('id.txt');
    const plain = randomBytes(size);
    await writeFile(join(dir, 'x.age'), await encryptBuffer(plain, [key.recipient]));
    // To stdout: `age -o` does not create the output file for an empty plaintext.
    const out = await ageStdout(['-d', '-i', key.path, join(dir, 'x.age')]);
    expect(out.length).toBe(size);
    expect(out.equals(plain)).toBe(true);
  });

  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * 1024 * 1024])('age -r → ours: %i bytes byte-identical', async (size) => {
    const key = await keygen('id.txt');
    const plain = randomBytes(size);
    await writeFile(join(dir, 'x'), plain);
    await runChecked(AGE, ['-r', key.recipient, '-o', join(dir, 'x.age'), join(dir, 'x')]);
    expect((await decryptBuffer(await readFile(join(dir, 'x.age')), [key.identity])).equals(plain)).toBe(true);
  });

  it('streams ~200 MiB from our encryptor straight into age -d', async () => {
    const key = await keygen('id.txt');
    const total = 200 * 1024 * 1024 + 12345;
    const block = randomBytes(1024 * 1024 + 7);
    const plainHash = createHash('sha256');
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent >= total) {
          this.push(null);
          return;
        }
        const piece = block.subarray(0, Math.min(block.length, total - sent));
        sent += piece.length;
        plainHash.update(piece);
        this.push(piece);
      },
    });
    const child = spawn(AGE, ['-d', '-i', key.path], { stdio: ['pipe', 'pipe', 'pipe'] });
    const outHash = createHash('sha256');
    let outBytes = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      outHash.update(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await pipeline(source, createEncryptStream([key.recipient]), child.stdin);
    expect(await exited, stderr).toBe(0);
    expect(outBytes).toBe(total);
    expect(outHash.digest('hex')).toBe(plainHash.digest('hex'));
  });

  it('streams ~64 MiB from age -r (stdin to stdout) through our decryptor', async () => {
    const key = await keygen('id.txt');
    const block = randomBytes(1024 * 1024);
    const child = spawn(AGE, ['-r', key.recipient], { stdio: ['pipe', 'pipe', 'inherit'] });
    const plainHash = createHash('sha256');
    const feeding = (async () => {
      for (let i = 0; i < 64; i++) {
        plainHash.update(block);
        if (!child.stdin.write(block)) await new Promise((resolve) => child.stdin.once('drain', resolve));
      }
      child.stdin.end();
    })();
    const outHash = createHash('sha256');
    let outBytes = 0;
    await pipeline(child.stdout, createDecryptStream([key.identity]), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        outHash.update(chunk);
        outBytes += chunk.length;
      }
    });
    await feeding;
    expect(outBytes).toBe(64 * 1024 * 1024);
    expect(outHash.digest('hex')).toBe(plainHash.digest('hex'));
  });

  it('multi-recipient both ways', async () => {
    const a = await keygen('a.txt');
    const b = await keygen('b.txt');
    const plain = randomBytes(CHUNK * 2 + 3);
    await writeFile(join(dir, 'p'), plain);
    await writeFile(join(dir, 'ours.age'), await encryptBuffer(plain, [a.recipient, b.recipient]));
    await runChecked(AGE, ['-r', a.recipient, '-r', b.recipient, '-o', join(dir, 'theirs.age'), join(dir, 'p')]);
    for (const key of [a, b]) {
      const out = await runChecked(AGE, ['-d', '-i', key.path, '-o', join(dir, 'o'), join(dir, 'ours.age')]);
      expect(out.code).toBe(0);
      expect((await readFile(join(dir, 'o'))).equals(plain)).toBe(true);
      expect((await decryptBuffer(await readFile(join(dir, 'theirs.age')), [key.identity])).equals(plain)).toBe(true);
    }
  });

  it('wrong identity, tampered byte and truncation fail on files written by age', async () => {
    const key = await keygen('id.txt');
    const other = await keygen('other.txt');
    await writeFile(join(dir, 'p'), randomBytes(3 * CHUNK + 100));
    await runChecked(AGE, ['-r', key.recipient, '-o', join(dir, 'x.age'), join(dir, 'p')]);
    const file = await readFile(join(dir, 'x.age'));

    const wrong = await rejection(decryptBuffer(file, [other.identity]));
    expect(wrong.code).toBe('DECRYPT_FAILED');
    expect(wrong.message).toBe("no identity matches this file's recipients");

    const tampered = Buffer.from(file);
    tampered[file.length - CHUNK] = (tampered[file.length - CHUNK] ?? 0) ^ 0x80;
    expect((await rejection(decryptBuffer(tampered, [key.identity]))).code).toBe('DECRYPT_FAILED');

    const truncated = file.subarray(0, file.length - 116); // drop exactly the final chunk (100 + tag)
    expect((await rejection(decryptBuffer(truncated, [key.identity]))).code).toBe('DECRYPT_FAILED');

    // And age agrees that our files are checked the same way.
    const ours = await encryptBuffer(randomBytes(1000), [key.recipient]);
    await writeFile(join(dir, 'ours.age'), ours);
    expect((await run(AGE, ['-d', '-i', other.path, join(dir, 'ours.age')])).code).not.toBe(0);
  });

  it('a passphrase-protected identity we write opens with age -d -i (passphrase typed on a pty)', async () => {
    const { identity, recipient } = generateIdentity();
    const idPath = join(dir, 'identity.age');
    await writeIdentityFile(idPath, identity, recipient, { passphrase: 'correct horse battery staple' });
    const plain = randomBytes(5000);
    await writeFile(join(dir, 'x.age'), await encryptBuffer(plain, [recipient]));
    await withPassphrase('correct horse battery staple', [AGE, '-d', '-i', idPath, '-o', join(dir, 'x'), join(dir, 'x.age')]);
    expect((await readFile(join(dir, 'x'))).equals(plain)).toBe(true);
  });

  it('an identity file protected with age -p (binary and armored) opens with the right passphrase only', async () => {
    const key = await keygen('id.txt');
    const binary = join(dir, 'identity.age');
    const armored = join(dir, 'identity.age.asc');
    await withPassphrase('tr0ub4dor & 3', [AGE, '-p', '-o', binary, key.path]);
    await withPassphrase('tr0ub4dor & 3', [AGE, '-p', '-a', '-o', armored, key.path]);
    expect((await readFile(armored, 'utf8')).startsWith('-----BEGIN AGE ENCRYPTED FILE-----')).toBe(true);
    for (const path of [binary, armored]) {
      expect(await loadIdentities(path, 'tr0ub4dor & 3')).toEqual([key.identity]);
      expect((await rejection(loadIdentities(path, 'tr0ub4dor & 4'))).code).toBe('DECRYPT_FAILED');
    }
  });
});
