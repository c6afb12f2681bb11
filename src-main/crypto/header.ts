/**
 * The age v1 header: version line, recipient stanzas, and the `---` line carrying an
 * HMAC-SHA256 of everything before it. Parsing is strict (canonical base64, 64-column body
 * lines, one space between arguments) as the spec requires.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { CofreError } from '../errors.js';
import { b64Decode, b64Encode } from './encoding.js';

export const VERSION_LINE = 'age-encryption.org/v1';
/** A header larger than this is refused (thousands of stanzas; no real file comes close). */
export const MAX_HEADER_BYTES = 1024 * 1024;

export interface Stanza {
  /** type first, then its arguments, e.g. ['X25519', '<share>'] */
  args: string[];
  body: Buffer;
}

export interface ParsedHeader {
  stanzas: Stanza[];
  mac: Buffer;
  /** the header bytes the MAC covers: up to and including `---` */
  macInput: Buffer;
  /** total header length including the MAC line's newline */
  length: number;
}

const ARG = /^[\x21-\x7e]+$/;

export function serializeStanzas(stanzas: readonly Stanza[]): string {
  let text = `${VERSION_LINE}\n`;
  for (const stanza of stanzas) {
    text += `-> ${stanza.args.join(' ')}\n`;
    const b64 = b64Encode(stanza.body);
    // Full 64-column lines, then a final shorter (possibly empty) line.
    for (let i = 0; i + 64 <= b64.length; i += 64) text += `${b64.slice(i, i + 64)}\n`;
    text += `${b64.slice(b64.length - (b64.length % 64))}\n`;
  }
  return `${text}---`;
}

export function headerMac(fileKey: Buffer, macInput: Buffer): Buffer {
  const key = Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), 'header', 32));
  return createHmac('sha256', key).update(macInput).digest();
}

/** The full header (with MAC line and final newline) for these stanzas and file key. */
export function buildHeader(fileKey: Buffer, stanzas: readonly Stanza[]): Buffer {
  const macInput = Buffer.from(serializeStanzas(stanzas), 'latin1');
  return Buffer.concat([macInput, Buffer.from(` ${b64Encode(headerMac(fileKey, macInput))}\n`, 'latin1')]);
}

export function verifyHeaderMac(fileKey: Buffer, header: ParsedHeader): boolean {
  return timingSafeEqual(headerMac(fileKey, header.macInput), header.mac);
}

function malformed(what: string): CofreError {
  return new CofreError('DECRYPT_FAILED', `not a valid age file: ${what}`, {
    hint: 'The object is damaged, truncated, or not an age v1 file.',
  });
}

/**
 * Parses a header from the start of `data`. Returns undefined if more bytes are needed,
 * throws CofreError DECRYPT_FAILED if the bytes cannot be an age v1 header.
 */
export function parseHeader(data: Buffer): ParsedHeader | undefined {
  const version = Buffer.from(`${VERSION_LINE}\n`, 'latin1');
  const prefixLength = Math.min(version.length, data.length);
  if (!data.subarray(0, prefixLength).equals(version.subarray(0, prefixLength))) {
    throw malformed(data.subarray(0, 5).toString('latin1') === '-----' ? 'armored (PEM) files are not supported here' : 'missing the age-encryption.org/v1 version line');
  }
  let pos = version.length;
  const nextLine = (): string | undefined => {
    const end = data.indexOf(0x0a, pos);
    if (end >= MAX_HEADER_BYTES) throw malformed('header too large');
    if (end < 0) {
      if (data.length > MAX_HEADER_BYTES) throw malformed('header too large');
      return undefined;
    }
    const line = data.toString('latin1', pos, end);
    pos = end + 1;
    return line;
  };
  if (data.length < pos) return undefined;
  const stanzas: Stanza[] = [];
  for (;;) {
    const lineStart = pos;
    const line = nextLine();
    if (line === undefined) return undefined;
    if (line.startsWith('---')) {
      if (!line.startsWith('--- ')) throw malformed('bad MAC line');
      const mac = b64Decode(line.slice(4));
      if (mac === undefined || mac.length !== 32) throw malformed('bad MAC line');
      return { stanzas, mac, macInput: data.subarray(0, lineStart + 3), length: pos };
    }
    if (!line.startsWith('-> ')) throw malformed('expected a stanza or the MAC line');
    const args = line.slice(3).split(' ');
    if (args.some((arg) => !ARG.test(arg))) throw malformed('bad stanza arguments');
    const chunks: Buffer[] = [];
    for (;;) {
      const bodyLine = nextLine();
      if (bodyLine === undefined) return undefined;
      if (bodyLine.length > 64) throw malformed('stanza body line longer than 64 columns');
      const bytes = b64Decode(bodyLine);
      if (bytes === undefined) throw malformed('stanza body is not canonical base64');
      chunks.push(bytes);
      if (bodyLine.length < 64) break;
    }
    stanzas.push({ args, body: Buffer.concat(chunks) });
  }
}
