/**
 * `cofre init`: writes a starter config, creates an age identity (prints its recipient; with
 * --passphrase it is stored encrypted with age scrypt) and the ed25519 key that signs manifests
 * (next to the identity, 0600), listed as the config's signer.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { generateSigningKey, parseSigningKey } from '../../crypto/ssh-key-file.js';
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
  /** store the identity encrypted with a passphrase (from $COFRE_IDENTITY_PASSPHRASE, else asked twice on the terminal) */
  passphrase?: boolean;
}

export interface InitResult {
  config: string;
  identityFile: string;
  recipient: string;
  identityCreated: boolean;
  identityEncrypted: boolean;
  signingKeyFile: string;
  signer: string;
  signingKeyCreated: boolean;
}

/** The environment variable `cofre init --passphrase` reads and names in the config. */
export const IDENTITY_PASSPHRASE_ENV = 'COFRE_IDENTITY_PASSPHRASE';

async function newPassphrase(ctx: AppContext): Promise<string> {
  const fromEnv = ctx.env[IDENTITY_PASSPHRASE_ENV];
  if (fromEnv) return fromEnv;
  const { askSecret } = await import('../prompt.js');
  const first = await askSecret('Passphrase for the age identity: ', 'cofre init --passphrase');
  if (first.length < 8) throw new CofreError('INVALID_ARGUMENT', 'the passphrase is shorter than 8 characters', { hint: 'choose a longer passphrase (a few words)' });
  const second = await askSecret('Same passphrase again: ', 'cofre init --passphrase');
  if (first !== second) throw new CofreError('INVALID_ARGUMENT', 'the two passphrases differ: nothing was written', { hint: 'run cofre init --passphrase again' });
  return first;
}

/** Reuses the signing key next to the identity, or makes one (0600, with its .pub beside it). */
function signingKeyBeside(identityFile: string): { file: string; signer: string; created: boolean } {
  const file = join(dirname(identityFile), 'signing_key');
  if (existsSync(file)) {
    return { file, signer: parseSigningKey(readFileSync(file), file).publicLine, created: false };
  }
  const { privateText, publicLine } = generateSigningKey(`cofre@${hostname()}`);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, privateText, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  writeFileSync(`${file}.pub`, `${publicLine}\n`, { mode: 0o644 });
  return { file, signer: publicLine, created: true };
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
  let identityEncrypted = false;
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
    const passphrase = opts.passphrase ? await newPassphrase(ctx) : undefined;
    await writeIdentityFile(identityFile, generated.identity, generated.recipient, passphrase === undefined ? {} : { passphrase });
    recipient = generated.recipient;
    identityCreated = true;
    identityEncrypted = passphrase !== undefined;
  }
  const signing = signingKeyBeside(identityFile);
  const text = starterConfig({
    recipient, identityFile, storagePath: resolve(opts.storagePath ?? join(ctx.home, 'storage')),
    signingKeyFile: signing.file, signer: signing.signer, identityPassphraseEnv: identityEncrypted ? IDENTITY_PASSPHRASE_ENV : undefined,
  });
  parseConfigText(text, configPath); // the starter must always be valid
  mkdirSync(dirname(configPath), { recursive: true });
  writeFileSync(configPath, text, { mode: 0o600 });
  ctx.catalog.audit(ctx.actor, 'config.init', configPath, { recipient, identityCreated, identityEncrypted, signer: signing.signer, signingKeyCreated: signing.created });
  return {
    config: configPath, identityFile, recipient, identityCreated, identityEncrypted,
    signingKeyFile: signing.file, signer: signing.signer, signingKeyCreated: signing.created,
  };
}

export function printInit(out: Output, r: InitResult): void {
  out.result(r, () =>
    [
      `Config written: ${r.config}`,
      r.identityCreated ? `Age identity created: ${r.identityFile} (mode 0600${r.identityEncrypted ? `, passphrase-encrypted; export ${IDENTITY_PASSPHRASE_ENV} to restore` : ''})` : `Age identity reused: ${r.identityFile}`,
      `Public recipient: ${r.recipient}`,
      r.signingKeyCreated ? `Manifest signing key created: ${r.signingKeyFile} (mode 0600)` : `Manifest signing key reused: ${r.signingKeyFile}`,
      `Signer (copy to encryption.signers on every workstation): ${r.signer}`,
      '',
      'Keep a copy of the identity file offline (e.g. printed, in the safe): without it no backup can be restored.',
      'Keep the signer line with it: it tells a genuine set from a forged one (`cofre runbook` shows how to check).',
      'Next: edit the config (server, sources, storage), then run `cofre trust clinica`.',
    ].join('\n'),
  );
}
