/**
 * `cofre trust <server>`: shows the server's SHA-256 host-key fingerprint and pins it in the
 * config after confirmation (or --yes). A changed key is never replaced silently.
 */
import { accessSync, constants } from 'node:fs';
import { CofreError } from '../../errors.js';
import { sshServerConfig, serverSpec } from '../../app/servers.js';
import { fetchHostKeyFingerprint } from '../../remote/ssh.js';
import { connectServer } from '../../remote/connect.js';
import { setConfigValue } from '../../config/edit.js';
import { expandHome } from '../../config/paths.js';
import { confirm } from '../prompt.js';
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';

export interface TrustResult {
  server: string;
  host: string;
  port: number;
  fingerprint: string;
  algorithm: string;
  pinned: boolean;
  changed: boolean;
  login: { ok: boolean; message: string };
}

export async function runTrust(ctx: AppContext, out: Output, name: string, opts: { yes: boolean; replace: boolean }): Promise<TrustResult> {
  const server = sshServerConfig(ctx.config, name, '`cofre trust`');
  const keyFile = expandHome(server.privateKeyFile);
  try {
    accessSync(keyFile, constants.R_OK);
  } catch {
    throw new CofreError('KEY_UNREADABLE', `servers.${name}.privateKeyFile: cannot read ${keyFile}`, {
      hint: 'check the path and permissions of the private key (ssh-keygen -t ed25519 creates one)',
    });
  }
  const { fingerprint, algorithm } = await fetchHostKeyFingerprint(server.host, server.port);
  const changed = server.hostKey !== undefined && server.hostKey !== fingerprint;
  if (server.hostKey === fingerprint) {
    out.log(`${name} (${server.host}:${server.port}) is already pinned to ${fingerprint}`);
  } else {
    if (changed) {
      out.log(`WARNING: the host key of ${name} CHANGED.\n  pinned:  ${server.hostKey}\n  offered: ${fingerprint}`);
      if (!opts.replace) {
        throw new CofreError('HOST_KEY_MISMATCH', `the host key of ${name} (${server.host}:${server.port}) is ${fingerprint}, but ${server.hostKey} is pinned`, {
          hint: 'if the server was reinstalled, check the new fingerprint on its console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and run `cofre trust --replace`',
        });
      }
    }
    out.log(`${name} (${server.host}:${server.port}) presents ${algorithm} key ${fingerprint}`);
    const ok = await confirm(`Pin this fingerprint for "${name}"?`, { yes: opts.yes, what: `trusting ${name}` });
    if (!ok) throw new CofreError('CANCELLED', 'not pinned: the operator declined', { hint: 'compare the fingerprint with the server console and try again' });
    setConfigValue(ctx.configPath, ['servers', name, 'hostKey'], fingerprint);
    ctx.reloadConfig();
    ctx.catalog.audit(ctx.actor, changed ? 'server.hostkey.replace' : 'server.hostkey.pin', name, { fingerprint, previous: server.hostKey ?? null });
  }
  const login = await testLogin(ctx, name);
  return { server: name, host: server.host, port: server.port, fingerprint, algorithm, pinned: true, changed, login };
}

async function testLogin(ctx: AppContext, name: string): Promise<{ ok: boolean; message: string }> {
  try {
    const host = await connectServer(serverSpec(ctx.config, name, ctx.env));
    try {
      const r = await host.run('id -un');
      return { ok: true, message: `login as ${r.stdout.trim()} works` };
    } finally {
      host.close();
    }
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

export function printTrust(out: Output, r: TrustResult): void {
  out.result(r, () =>
    [`Pinned ${r.server}: ${r.fingerprint}`, r.login.ok ? `SSH login: ${r.login.message}` : `SSH login FAILED: ${r.login.message}`].join('\n'),
  );
}
