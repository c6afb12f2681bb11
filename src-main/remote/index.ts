/** The SSH layer: connect to a server, run commands streaming their output, lock the server. */
export { connectServer } from './connect.js';
export { openLocal } from './local.js';
export { connect, fetchHostKeyFingerprint, sha256Fingerprint, normalizeFingerprint } from './ssh.js';
export type { HostKeyInfo } from './fingerprint.js';
export { shq, shJoin, commandLabel } from './shell.js';
export { withRemoteLock } from './lock.js';
export type * from './types.js';
