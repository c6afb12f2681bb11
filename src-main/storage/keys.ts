/**
 * Object keys as the storage API sees them: relative to the storage prefix, `/`-separated,
 * never escaping it. Names starting with `.cofre-` are reserved for the backends' own
 * temporary and probe objects, which `list` hides.
 */
import { CofreError } from '../errors.js';

export const RESERVED_NAME_PREFIX = '.cofre-';
const MAX_KEY_BYTES = 900; // S3 allows 1024 for the full key; leave room for the prefix

function badKey(what: string, key: string, why: string): CofreError {
  return new CofreError('INVALID_ARGUMENT', `invalid storage ${what} ${JSON.stringify(key)}: ${why}`, {
    hint: 'keys are relative paths like "sets/<setId>/<name>", without "..", empty parts or a leading "/"',
  });
}

function checkSegments(what: string, key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw badKey(what, key, `longer than ${MAX_KEY_BYTES} bytes`);
  if (key.includes('\\')) throw badKey(what, key, 'contains a backslash');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw badKey(what, key, 'contains a control character');
  if (key.startsWith('/')) throw badKey(what, key, 'is absolute');
  for (const segment of key.split('/')) {
    if (segment === '') throw badKey(what, key, 'has an empty part');
    if (segment === '.' || segment === '..') throw badKey(what, key, `has a "${segment}" part`);
    if (segment.startsWith(RESERVED_NAME_PREFIX)) throw badKey(what, key, `"${RESERVED_NAME_PREFIX}*" names are reserved`);
  }
}

/** Throws INVALID_ARGUMENT unless `key` is a safe relative object key. */
export function validateKey(key: string): string {
  if (key === '') throw badKey('key', key, 'is empty');
  checkSegments('key', key);
  return key;
}

/** A list prefix: `''`, a key, or a key followed by `/`. */
export function validateListPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  checkSegments('list prefix', prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

/** The configured storage prefix without leading/trailing slashes (`''` for none). */
export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed !== '') checkSegments('prefix', trimmed);
  return trimmed;
}

/** True for names the backends use internally (temp files, probes). */
export function isReservedKey(relativeKey: string): boolean {
  return relativeKey.split('/').some((segment) => segment.startsWith(RESERVED_NAME_PREFIX));
}
