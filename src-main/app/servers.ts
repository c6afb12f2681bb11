/** Turns a server entry of the config into what the SSH layer needs (secrets resolved). */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { Config, ServerConfig, SshServerConfig } from '../config/schema.js';
import { expandHome } from '../config/paths.js';
import { resolveSecret } from '../config/secrets.js';
import type { ServerSpec } from '../remote/types.js';

export function serverConfig(config: Config, name: string): ServerConfig {
  const server = config.servers[name];
  if (!server) {
    const known = Object.keys(config.servers);
    throw new CofreError('CONFIG_REFERENCE', `"${name}" is not a server in the config; known: ${known.length ? known.join(', ') : '(none)'}`, {
      ...said('config.unknownServer', { name }),
      hint: 'check the name, or add it under servers: in the config',
    });
  }
  return server;
}

/** A server reached over SSH; a `kind: local` one is refused with a message for `what` (e.g. "trust"). */
export function sshServerConfig(config: Config, name: string, what: string): SshServerConfig {
  const server = serverConfig(config, name);
  if (server.kind === 'local') {
    throw new CofreError('INVALID_ARGUMENT', `server "${name}" is kind: local (this machine, no SSH): ${what} does not apply to it`, {
      hint: 'local servers need no host key; use an SSH server entry for a remote machine',
    });
  }
  return server;
}

export function serverSpec(config: Config, name: string, env: NodeJS.ProcessEnv = process.env): ServerSpec {
  const s = serverConfig(config, name);
  if (s.kind === 'local') return { kind: 'local', name };
  const passphrase = resolveSecret({ env: s.privateKeyPassphraseEnv, what: `servers.${name}.privateKeyPassphraseEnv` }, env);
  return {
    kind: 'ssh',
    name,
    host: s.host,
    port: s.port,
    user: s.user,
    privateKeyFile: expandHome(s.privateKeyFile),
    ...(passphrase === undefined ? {} : { privateKeyPassphrase: passphrase }),
    ...(s.hostKey === undefined ? {} : { hostKey: s.hostKey }),
  };
}
