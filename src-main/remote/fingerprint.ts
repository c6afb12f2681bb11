/** Host key fingerprints as OpenSSH prints them, and reading a server's key for `cofre trust`. */
import { createHash } from 'node:crypto';
import { Client } from 'ssh2';
import { CofreError } from '../errors.js';
import { describeConnectError } from './errors.js';

/** `SHA256:<base64 without padding>` of an SSH public key blob (as `ssh-keygen -lf` shows it). */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of a public key blob, e.g. `ssh-ed25519`. */
export function keyAlgorithm(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const length = keyBlob.readUInt32BE(0);
  if (length <= 0 || length > 64 || keyBlob.length < 4 + length) return 'unknown';
  return keyBlob.subarray(4, 4 + length).toString('ascii');
}

/** Accepts `SHA256:abc`, `abc`, with or without `=` padding; returns `SHA256:abc`. */
export function normalizeFingerprint(value: string): string {
  const trimmed = value.trim();
  const body = trimmed.toUpperCase().startsWith('SHA256:') ? trimmed.slice(7) : trimmed;
  return `SHA256:${body.replace(/=+$/, '')}`;
}

export interface HostKeyInfo {
  /** `SHA256:…` */
  fingerprint: string;
  /** e.g. `ssh-ed25519` */
  algorithm: string;
  /** `<algorithm> <base64>` as in known_hosts */
  publicKey: string;
}

/**
 * Connects far enough to see the host key the server presents to Cofre (same algorithm
 * preferences as `connect`), then hangs up before logging in.
 */
export async function fetchHostKeyFingerprint(host: string, port: number, opts: { timeoutMs?: number } = {}): Promise<HostKeyInfo> {
  return await new Promise<HostKeyInfo>((resolve, reject) => {
    const client = new Client();
    let seen: HostKeyInfo | undefined;
    let settled = false;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      client.end();
      if (seen) resolve(seen);
      else reject(err ?? new CofreError('HOST_UNREACHABLE', `${host}:${port} closed the connection before showing its host key`));
    };
    client.on('error', (err) => finish(describeConnectError(err, { label: `${host}:${port}`, host, port })));
    client.on('close', () => finish());
    client.connect({
      host,
      port,
      username: 'cofre-trust',
      readyTimeout: opts.timeoutMs ?? 20_000,
      hostVerifier: (key: Buffer): boolean => {
        seen = { fingerprint: sha256Fingerprint(key), algorithm: keyAlgorithm(key), publicKey: `${keyAlgorithm(key)} ${key.toString('base64')}` };
        // Refuse on purpose: this call only reads the key; nothing logs in.
        setImmediate(() => finish());
        return false;
      },
    });
  });
}
