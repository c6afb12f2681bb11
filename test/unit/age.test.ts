import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDecryptStream,
  createEncryptStream,
  decryptBuffer,
  decryptWithPassphrase,
  encryptBuffer,
  encryptWithPassphrase,
  generateIdentity,
  isValidRecipient,
  loadIdentities,
  parseIdentityFile,
  parseRecipient,
  payloadOverhead,
  recipientFromIdentity,
  writeIdentityFile,
} from '../../src-main/crypto/age.js';
import { rejection, thrown } from '../support/errors.js';

const CHUNK = 64 * 1024;

/** Feeds `data` in pieces of `pieceSize` bytes through a transform and collects the output. */
async function through(transform: NodeJS.ReadWriteStream, data: Buffer, pieceSize: number): Promise<Buffer> {
  const out: Buffer[] = [];
  const pieces = function* (): Generator<Buffer> {
    for (let i = 0; i < data.length; i += pieceSize) yield data.subarray(i, i + pieceSize);
  };
  await pipeline(
    Readable.from(pieces()),
    transform,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(out);
}

/** Offset where the payload (after the 16-byte nonce) starts in an age file. */
function payloadStart(file: Buffer): number {
  const macLine = file.indexOf('\n--- ');
  return file.indexOf(0x0a, macLine + 1) + 1 + 16;
}

describe('age keys', () => {
  it('generates an identity and its recipient in the age-keygen forms', () => {
    const { identity, recipient } = generateIdentity();
    expect(identity).toMatch(/^AGE-SECRET-KEY-1[023456789ACDEFGHJKLMNPQRSTUVWXYZ]{58}$/);
    expect(recipient).toMatch(/^age1[023456789acdefghjklmnpqrstuvwxyz]{58}$/);
    expect(recipientFromIdentity(identity)).toBe(recipient);
    expect(parseRecipient(recipient)).toBe(recipient);
    expect(generateIdentity().identity).not.toBe(identity);
  });

  it('derives the recipient of a known age-keygen identity', () => {
    // Pair written by Debian age-keygen 1.1.1.
    expect(recipientFromIdentity('AGE-SECRET-KEY-1ZQTYDZHLJ39ZFE82PAQRQFQ8Z06D2D9YSVXHYJRZ9N9962Q0V3JS3MJ06T')).toBe(
      'age1gne57aq0sw324sl4um7dvgmkgct6zfmmmyywxdls9mv2en06nehszynnf6',
    );
  });

  it('rejects malformed and non-canonical recipients without echoing secrets', () => {
    const { identity, recipient } = generateIdentity();
    const badChecksum = recipient.slice(0, -1) + (recipient.endsWith('q') ? 'p' : 'q');
    for (const bad of [badChecksum, recipient.toUpperCase(), 'age1', '', 'ssh-ed25519 AAAA', identity]) {
      expect(isValidRecipient(bad), bad).toBe(false);
      const err = thrown(() => parseRecipient(bad));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).not.toContain(identity);
    }
    expect(thrown(() => recipientFromIdentity(identity.toLowerCase())).code).toBe('INVALID_ARGUMENT');
  });
});

describe('age encryption round trip', () => {
  const { identity, recipient } = generateIdentity();

  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * 1024 * 1024 + 17])(
    'round-trips %i bytes written in odd-sized pieces, with the STREAM chunk layout',
    async (size) => {
      const plain = randomBytes(size);
      const encrypted = await through(createEncryptStream([recipient]), plain, 1000);
      // A full final chunk is allowed and used; empty plaintext is one empty final chunk.
      const chunks = Math.max(1, Math.ceil(size / CHUNK));
      expect(encrypted.length - payloadStart(encrypted)).toBe(size + 16 * chunks);
      expect(encrypted.length - payloadStart(encrypted) + 16).toBe(size + payloadOverhead(size));
      expect(encrypted.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
      const decrypted = await through(createDecryptStream([identity]), encrypted, 7777);
      expect(decrypted.equals(plain)).toBe(true);
    },
  );

  it('opens a file for several recipients with any of their identities', async () => {
    const others = [generateIdentity(), generateIdentity()];
    const plain = randomBytes(100_000);
    const encrypted = await encryptBuffer(plain, [recipient, ...others.map((o) => o.recipient)]);
    expect(encrypted.toString('latin1').match(/\n-> X25519 /g)).toHaveLength(3);
    for (const id of [identity, ...others.map((o) => o.identity)]) {
      expect((await decryptBuffer(encrypted, [id])).equals(plain)).toBe(true);
    }
  });

  it('refuses an empty or invalid recipient list, naming the bad entry', () => {
    expect(thrown(() => createEncryptStream([])).code).toBe('INVALID_ARGUMENT');
    const err = thrown(() => createEncryptStream([recipient, 'age1notakey']));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain('recipient 2 of 2');
  });

  it('fails with DECRYPT_FAILED when no identity matches', async () => {
    const encrypted = await encryptBuffer(Buffer.from('hello'), [recipient]);
    const err = await rejection(decryptBuffer(encrypted, [generateIdentity().identity]));
    expect(err.code).toBe('DECRYPT_FAILED');
    expect(err.message).toBe("no identity matches this file's recipients");
  });

  it('detects a flipped byte anywhere in the header or payload', async () => {
    const plain = randomBytes(3 * CHUNK + 5);
    const encrypted = await encryptBuffer(plain, [recipient]);
    const start = payloadStart(encrypted);
    const macLine = encrypted.indexOf('\n--- ') + 1;
    // share, wrapped key, MAC, payload nonce, first/middle/last chunk, a tag
    const offsets = [30, macLine - 5, macLine + 6, start - 3, start, start + CHUNK + 20, encrypted.length - 20, encrypted.length - 1];
    for (const offset of offsets) {
      const tampered = Buffer.from(encrypted);
      tampered[offset] = (tampered[offset] ?? 0) ^ 0x01;
      const err = await rejection(decryptBuffer(tampered, [identity]));
      expect(err.code, `offset ${offset}`).toBe('DECRYPT_FAILED');
    }
  });

  it('refuses truncated files, including one cut exactly at a chunk boundary', async () => {
    const plain = randomBytes(3 * CHUNK + 5);
    const encrypted = await encryptBuffer(plain, [recipient]);
    const start = payloadStart(encrypted);
    for (const length of [10, start - 17, start - 1, start, start + 100, start + CHUNK + 16, start + 3 * (CHUNK + 16), encrypted.length - 1]) {
      const err = await rejection(decryptBuffer(encrypted.subarray(0, length), [identity]));
      expect(err.code, `length ${length}`).toBe('DECRYPT_FAILED');
    }
    // A full final chunk must not be accepted as a middle chunk either (chunk-aligned plaintext).
    const aligned = await encryptBuffer(randomBytes(2 * CHUNK), [recipient]);
    const cut = aligned.subarray(0, payloadStart(aligned) + CHUNK + 16);
    expect((await rejection(decryptBuffer(cut, [identity]))).code).toBe('DECRYPT_FAILED');
  });

  it('refuses trailing bytes after the final chunk', async () => {
    const encrypted = await encryptBuffer(randomBytes(1000), [recipient]);
    const err = await rejection(decryptBuffer(Buffer.concat([encrypted, Buffer.from([0])]), [identity]));
    expect(err.code).toBe('DECRYPT_FAILED');
  });

  it('refuses non-canonical headers', async () => {
    const encrypted = await encryptBuffer(Buffer.from('x'), [recipient]);
    const text = encrypted.toString('latin1');
    const share = /-> X25519 (\S+)\n/.exec(text)?.[1] ?? '';
    const variants = [
      text.replace('age-encryption.org/v1', 'age-encryption.org/v2'),
      text.replace(`-> X25519 ${share}`, `-> X25519  ${share}`),
      text.replace(`-> X25519 ${share}`, `-> X25519 ${share}=`),
      text.replace('\n--- ', '\n---  '),
      text.replace('age-encryption.org/v1\n', 'age-encryption.org/v1\r\n'),
      `-----BEGIN AGE ENCRYPTED FILE-----\n${text}`,
    ];
    for (const variant of variants) {
      const err = await rejection(decryptBuffer(Buffer.from(variant, 'latin1'), [identity]));
      expect(err.code).toBe('DECRYPT_FAILED');
    }
  });

  it('keeps memory bounded: the transform buffers a few chunks, not the stream', async () => {
    const total = 64 * 1024 * 1024;
    const block = randomBytes(1024 * 1024);
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent >= total) this.push(null);
        else {
          sent += block.length;
          this.push(block);
        }
      },
    });
    const encrypt = createEncryptStream([recipient]);
    let maxBuffered = 0;
    let received = 0;
    const slowSink = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        maxBuffered = Math.max(maxBuffered, encrypt.readableLength + encrypt.writableLength);
        setImmediate(callback);
      },
    });
    await pipeline(source, encrypt, slowSink);
    expect(received).toBeGreaterThan(total);
    expect(maxBuffered).toBeLessThan(4 * 1024 * 1024);
  });
});

describe('identity files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cofre-age-unit-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses age-keygen style text: comments and blank lines ignored', () => {
    const a = generateIdentity();
    const b = generateIdentity();
    const text = `# created: 2026-01-01T00:00:00Z\n# public key: ${a.recipient}\n${a.identity}\n\n# second\r\n${b.identity}\r\n`;
    expect(parseIdentityFile(text)).toEqual([a.identity, b.identity]);
  });

  it('names the bad line of an identity file without printing it', () => {
    const { identity } = generateIdentity();
    const broken = identity.slice(0, -2) + 'QQ';
    const err = thrown(() => parseIdentityFile(`# c\n${broken}\n`));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain('line 2');
    expect(err.message).not.toContain(broken);
    expect(thrown(() => parseIdentityFile('# only comments\n')).code).toBe('INVALID_ARGUMENT');
  });

  it('writes an identity file 0600 in the age-keygen format and will not overwrite it', async () => {
    const { identity, recipient } = generateIdentity();
    const path = join(dir, 'keys', 'identity.txt');
    await writeIdentityFile(path, identity, recipient);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const text = await readFile(path, 'utf8');
    expect(text).toMatch(/^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n# public key: age1\S+\nAGE-SECRET-KEY-1\S+\n$/);
    expect(text).toContain(`# public key: ${recipient}\n`);
    expect(await loadIdentities(path)).toEqual([identity]);
    const again = await rejection(writeIdentityFile(path, generateIdentity().identity, generateIdentity().recipient));
    expect(again.code).toBe('INVALID_ARGUMENT');
    const other = generateIdentity();
    expect((await rejection(writeIdentityFile(path, other.identity, other.recipient))).code).toBe('PRECONDITION');
    expect(await loadIdentities(path)).toEqual([identity]);
  });

  it('refuses a missing file and a plain key readable by others', async () => {
    const missing = await rejection(loadIdentities(join(dir, 'nope.txt')));
    expect(missing.code).toBe('KEY_UNREADABLE');
    expect(missing.hint).toBeTruthy();
    const { identity, recipient } = generateIdentity();
    const path = join(dir, 'open.txt');
    await writeIdentityFile(path, identity, recipient);
    await chmod(path, 0o644);
    const open = await rejection(loadIdentities(path));
    expect(open.code).toBe('KEY_UNREADABLE');
    expect(open.hint).toBe(`Run: chmod 600 ${path}`);
  });

  it('opens a passphrase-protected identity file only with the right passphrase', async () => {
    const { identity, recipient } = generateIdentity();
    const path = join(dir, 'identity.age');
    await writeIdentityFile(path, identity, recipient, { passphrase: 'correct horse', workFactor: 10 });
    const raw = await readFile(path, 'latin1');
    expect(raw).toMatch(/^age-encryption\.org\/v1\n-> scrypt \S{22} 10\n/);
    expect(raw).not.toContain('AGE-SECRET-KEY');
    await chmod(path, 0o644); // encrypted: permissions are not a secret's only protection
    expect(await loadIdentities(path, 'correct horse')).toEqual([identity]);
    expect((await rejection(loadIdentities(path, 'wrong horse'))).code).toBe('DECRYPT_FAILED');
    expect((await rejection(loadIdentities(path))).code).toBe('SECRET_MISSING');
  });

  it('keeps scrypt and X25519 apart', async () => {
    const sealed = await encryptWithPassphrase(Buffer.from('data'), 'pw', 10);
    expect((await decryptWithPassphrase(sealed, 'pw')).toString()).toBe('data');
    const err = await rejection(decryptBuffer(sealed, [generateIdentity().identity]));
    expect(err.code).toBe('DECRYPT_FAILED');
    const { recipient } = generateIdentity();
    const forKey = await encryptBuffer(Buffer.from('data'), [recipient]);
    expect((await rejection(decryptWithPassphrase(forKey, 'pw'))).code).toBe('DECRYPT_FAILED');
    await writeFile(join(dir, 'x'), forKey);
  });
});
