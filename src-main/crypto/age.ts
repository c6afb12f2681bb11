/**
 * age v1 (https://age-encryption.org/v1) on node:crypto: X25519 recipients, scrypt for
 * passphrase-protected identity files, STREAM payload. Files written here open with
 * `age -d -i identity.txt`, and files from `age -r` open here.
 */
import type { Transform } from 'node:stream';
import { CofreError } from '../errors.js';
import type { Stanza } from './header.js';
import { AgeDecryptTransform, AgeEncryptTransform, newFileKey, runTransform } from './stream.js';
import type { X25519Identity } from './x25519.js';
import { decodeIdentity, decodeRecipient, unwrapX25519, wrapX25519 } from './x25519.js';

export { generateIdentity, recipientFromIdentity } from './x25519.js';
export {
  decryptWithPassphrase,
  encryptWithPassphrase,
  identityFileText,
  isEncryptedFile,
  loadIdentities,
  parseIdentityFile,
  writeIdentityFile,
} from './identity-file.js';
export { CHUNK_SIZE } from './stream.js';

/** Validates an `age1…` recipient and returns it; CofreError INVALID_ARGUMENT if malformed. */
export function parseRecipient(text: string): string {
  decodeRecipient(text.trim());
  return text.trim();
}

export function isValidRecipient(text: string): boolean {
  try {
    decodeRecipient(text);
    return true;
  } catch {
    return false;
  }
}

/** Encrypted size of a plaintext of `plainBytes` bytes, minus the header (nonce + chunk tags). */
export function payloadOverhead(plainBytes: number): number {
  const chunks = Math.max(1, Math.ceil(plainBytes / (64 * 1024)));
  return 16 + chunks * 16;
}

/**
 * A Transform from plaintext to an age file for these recipients (`age1…`). Throws
 * CofreError INVALID_ARGUMENT at once for an empty list or an invalid recipient (named).
 */
export function createEncryptStream(recipients: readonly string[]): Transform {
  if (recipients.length === 0) {
    throw new CofreError('INVALID_ARGUMENT', 'no age recipient to encrypt to', {
      hint: 'Add at least one public key (age1…) under encryption.recipients.',
    });
  }
  const keys = recipients.map((recipient, index) => {
    try {
      return decodeRecipient(recipient.trim());
    } catch (err) {
      const message = err instanceof CofreError ? err.message : 'invalid recipient';
      throw new CofreError('INVALID_ARGUMENT', `recipient ${index + 1} of ${recipients.length}: ${message}`, {
        hint: 'Each entry of encryption.recipients must be a public key age1… (from `cofre init` or `age-keygen -y`).',
      });
    }
  });
  const fileKey = newFileKey();
  const stanzas: Stanza[] = keys.map((key) => wrapX25519(fileKey, key));
  return new AgeEncryptTransform(fileKey, stanzas);
}

function decodeIdentities(identities: readonly string[]): X25519Identity[] {
  if (identities.length === 0) {
    throw new CofreError('INVALID_ARGUMENT', 'no age identity to decrypt with', {
      hint: 'Set encryption.identityFile to the identity file (AGE-SECRET-KEY-…).',
    });
  }
  return identities.map((identity) => decodeIdentity(identity.trim()));
}

/**
 * A Transform from an age file to its plaintext, using any of these identities
 * (`AGE-SECRET-KEY-1…`). Errors (CofreError DECRYPT_FAILED): no identity matches, header or
 * chunk fails authentication, file truncated. Only authenticated chunks are emitted; a
 * truncation is reported when the input ends, so consumers must treat the stream's error as
 * "discard everything".
 */
export function createDecryptStream(identities: readonly string[]): Transform {
  const keys = decodeIdentities(identities);
  return new AgeDecryptTransform(async (stanzas) => {
    if (stanzas.some((stanza) => stanza.args[0] === 'scrypt')) {
      throw new CofreError('DECRYPT_FAILED', 'this file is passphrase-encrypted, not encrypted to an identity', {
        hint: 'Decrypt it with its passphrase (age -d without -i).',
      });
    }
    for (const stanza of stanzas) {
      if (stanza.args[0] !== 'X25519') continue;
      for (const key of keys) {
        const fileKey = unwrapX25519(stanza, key);
        if (fileKey !== undefined) return fileKey;
      }
    }
    throw new CofreError('DECRYPT_FAILED', "no identity matches this file's recipients", {
      hint: 'Use the identity file whose public key was in encryption.recipients when this set was made.',
    });
  });
}

/** Encrypts a whole buffer (small objects). */
export async function encryptBuffer(plaintext: Buffer, recipients: readonly string[]): Promise<Buffer> {
  return await runTransform(createEncryptStream(recipients), plaintext);
}

/** Decrypts a whole buffer (small objects). */
export async function decryptBuffer(ciphertext: Buffer, identities: readonly string[]): Promise<Buffer> {
  return await runTransform(createDecryptStream(identities), ciphertext);
}
