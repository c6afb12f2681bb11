/**
 * The scrypt recipient type (passphrase encryption, what `age -p` writes): used here for
 * passphrase-protected identity files. Stanza `-> scrypt <salt> <log2 N>`, wrap key =
 * scrypt(passphrase, "age-encryption.org/v1/scrypt" || salt, N, r=8, p=1).
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { CofreError } from '../errors.js';
import { b64Decode, b64Encode } from './encoding.js';
import type { Stanza } from './header.js';

const SCRYPT_LABEL = 'age-encryption.org/v1/scrypt';
const ZERO_NONCE = Buffer.alloc(12);
/** What `age -p` uses on a desktop (about a second). */
export const DEFAULT_SCRYPT_WORK_FACTOR = 18;
/** The largest work factor accepted when decrypting (as age's default limit). */
export const MAX_SCRYPT_WORK_FACTOR = 22;

async function deriveKey(passphrase: string, salt: Buffer, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  return await new Promise<Buffer>((resolve, reject) => {
    scrypt(
      Buffer.from(passphrase, 'utf8'),
      Buffer.concat([Buffer.from(SCRYPT_LABEL, 'latin1'), salt]),
      32,
      { N, r: 8, p: 1, maxmem: 256 * N * 8 + 16 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

export async function wrapScrypt(fileKey: Buffer, passphrase: string, logN = DEFAULT_SCRYPT_WORK_FACTOR): Promise<Stanza> {
  const salt = randomBytes(16);
  const key = await deriveKey(passphrase, salt, logN);
  const cipher = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
  const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
  return { args: ['scrypt', b64Encode(salt), String(logN)], body };
}

function malformed(): CofreError {
  return new CofreError('DECRYPT_FAILED', 'the file has a malformed scrypt (passphrase) stanza', {
    hint: 'The file is damaged or not a valid age file.',
  });
}

/**
 * Opens the file key from a header's stanzas with a passphrase. A scrypt stanza must be the
 * only stanza; a wrong passphrase is DECRYPT_FAILED.
 */
export async function unwrapScrypt(stanzas: readonly Stanza[], passphrase: string): Promise<Buffer> {
  const stanza = stanzas[0];
  if (stanza === undefined || stanza.args[0] !== 'scrypt') {
    throw new CofreError('DECRYPT_FAILED', 'the file is not passphrase-encrypted', {
      hint: 'Open it with an identity (AGE-SECRET-KEY-…) instead of a passphrase.',
    });
  }
  if (stanzas.length !== 1) {
    throw new CofreError('DECRYPT_FAILED', 'a passphrase stanza must be the only stanza in an age file', {
      hint: 'The file is damaged or was crafted; it is not a valid age file.',
    });
  }
  const salt = stanza.args.length === 3 ? b64Decode(stanza.args[1] ?? '') : undefined;
  const logText = stanza.args[2] ?? '';
  if (salt === undefined || salt.length !== 16 || !/^[1-9][0-9]?$/.test(logText) || stanza.body.length !== 32) {
    throw malformed();
  }
  const logN = Number(logText);
  if (logN > MAX_SCRYPT_WORK_FACTOR) {
    throw new CofreError('DECRYPT_FAILED', `the passphrase work factor 2^${logN} is above the limit 2^${MAX_SCRYPT_WORK_FACTOR}`, {
      hint: 'Re-encrypt the identity file with `age -p` using the default work factor.',
    });
  }
  const key = await deriveKey(passphrase, salt, logN);
  const decipher = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
  decipher.setAuthTag(stanza.body.subarray(16));
  try {
    return Buffer.concat([decipher.update(stanza.body.subarray(0, 16)), decipher.final()]);
  } catch {
    throw new CofreError('DECRYPT_FAILED', 'the passphrase does not open this file', {
      hint: 'Check the passphrase (its environment variable) and try again.',
    });
  }
}
