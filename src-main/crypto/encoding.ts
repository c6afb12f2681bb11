/**
 * Canonical encodings used by the age v1 format: standard base64 without padding (strict: a
 * string decodes only if re-encoding gives it back) and the bech32 keys `age1…` /
 * `AGE-SECRET-KEY-1…`.
 */
import { bech32 } from '@scure/base';

const B64_CHARS = /^[A-Za-z0-9+/]*$/;

export function b64Encode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

/** Strict, canonical, unpadded standard base64, or undefined. */
export function b64Decode(text: string): Buffer | undefined {
  if (!B64_CHARS.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return b64Encode(bytes) === text ? bytes : undefined;
}

export const RECIPIENT_PREFIX = 'age';
export const IDENTITY_PREFIX = 'AGE-SECRET-KEY-';

/** bech32 (BIP 173 checksum) with no length limit, as age uses it. */
export function bech32Encode(prefix: string, bytes: Uint8Array): string {
  return bech32.encode(prefix.toLowerCase(), bech32.toWords(bytes), false);
}

/**
 * Decodes a bech32 string whose prefix must be `prefix` (compared case-insensitively; the
 * caller checks the case it requires). Returns undefined on any malformed input.
 */
export function bech32Decode(prefix: string, text: string): Uint8Array | undefined {
  try {
    const decoded = bech32.decode(text, false);
    if (decoded.prefix !== prefix.toLowerCase()) return undefined;
    return bech32.fromWords(decoded.words);
  } catch {
    return undefined;
  }
}
