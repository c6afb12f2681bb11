/**
 * X25519 keys for age: raw 32-byte keys imported into node:crypto through DER, the bech32
 * forms `age1…` (recipient) and `AGE-SECRET-KEY-1…` (identity), and the stanza wrap/unwrap
 * of the file key (spec: age-encryption.org/v1, "The X25519 recipient type").
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  timingSafeEqual,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CofreError } from '../errors.js';
import { IDENTITY_PREFIX, RECIPIENT_PREFIX, b64Decode, b64Encode, bech32Decode, bech32Encode } from './encoding.js';
import type { Stanza } from './header.js';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const X25519_LABEL = 'age-encryption.org/v1/X25519';
const ZERO_NONCE = Buffer.alloc(12);

export interface X25519Identity {
  privateKey: KeyObject;
  /** the raw 32-byte public key (the recipient) */
  publicKey: Buffer;
}

function privateKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function rawPublic(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

function rawPrivate(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'pkcs8' });
  return der.subarray(der.length - 32);
}

export function encodeRecipient(publicKey: Uint8Array): string {
  return bech32Encode(RECIPIENT_PREFIX, publicKey);
}

export function encodeIdentity(privateKey: Uint8Array): string {
  return bech32Encode(IDENTITY_PREFIX, privateKey).toUpperCase();
}

/** The raw public key of an `age1…` recipient; CofreError INVALID_ARGUMENT if malformed. */
export function decodeRecipient(text: string): Buffer {
  const raw = text === text.toLowerCase() ? bech32Decode(RECIPIENT_PREFIX, text) : undefined;
  if (raw === undefined || raw.length !== 32) {
    throw new CofreError('INVALID_ARGUMENT', `"${shorten(text)}" is not a valid age X25519 recipient`, {
      hint: 'A recipient is a public key like age1… (one line printed by `age-keygen` or `cofre init`).',
    });
  }
  return Buffer.from(raw);
}

/** Parses `AGE-SECRET-KEY-1…`; CofreError INVALID_ARGUMENT if malformed (never echoes the key). */
export function decodeIdentity(text: string): X25519Identity {
  const raw = text === text.toUpperCase() ? bech32Decode(IDENTITY_PREFIX, text) : undefined;
  if (raw === undefined || raw.length !== 32) {
    throw new CofreError('INVALID_ARGUMENT', 'an identity is not a valid age X25519 secret key', {
      hint: 'An identity is one line AGE-SECRET-KEY-1… as written by `age-keygen` or `cofre init`.',
    });
  }
  const privateKey = privateKeyFromRaw(raw);
  return { privateKey, publicKey: rawPublic(createPublicKey(privateKey)) };
}

export function generateIdentity(): { identity: string; recipient: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { identity: encodeIdentity(rawPrivate(privateKey)), recipient: encodeRecipient(rawPublic(publicKey)) };
}

export function recipientFromIdentity(identity: string): string {
  return encodeRecipient(decodeIdentity(identity).publicKey);
}

function wrapKey(sharedSecret: Buffer, ephemeralShare: Buffer, recipient: Buffer): Buffer {
  const salt = Buffer.concat([ephemeralShare, recipient]);
  return Buffer.from(hkdfSync('sha256', sharedSecret, salt, X25519_LABEL, 32));
}

function isAllZero(bytes: Buffer): boolean {
  return timingSafeEqual(bytes, Buffer.alloc(bytes.length));
}

/** One `-> X25519 <share>` stanza wrapping fileKey for the recipient's raw public key. */
export function wrapX25519(fileKey: Buffer, recipient: Buffer): Stanza {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const share = rawPublic(publicKey);
  const shared = diffieHellman({ privateKey, publicKey: publicKeyFromRaw(recipient) });
  if (isAllZero(shared)) throw new CofreError('INVALID_ARGUMENT', 'the recipient key is a low-order point');
  const cipher = createCipheriv('chacha20-poly1305', wrapKey(shared, share, recipient), ZERO_NONCE, { authTagLength: 16 });
  const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
  return { args: ['X25519', b64Encode(share)], body };
}

/**
 * Tries to open an X25519 stanza with an identity: the file key, or undefined if the stanza
 * is for someone else. A structurally invalid X25519 stanza is an error (the spec says so).
 */
export function unwrapX25519(stanza: Stanza, identity: X25519Identity): Buffer | undefined {
  const share = stanza.args.length === 2 ? b64Decode(stanza.args[1] ?? '') : undefined;
  if (share === undefined || share.length !== 32 || stanza.body.length !== 32) {
    throw new CofreError('DECRYPT_FAILED', 'the file has a malformed X25519 recipient stanza', {
      hint: 'The file is damaged or not a valid age file.',
    });
  }
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: identity.privateKey, publicKey: publicKeyFromRaw(share) });
  } catch {
    return undefined;
  }
  if (isAllZero(shared)) {
    throw new CofreError('DECRYPT_FAILED', 'the file has an X25519 stanza with a low-order share', {
      hint: 'The file is damaged or was crafted; it is not a valid age file.',
    });
  }
  const decipher = createDecipheriv('chacha20-poly1305', wrapKey(shared, share, identity.publicKey), ZERO_NONCE, {
    authTagLength: 16,
  });
  decipher.setAuthTag(stanza.body.subarray(16));
  try {
    return Buffer.concat([decipher.update(stanza.body.subarray(0, 16)), decipher.final()]);
  } catch {
    return undefined;
  }
}

function shorten(text: string): string {
  // Never echo a secret key that was pasted where a recipient belongs.
  if (/^age-secret-key-/i.test(text.trim())) return '(a secret key, AGE-SECRET-KEY-…)';
  return text.length > 70 ? `${text.slice(0, 67)}…` : text;
}
