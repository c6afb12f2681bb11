/** Turning ssh2's errors into CofreErrors that say what happened and what to do. */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';

interface Ssh2Error extends Error {
  level?: string;
  code?: string;
}

export interface ConnectContext {
  /** `clinica (203.0.113.10:22)` */
  label: string;
  host: string;
  port: number;
  user?: string;
  keyFile?: string;
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is sshd running on that port?)',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EPIPE: 'connection broken',
};

export function describeConnectError(err: unknown, ctx: ConnectContext): CofreError {
  if (err instanceof CofreError) return err;
  const e = (err instanceof Error ? err : new Error(String(err))) as Ssh2Error;
  const reachHint = `check that the server is on, that ${ctx.host}:${ctx.port} is its SSH address and port, and that no firewall blocks it`;
  if (e.code && NETWORK_CODES[e.code]) {
    return new CofreError('HOST_UNREACHABLE', `cannot reach ${ctx.label}: ${NETWORK_CODES[e.code]}`, { ...said('ssh.unreachable', { server: ctx.label, host: ctx.host, port: ctx.port }), hint: reachHint, cause: e });
  }
  if (e.level === 'client-timeout') {
    return new CofreError('HOST_UNREACHABLE', `${ctx.label} did not complete the SSH handshake in time`, { ...said('ssh.unreachable', { server: ctx.label, host: ctx.host, port: ctx.port }), hint: reachHint, cause: e });
  }
  if (e.level === 'client-dns') {
    return new CofreError('HOST_UNREACHABLE', `cannot resolve the address of ${ctx.label}`, { ...said('ssh.unreachable', { server: ctx.label, host: ctx.host, port: ctx.port }), hint: reachHint, cause: e });
  }
  if (e.level === 'client-authentication') {
    const who = ctx.user ? `user "${ctx.user}"` : 'the user';
    const key = ctx.keyFile ? ` with the key ${ctx.keyFile}` : '';
    return new CofreError('AUTH_FAILED', `${ctx.label} refused the login of ${who}${key}`, {
      ...said('ssh.auth', { server: ctx.label, user: ctx.user ?? '?' }),
      hint: `add the public key${ctx.keyFile ? ` (${ctx.keyFile}.pub)` : ''} to ~${ctx.user ?? ''}/.ssh/authorized_keys on the server, and check the user name`,
      cause: e,
    });
  }
  if (/lost before handshake|protocol|ident/i.test(e.message)) {
    return new CofreError('HOST_UNREACHABLE', `${ctx.label} does not speak SSH (${e.message})`, {
      ...said('ssh.notSsh', { server: ctx.label, port: ctx.port }),
      hint: `check that port ${ctx.port} is the server's SSH port (usually 22), not a database or web port`,
      cause: e,
    });
  }
  if (e.level === 'client-socket') {
    return new CofreError('HOST_UNREACHABLE', `lost the connection to ${ctx.label}: ${e.message}`, { ...said('ssh.lost', { server: ctx.label }), hint: reachHint, cause: e });
  }
  return new CofreError('HOST_UNREACHABLE', `SSH connection to ${ctx.label} failed: ${e.message}`, { ...said('ssh.unreachable', { server: ctx.label, host: ctx.host, port: ctx.port }), hint: reachHint, cause: e });
}
