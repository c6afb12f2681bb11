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

/** How many times a new key is made before giving up (see generateSigningKey). */
const GENERATE_ATTEMPTS = 8;

/**
 * A new ed25519 key pair in OpenSSH format (private file text, optionally passphrase-protected, and
 * public line). ssh2's generator drops a leading zero byte of the 32-byte public key (about 1 key
 * in 256, measured: 6 of 3000), which makes a file neither ssh2 nor OpenSSH can read; every key is
 * therefore read back before it is returned, and a malformed one is replaced by a fresh one.
 */
export function generateSigningKey(comment: string, passphrase?: string): { privateText: string; publicLine: string } {
  for (let attempt = 0; attempt < GENERATE_ATTEMPTS; attempt++) {
    const kp = ssh2.utils.generateKeyPairSync('ed25519', { comment, ...(passphrase ? { passphrase, cipher: 'aes256-ctr', rounds: 16 } : {}) });
    const back = ssh2.utils.parseKey(kp.private, passphrase);
    if (!(back instanceof Error) && back.type === KEY_TYPE && back.getPublicSSH().length === 51) {
      return { privateText: kp.private, publicLine: kp.public.trim() };
    }
  }
  throw new CofreError('INTERNAL', `could not make a readable ed25519 signing key in ${GENERATE_ATTEMPTS} attempts`, {
    hint: 'make one with `ssh-keygen -t ed25519 -f FILE` and point encryption.signingKeyFile at it',
  });
}
