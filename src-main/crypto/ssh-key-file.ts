/** OpenSSH ed25519 private key files (what `ssh-keygen -t ed25519` writes), read and made with ssh2's utils. */
import { createPrivateKey } from 'node:crypto';
import ssh2 from 'ssh2';
import { CofreError } from '../errors.js';
import { KEY_TYPE, type SigningKey } from './sshsig.js';

/**
 * Reads an OpenSSH ed25519 private key file's text (as `ssh-keygen -t ed25519` writes it),
 * decrypting it with `passphrase` when it is protected. `what` names the file in errors.
 */
export function parseSigningKey(text: string | Buffer, what: string, passphrase?: string): SigningKey {
  const parsed = ssh2.utils.parseKey(text, passphrase);
  if (parsed instanceof Error) {
    const encrypted = /encrypted/i.test(parsed.message) || /passphrase/i.test(parsed.message);
    throw new CofreError('KEY_UNREADABLE', `the signing key ${what} cannot be read: ${parsed.message}`, {
      hint: encrypted
        ? 'set the environment variable named by encryption.signingKeyPassphraseEnv to the key passphrase'
        : 'point encryption.signingKeyFile at an OpenSSH ed25519 private key (`cofre init` makes one; or `ssh-keygen -t ed25519 -f FILE`)',
    });
  }
  if (parsed.type !== KEY_TYPE || !parsed.isPrivateKey()) {
    throw new CofreError('KEY_UNREADABLE', `the signing key ${what} is not an ed25519 private key (it is ${parsed.isPrivateKey() ? 'a private' : 'a public'} ${parsed.type} key)`, {
      hint: 'make one with `ssh-keygen -t ed25519 -f FILE` (or `cofre init`) and point encryption.signingKeyFile at it',
    });
  }
  const publicBlob = parsed.getPublicSSH();
  return {
    privateKey: createPrivateKey(parsed.getPrivatePEM()),
    publicBlob,
    publicLine: `${KEY_TYPE} ${publicBlob.toString('base64')}${parsed.comment ? ` ${parsed.comment}` : ''}`,
  };
}

/** A new ed25519 key pair in OpenSSH format (private file text, optionally passphrase-protected, and public line). */
export function generateSigningKey(comment: string, passphrase?: string): { privateText: string; publicLine: string } {
  const kp = ssh2.utils.generateKeyPairSync('ed25519', { comment, ...(passphrase ? { passphrase, cipher: 'aes256-ctr', rounds: 16 } : {}) });
  return { privateText: kp.private, publicLine: kp.public.trim() };
}
