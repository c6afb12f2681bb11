/** The age identities (private keys) named by the config: needed only to restore and verify deeply. */
import { CofreError } from '../errors.js';
import type { Config } from '../config/schema.js';
import { expandHome } from '../config/paths.js';
import { resolveSecret } from '../config/secrets.js';
import { readFile } from 'node:fs/promises';
import { isEncryptedFile, loadIdentities } from '../crypto/age.js';

/**
 * The identities of encryption.identityFile. A passphrase-encrypted file is opened with the passphrase
 * from encryption.identityPassphraseEnv or, when that is not set and `ask` is given (the CLI on a
 * terminal), with the passphrase typed by the operator.
 */
export async function configuredIdentities(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
  ask?: (question: string, what: string) => Promise<string>,
): Promise<string[]> {
  const enc = config.encryption;
  if (!enc?.identityFile) {
    throw new CofreError('KEY_UNREADABLE', 'the config names no age identity (encryption.identityFile)', {
      hint: 'point encryption.identityFile at the identity created by `cofre init` (or the copy from the safe)',
    });
  }
  const path = expandHome(enc.identityFile);
  const fromEnv = enc.identityPassphraseEnv ? env[enc.identityPassphraseEnv] : undefined;
  if (ask && !fromEnv && isEncryptedFile(await readFile(path).catch(() => Buffer.alloc(0)))) {
    return loadIdentities(path, await ask(`Passphrase for the age identity ${path}: `, `opening ${path}`));
  }
  const passphrase = resolveSecret({ env: enc.identityPassphraseEnv, what: 'encryption.identityPassphraseEnv' }, env);
  return loadIdentities(path, passphrase);
}
