/**
 * OpenSSH signatures (PROTOCOL.sshsig) for ed25519 keys: what `ssh-keygen -Y sign` writes and
 * `ssh-keygen -Y verify` checks. Cofre signs each set's manifest.json with them (namespace
 * `cofre-manifest`, hash sha512), so a technician can check a manifest without Cofre.
 *
 * Blob: "SSHSIG" | uint32 1 | string publickey | string namespace | string reserved |
 *       string hash_algorithm | string signature
 * Signed data: "SSHSIG" | string namespace | string reserved | string hash_algorithm | string H(message)
 * The signature is the SSH encoding `string "ssh-ed25519" | string <64 bytes>`.
 *
 * Signing and verifying use node:crypto; OpenSSH key files are read in ssh-key-file.ts.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export const MANIFEST_NAMESPACE = 'cofre-manifest';
const MAGIC = Buffer.from('SSHSIG', 'latin1');
const VERSION = 1;
const HASH = 'sha512';
export const KEY_TYPE = 'ssh-ed25519';
const ARMOR_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const ARMOR_END = '-----END SSH SIGNATURE-----';

/** A private ed25519 key able to sign, with its public key line (`ssh-ed25519 AAAA… comment`). */
export interface SigningKey {
  privateKey: KeyObject;
  /** the SSH wire encoding of the public key (string "ssh-ed25519" | string 32 bytes) */
  publicBlob: Buffer;
  publicLine: string;
}

function sshString(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new Error('truncated');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }
  string(): Buffer {
    return this.bytes(this.uint32());
  }
  get done(): boolean {
    return this.pos === this.buf.length;
  }
}

/** Parses an ed25519 public key line (`ssh-ed25519 AAAA… [comment]`); undefined if it is not one. */
export function parsePublicKeyLine(line: string): { blob: Buffer; key: KeyObject; comment: string } | undefined {
  const [type, b64, ...rest] = line.trim().split(/\s+/);
  if (type !== KEY_TYPE || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  const blob = Buffer.from(b64, 'base64');
  const raw = ed25519Raw(blob);
  if (!raw) return undefined;
  return { blob, key: publicKeyFromRaw(raw), comment: rest.join(' ') };
}

/** The 32 raw bytes of an ed25519 public key blob, or undefined. */
function ed25519Raw(blob: Buffer): Buffer | undefined {
  try {
    const r = new Reader(blob);
    if (r.string().toString('latin1') !== KEY_TYPE) return undefined;
    const raw = r.string();
    return raw.length === 32 && r.done ? Buffer.from(raw) : undefined;
  } catch {
    return undefined;
  }
}

function publicKeyFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

function signedData(message: Buffer, namespace: string, hash: string): Buffer {
  return Buffer.concat([MAGIC, sshString(namespace), sshString(''), sshString(hash), sshString(createHash(hash).update(message).digest())]);
}

function armor(blob: Buffer): string {
  const b64 = blob.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  return `${ARMOR_BEGIN}\n${lines.join('\n')}\n${ARMOR_END}\n`;
}

/** Signs `message` as `ssh-keygen -Y sign -n <namespace>` does; returns the armored signature text. */
export function signSshsig(message: Buffer, key: SigningKey, namespace: string = MANIFEST_NAMESPACE): string {
  const sig = sign(null, signedData(message, namespace, HASH), key.privateKey);
  const blob = Buffer.concat([
    MAGIC,
    Buffer.from([0, 0, 0, VERSION]),
    sshString(key.publicBlob),
    sshString(namespace),
    sshString(''),
    sshString(HASH),
    sshString(Buffer.concat([sshString(KEY_TYPE), sshString(sig)])),
  ]);
  return armor(blob);
}

export type SshsigVerdict =
  | { ok: true; signer: string }
  | { ok: false; problem: string };

/**
 * Checks an armored SSHSIG over `message`: well formed, of this namespace, made by one of
 * `signers` (public key lines), and cryptographically valid. Never throws.
 */
export function verifySshsig(message: Buffer, signatureText: string, signers: readonly string[], namespace: string = MANIFEST_NAMESPACE): SshsigVerdict {
  const text = signatureText.trim();
  if (!text.startsWith(ARMOR_BEGIN) || !text.endsWith(ARMOR_END)) return { ok: false, problem: 'the signature is not an armored SSH signature' };
  const body = text.slice(ARMOR_BEGIN.length, text.length - ARMOR_END.length).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return { ok: false, problem: 'the signature is not valid base64' };
  let publicBlob: Buffer;
  let sigNamespace: string;
  let hash: string;
  let sigType: string;
  let sig: Buffer;
  try {
    const r = new Reader(Buffer.from(body, 'base64'));
    if (!r.bytes(6).equals(MAGIC)) return { ok: false, problem: 'the signature does not start with SSHSIG' };
    const version = r.uint32();
    if (version !== VERSION) return { ok: false, problem: `the signature has version ${version}, expected ${VERSION}` };
    publicBlob = Buffer.from(r.string());
    sigNamespace = r.string().toString('utf8');
    r.string(); // reserved
    hash = r.string().toString('latin1');
    const inner = new Reader(r.string());
    sigType = inner.string().toString('latin1');
    sig = Buffer.from(inner.string());
    if (!r.done || !inner.done) return { ok: false, problem: 'the signature has trailing bytes' };
  } catch {
    return { ok: false, problem: 'the signature is truncated or malformed' };
  }
  if (sigNamespace !== namespace) return { ok: false, problem: `the signature is for namespace "${sigNamespace}", expected "${namespace}"` };
  if (hash !== 'sha512' && hash !== 'sha256') return { ok: false, problem: `the signature uses an unknown hash "${hash}"` };
  if (sigType !== KEY_TYPE) return { ok: false, problem: `the signature is of type ${sigType}; Cofre accepts ${KEY_TYPE} only` };
  const signer = signers.map((line) => ({ line, parsed: parsePublicKeyLine(line) })).find((s) => s.parsed?.blob.equals(publicBlob));
  if (!signer?.parsed) {
    return { ok: false, problem: `signed by ${blobFingerprint(publicBlob)}, a key that is not among encryption.signers` };
  }
  let good: boolean;
  try {
    good = verify(null, signedData(message, namespace, hash), signer.parsed.key, sig);
  } catch {
    good = false;
  }
  return good ? { ok: true, signer: signer.line } : { ok: false, problem: 'the signature does not match the manifest (altered, or signed over other bytes)' };
}

/** `SHA256:…` fingerprint of a public key line, as ssh-keygen -l prints it (undefined if not ed25519). */
export function fingerprint(line: string): string | undefined {
  const parsed = parsePublicKeyLine(line);
  return parsed ? blobFingerprint(parsed.blob) : undefined;
}

function blobFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
