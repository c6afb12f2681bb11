/**
 * Secrets are referenced by the config, never stored in it: an environment variable name or a
 * file readable only by its owner. Messages name the reference, never the value.
 */
import { readFileSync, statSync } from 'node:fs';
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import { expandHome } from './paths.js';

export interface SecretRef {
  env?: string | undefined;
  file?: string | undefined;
  /** config path, for messages, e.g. "sources.banco.passwordEnv" */
  what: string;
}

export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (ref.env) {
    const value = env[ref.env];
    if (value === undefined || value === '') {
      throw new CofreError('SECRET_MISSING', `${ref.what}: environment variable ${ref.env} is not set`, {
        ...said('secret.env', { env: ref.env, what: ref.what }),
        hint: `export ${ref.env}=… in the environment that runs Cofre (for the daemon: its systemd EnvironmentFile)`,
      });
    }
    return value;
  }
  if (ref.file) {
    const path = expandHome(ref.file);
    let mode: number;
    try {
      mode = statSync(path).mode;
    } catch {
      throw new CofreError('SECRET_MISSING', `${ref.what}: secret file ${path} does not exist`, { ...said('secret.file', { path, what: ref.what }), hint: 'create it with mode 0600' });
    }
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new CofreError('SECRET_MISSING', `${ref.what}: secret file ${path} is readable by other users`, {
        ...said('secret.fileMode', { path }),
        hint: `run: chmod 600 ${path}`,
      });
    }
    return readFileSync(path, 'utf8').trim();
  }
  return undefined;
}
