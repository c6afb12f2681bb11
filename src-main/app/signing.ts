/**
 * Manifest signing (backup hosts: `encryption.signingKeyFile`) and set authentication (every
 * workstation: `encryption.signers`). A set is authentic only when its `manifest.json.sig` is a
 * valid SSHSIG (namespace cofre-manifest) over the exact manifest bytes by a listed signer and its
 * createdAt is not in the future. Without signers nothing is authentic: every set lists as
 * unsigned and the hint says to configure signing. Format-1 sets (made before signing existed) are
 * authentic once `cofre adopt` has deep-verified and signed them.
 *
 * Every listing goes through `setAuthenticator` (via `listSetsOf` / `refreshSetsCache` in
 * backup/sets.ts), so no caller can list sets without it.
 */
import { readFile, stat } from 'node:fs/promises';
import { CofreError, toErrorInfo } from '../errors.js';
import type { Config } from '../config/schema.js';
import { expandHome } from '../config/paths.js';
import { resolveSecret } from '../config/secrets.js';
import { manifestSigKey, MANIFEST_SIG } from '../backup/layout.js';
import type { SetAuthenticator } from '../backup/sets.js';
import { fingerprint, signSshsig, verifySshsig, type SigningKey } from '../crypto/sshsig.js';

/** How far in the future a set's createdAt may lie (clock skew between hosts) before it is unsigned. */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;
/** A real signature is a few hundred bytes; anything far larger is not read. */
const MAX_SIG_BYTES = 64 * 1024;

export const CONFIGURE_SIGNING_HINT = 'configure manifest signing: run `cofre init` on the backup host (it writes encryption.signingKeyFile and encryption.signers), then copy its signers line into encryption.signers on every workstation';

/**
 * Reads the signing key named by the config. Fails (KEY_UNREADABLE, naming the file) when none is
 * configured, the file is missing, unreadable, open to other users, not an ed25519 key, or its
 * public key is not among encryption.signers (its sets would list as unsigned).
 */
export async function loadSigningKey(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<SigningKey> {
  const enc = config.encryption;
  if (!enc?.signingKeyFile) {
    throw new CofreError('KEY_UNREADABLE', 'the config names no signing key (encryption.signingKeyFile): backups must sign their manifests', {
      hint: `${CONFIGURE_SIGNING_HINT} (or: ssh-keygen -t ed25519 -f ~/.config/cofre/signing_key, then set signingKeyFile and add its .pub line to signers)`,
    });
  }
  const path = expandHome(enc.signingKeyFile);
  let text: Buffer;
  let mode: number;
  try {
    text = await readFile(path);
    mode = (await stat(path)).mode;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CofreError('KEY_UNREADABLE', code === 'ENOENT' ? `the signing key ${path} does not exist` : `the signing key ${path} cannot be read (${code ?? 'error'})`, {
      hint: code === 'ENOENT'
        ? 'restore the key file from the backup host (or make a new one with `ssh-keygen -t ed25519 -f FILE` and add its .pub line to encryption.signers)'
        : 'check the file permissions: the user running Cofre must be able to read it (mode 0600)',
      cause: err,
    });
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new CofreError('KEY_UNREADABLE', `the signing key ${path} is accessible by other users (mode ${(mode & 0o777).toString(8)}); refusing to use an unprotected private key`, {
      hint: `run: chmod 600 ${path}`,
    });
  }
  const passphrase = resolveSecret({ env: enc.signingKeyPassphraseEnv, what: 'encryption.signingKeyPassphraseEnv' }, env);
  const { parseSigningKey } = await import('../crypto/ssh-key-file.js');
  const key = parseSigningKey(text, path, passphrase);
  const own = key.publicLine.split(' ').slice(0, 2).join(' ');
  if (!enc.signers.some((line) => line.trim().split(/\s+/).slice(0, 2).join(' ') === own)) {
    throw new CofreError('KEY_UNREADABLE', `the signing key ${path} (${fingerprint(key.publicLine) ?? '?'}) is not among encryption.signers: its sets would be listed as unsigned`, {
      hint: `add its public key line to encryption.signers: "${key.publicLine}"`,
    });
  }
  return key;
}

/** The `manifest.json.sig` text for these exact manifest bytes. */
export function signManifest(manifestBytes: Buffer, key: SigningKey): Buffer {
  return Buffer.from(signSshsig(manifestBytes, key), 'utf8');
}

/**
 * `manifest.json.sig.next`: the signature of a manifest `cofre repack` is about to write, stored
 * before it (and removed once manifest.json.sig is replaced): so a repack stopped at any point
 * leaves the set authentic, whichever of the old or the new manifest is in place.
 */
export const MANIFEST_SIG_NEXT = `${MANIFEST_SIG}.next`;

async function nextSignature(storage: Parameters<SetAuthenticator>[0]['storage'], setId: string, objects: ReadonlyMap<string, number>): Promise<string | undefined> {
  const key = `${manifestSigKey(setId)}.next`;
  const size = objects.get(key);
  if (size === undefined || size > MAX_SIG_BYTES) return undefined;
  try {
    return (await storage.getBytes(key)).toString('utf8');
  } catch (err) {
    throw new CofreError('STORAGE_FAILED', `${storage.describe}: the signature of set ${setId} could not be read: ${toErrorInfo(err).message}`, {
      hint: 'check the storage and list again', cause: err,
    });
  }
}

/** Authenticates sets against `encryption.signers` (see the module comment). */
export function setAuthenticator(config: Config, now: () => Date): SetAuthenticator {
  const signers = config.encryption?.signers ?? [];
  return async ({ setId, manifest, manifestBytes, objects, storage }) => {
    if (signers.length === 0) {
      return { ok: false, problem: `no signers are configured, so no set can be authenticated; ${CONFIGURE_SIGNING_HINT}` };
    }
    const sigKey = manifestSigKey(setId);
    const sigBytes = objects.get(sigKey);
    if (sigBytes === undefined) {
      return {
        ok: false,
        problem: manifest.format === 'cofre-set/1'
          ? `made before manifest signing (no ${MANIFEST_SIG}): run \`cofre adopt\` to deep-verify and sign it`
          : `no signature (${MANIFEST_SIG} is missing): not made by a configured signer`,
      };
    }
    if (sigBytes > MAX_SIG_BYTES) return { ok: false, problem: `${MANIFEST_SIG} has ${sigBytes} bytes: not a signature` };
    let sig: Buffer;
    try {
      sig = await storage.getBytes(sigKey);
    } catch (err) {
      // Not knowing is not "unsigned" (retention deletes unsigned sets past the window): fail the listing.
      throw new CofreError('STORAGE_FAILED', `${storage.describe}: the signature of set ${setId} could not be read: ${toErrorInfo(err).message}`, {
        hint: 'check the storage and list again', cause: err,
      });
    }
    let verdict = verifySshsig(manifestBytes, sig.toString('utf8'), signers);
    if (!verdict.ok) {
      // `cofre repack` replaces a signed manifest in three puts (sig.next, manifest, sig): between
      // the last two, the manifest's signature is the one in sig.next (files2/repack.ts)
      const next = await nextSignature(storage, setId, objects);
      if (next !== undefined && verifySshsig(manifestBytes, next, signers).ok) verdict = { ok: true, signer: '' };
    }
    if (!verdict.ok) return { ok: false, problem: `bad signature: ${verdict.problem}` };
    const created = Date.parse(manifest.createdAt);
    if (Number.isNaN(created) || created > now().getTime() + FUTURE_TOLERANCE_MS) {
      return { ok: false, problem: `its createdAt (${manifest.createdAt}) lies in the future: a signed set cannot come from the future (check the clocks, or the signing key leaked)` };
    }
    return { ok: true };
  };
}
