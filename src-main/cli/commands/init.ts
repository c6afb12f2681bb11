/** `cofre init`: writes a starter config and creates an age identity (prints its recipient). */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CofreError } from '../../errors.js';
import { generateIdentity, isEncryptedFile, parseIdentityFile, recipientFromIdentity, writeIdentityFile } from '../../crypto/age.js';
import { starterConfig } from '../../config/starter.js';
import { parseConfigText } from '../../config/load.js';
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';

export interface InitOptions {
  force?: boolean;
  identity?: string;
  storagePath?: string;
}

export interface InitResult {
  config: string;
  identityFile: string;
  recipient: string;
  identityCreated: boolean;
}

export async function runInit(ctx: AppContext, opts: InitOptions): Promise<InitResult> {
  const configPath = ctx.configPath;
  if (existsSync(configPath) && !opts.force) {
    throw new CofreError('PRECONDITION', `a config already exists at ${configPath}`, {
      hint: 'edit it, or pass --force to replace it (the identity file is never overwritten)',
    });
  }
  const identityFile = resolve(opts.identity ?? join(ctx.home, 'identity.txt'));
  let recipient: string;
  let identityCreated = false;
  if (existsSync(identityFile)) {
    const content = readFileSync(identityFile);
    if (isEncryptedFile(content)) {
      throw new CofreError('PRECONDITION', `${identityFile} is a passphrase-protected identity`, {
        hint: 'write its public key (age1…) under encryption.recipients yourself, or pass --identity with another path',
      });
    }
    const [identity] = parseIdentityFile(content.toString('utf8'));
    recipient = recipientFromIdentity(identity as string);
  } else {
    const generated = generateIdentity();
    await writeIdentityFile(identityFile, generated.identity, generated.recipient);
    recipient = generated.recipient;
    identityCreated = true;
  }
  const text = starterConfig({ recipient, identityFile, storagePath: resolve(opts.storagePath ?? join(ctx.home, 'storage')) });
  parseConfigText(text, configPath); // the starter must always be valid
  mkdirSync(dirname(configPath), { recursive: true });
  writeFileSync(configPath, text, { mode: 0o600 });
  ctx.catalog.audit(ctx.actor, 'config.init', configPath, { recipient, identityCreated });
  return { config: configPath, identityFile, recipient, identityCreated };
}

export function printInit(out: Output, r: InitResult): void {
  out.result(r, () =>
    [
      `Config written: ${r.config}`,
      r.identityCreated ? `Age identity created: ${r.identityFile} (mode 0600)` : `Age identity reused: ${r.identityFile}`,
      `Public recipient: ${r.recipient}`,
      '',
      'Keep a copy of the identity file offline (e.g. printed, in the safe): without it no backup can be restored.',
      'Next: edit the config (server, sources, storage), then run `cofre trust clinica`.',
    ].join('\n'),
  );
}
