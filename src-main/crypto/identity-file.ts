/**
 * Identity files as `age-keygen` writes them (comments, then AGE-SECRET-KEY-1… lines), plain
 * or passphrase-encrypted with `age -p` (binary or PEM-armored).
 *
 * Permission policy (as OpenSSH does for private keys): a plain identity file that group or
 * others may access (mode & 0o077) is refused with KEY_UNREADABLE and a `chmod 600` hint. A
 * passphrase-encrypted file is accepted with any mode. Not checked on Windows.
 */
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CofreError } from '../errors.js';
import { VERSION_LINE } from './header.js';
import { DEFAULT_SCRYPT_WORK_FACTOR, unwrapScrypt, wrapScrypt } from './scrypt.js';
import { AgeDecryptTransform, AgeEncryptTransform, newFileKey, runTransform } from './stream.js';
import { decodeIdentity, recipientFromIdentity } from './x25519.js';

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const ARMOR_END = '-----END AGE ENCRYPTED FILE-----';

/**
 * The identities in an identity file's text: `#` comments and blank lines are ignored; every
 * other line must be an AGE-SECRET-KEY-1… key. Throws CofreError INVALID_ARGUMENT naming the
 * line (never its content).
 */
export function parseIdentityFile(text: string): string[] {
  const identities: string[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      decodeIdentity(line);
    } catch {
      throw new CofreError('INVALID_ARGUMENT', `line ${index + 1} of the identity file is not an age X25519 secret key`, {
        hint: 'An identity file holds AGE-SECRET-KEY-1… lines (plugin identities are not supported); lines starting with # are comments.',
      });
    }
    identities.push(line);
  });
  if (identities.length === 0) {
    throw new CofreError('INVALID_ARGUMENT', 'the identity file holds no AGE-SECRET-KEY-1… line', {
      hint: 'Point encryption.identityFile at the file written by `cofre init` or `age-keygen`.',
    });
  }
  return identities;
}

function dearmor(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith(ARMOR_BEGIN) || !trimmed.endsWith(ARMOR_END)) return undefined;
  const body = trimmed.slice(ARMOR_BEGIN.length, trimmed.length - ARMOR_END.length).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return undefined;
  return Buffer.from(body, 'base64');
}

/** True if these bytes are an age file (binary or armored), i.e. a passphrase-encrypted identity file. */
export function isEncryptedFile(data: Buffer): boolean {
  const start = data.subarray(0, 64).toString('latin1').trimStart();
  return start.startsWith(`${VERSION_LINE}\n`) || start.startsWith(ARMOR_BEGIN);
}

/** Encrypts bytes with a passphrase, as `age -p` does (scrypt recipient). */
export async function encryptWithPassphrase(
  plaintext: Buffer,
  passphrase: string,
  workFactor = DEFAULT_SCRYPT_WORK_FACTOR,
): Promise<Buffer> {
  const fileKey = newFileKey();
  const stanza = await wrapScrypt(fileKey, passphrase, workFactor);
  return await runTransform(new AgeEncryptTransform(fileKey, [stanza]), plaintext);
}

/** Decrypts an age file (binary or armored) made with a passphrase; wrong passphrase → DECRYPT_FAILED. */
export async function decryptWithPassphrase(data: Buffer, passphrase: string): Promise<Buffer> {
  const text = data.subarray(0, ARMOR_BEGIN.length + 8).toString('latin1').trimStart();
  const binary = text.startsWith(ARMOR_BEGIN) ? dearmor(data.toString('latin1')) : data;
  if (binary === undefined) {
    throw new CofreError('DECRYPT_FAILED', 'the armored age file is malformed', {
      hint: 'The file is damaged; restore it from your key backup.',
    });
  }
  return await runTransform(new AgeDecryptTransform((stanzas) => unwrapScrypt(stanzas, passphrase)), binary);
}

/**
 * Reads the identities from a plain identity file, or from a passphrase-encrypted one (then
 * `passphrase` is required). Errors: missing/unreadable file or open permissions →
 * KEY_UNREADABLE; encrypted without passphrase → SECRET_MISSING; wrong passphrase → DECRYPT_FAILED.
 */
export async function loadIdentities(path: string, passphrase?: string): Promise<string[]> {
  let data: Buffer;
  let mode: number;
  try {
    data = await readFile(path);
    mode = (await stat(path)).mode;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CofreError(
      'KEY_UNREADABLE',
      code === 'ENOENT' ? `the identity file ${path} does not exist` : `the identity file ${path} cannot be read (${code ?? 'error'})`,
      {
        hint:
          code === 'ENOENT'
            ? 'Set encryption.identityFile to the file written by `cofre init` (restore and deep verify need it), or copy your key backup there.'
            : 'Check the file permissions: the user running Cofre must be able to read it.',
        cause: err,
      },
    );
  }
  if (isEncryptedFile(data)) {
    if (passphrase === undefined || passphrase === '') {
      throw new CofreError('SECRET_MISSING', `the identity file ${path} is passphrase-protected and no passphrase was given`, {
        hint: 'Set the environment variable that holds the identity passphrase (see encryption settings) and try again.',
      });
    }
    const plain = await decryptWithPassphrase(data, passphrase);
    return parseIdentityFile(plain.toString('utf8'));
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new CofreError(
      'KEY_UNREADABLE',
      `the identity file ${path} is accessible by other users (mode ${(mode & 0o777).toString(8)}); refusing to use an unprotected private key`,
      { hint: `Run: chmod 600 ${path}` },
    );
  }
  return parseIdentityFile(data.toString('utf8'));
}

/** The text `age-keygen` writes: created/public key comments, then the key. */
export function identityFileText(identity: string, recipient: string, created = new Date()): string {
  const stamp = created.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `# created: ${stamp}\n# public key: ${recipient}\n${identity}\n`;
}

/**
 * Creates an identity file with mode 0600 (parent folder created 0700 if missing). Refuses to
 * overwrite an existing file (that would lose the key to existing backups). With a passphrase
 * the file is age-encrypted with it (scrypt), like `age-keygen | age -p`.
 */
export async function writeIdentityFile(
  path: string,
  identity: string,
  recipient: string,
  options: { passphrase?: string; workFactor?: number } = {},
): Promise<void> {
  if (recipientFromIdentity(identity) !== recipient) {
    throw new CofreError('INVALID_ARGUMENT', 'the recipient does not belong to this identity', {
      hint: 'Pass the recipient returned by generateIdentity() with its identity.',
    });
  }
  const text = Buffer.from(identityFileText(identity, recipient), 'utf8');
  const content =
    options.passphrase === undefined ? text : await encryptWithPassphrase(text, options.passphrase, options.workFactor);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CofreError(
      code === 'EEXIST' ? 'PRECONDITION' : 'KEY_UNREADABLE',
      code === 'EEXIST' ? `the identity file ${path} already exists` : `the identity file ${path} cannot be created (${code ?? 'error'})`,
      {
        hint:
          code === 'EEXIST'
            ? 'Keep the existing key (backups made with it need it); choose another path for a new one.'
            : 'Check that the folder exists and is writable.',
        cause: err,
      },
    );
  }
  try {
    await handle.chmod(0o600);
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(path, 0o600);
}
