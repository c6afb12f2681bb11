/** The age identities (private keys) named by the config: needed only to restore and verify deeply. */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { Config } from '../config/schema.js';
import { expandHome } from '../config/paths.js';
import { resolveSecret } from '../config/secrets.js';
import { loadIdentities } from '../crypto/age.js';

export async function configuredIdentities(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const enc = config.encryption;
  if (!enc?.identityFile) {
    throw new CofreError('KEY_UNREADABLE', 'the config names no age identity (encryption.identityFile)', {
      ...said('config.noIdentity'),
      hint: 'point encryption.identityFile at the identity created by `cofre init` (or the copy from the safe)',
    });
  }
  const passphrase = resolveSecret({ env: enc.identityPassphraseEnv, what: 'encryption.identityPassphraseEnv' }, env);
  return loadIdentities(expandHome(enc.identityFile), passphrase);
}
