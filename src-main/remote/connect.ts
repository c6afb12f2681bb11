/** One way to reach any configured server: SSH, or this machine for `kind: local`. */
import { openLocal } from './local.js';
import { connect as connectSsh } from './ssh.js';
import type { ConnectOptions, RemoteHost, ServerSpec } from './types.js';

export function connectServer(spec: ServerSpec, options: ConnectOptions = {}): Promise<RemoteHost> {
  return spec.kind === 'local' ? openLocal(spec) : connectSsh(spec, options);
}
