/** Storage layout (DESIGN.md): `sets/<setId>/<source>.<part>.<format>.age`, `sets/<setId>/manifest.json` and its `.sig`. */
import { randomBytes } from 'node:crypto';
import { SET_ID_PATTERN } from '../../shared/domain.js';

export const SETS_PREFIX = 'sets/';
export const MANIFEST = 'manifest.json';

/** `YYYYMMDDTHHMMSSZ-<6 hex>`: sorts by time. */
export function newSetId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function setIdTime(setId: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(setId);
  if (!m) throw new Error(`not a set id: ${setId}`);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
}

export function isSetId(s: string): boolean {
  return SET_ID_PATTERN.test(s);
}

export function setPrefix(setId: string): string {
  return `${SETS_PREFIX}${setId}/`;
}

export function objectKey(setId: string, name: string): string {
  return `${setPrefix(setId)}${name}`;
}

export function manifestKey(setId: string): string {
  return objectKey(setId, MANIFEST);
}

/** The manifest's OpenSSH signature (SSHSIG, namespace cofre-manifest), written just before the manifest. */
export const MANIFEST_SIG = 'manifest.json.sig';

export function manifestSigKey(setId: string): string {
  return objectKey(setId, MANIFEST_SIG);
}
