/**
 * The restore target's probes in one command (restore/target-probes.ts), on a real `kind: local`
 * host (sh on this machine), each command it starts counted: every probe comes back with the
 * exit code and output it gives alone (a failed one's output as stderr too, for the checks'
 * messages), in one command; the answering host serves only those commands asked without stdin
 * or env, and the preflight's df check reads its line from such an answer.
 */
import { describe, it, expect } from 'vitest';
import { Readable } from 'node:stream';
import { openLocal } from '../../src-main/remote/local.js';
import { answering, runProbes } from '../../src-main/restore/target-probes.js';
import { NEAREST_EXISTING, TAR_PROBE } from '../../src-main/restore/preflight.js';
import type { RemoteHost } from '../../src-main/remote/types.js';

/** The host, counting the commands it really starts. */
function counted(host: RemoteHost, started: string[]): RemoteHost {
  return {
    name: host.name, host: host.host, port: host.port, user: host.user, hostKeyFingerprint: host.hostKeyFingerprint,
    get connected() { return host.connected; },
    closed: host.closed,
    exec: (c, o) => { started.push(c); return host.exec(c, o); },
    run: (c, o) => { started.push(c); return host.run(c, o); },
    runChecked: (c, o) => { started.push(c); return host.runChecked(c, o); },
    close: () => host.close(),
  };
}

describe('restore target probes in one command', () => {
  it('each probe keeps its exit code and output; a failed one says why on stderr; one command in all', async () => {
    const local = await openLocal({ kind: 'local', name: 'aqui' });
    try {
      const probes = ['echo um; echo dois', TAR_PROBE, '[ -e /nao/existe ] && echo yes', 'echo aviso >&2; exit 3', NEAREST_EXISTING('/tmp/nao/existe/ainda')];
      const alone = await Promise.all(probes.map((c) => local.run(c)));
      const started: string[] = [];
      const answers = await runProbes(counted(local, started), probes);
      expect(started).toHaveLength(1);
      expect(probes.map((c) => answers.get(c)?.code)).toEqual(alone.map((r) => r.code));
      // df's free space moves between two calls: its mount point does not
      const same = (text: string | undefined, i: number): string | undefined => (i === 4 ? text?.trim().split(/\s+/).pop() : text?.trim());
      expect(probes.map((c, i) => same(answers.get(c)?.stdout, i))).toEqual(alone.map((r, i) => same(`${r.stdout}${r.stderr}`, i)));
      expect(answers.get('echo aviso >&2; exit 3')).toEqual({ stdout: 'aviso', stderr: 'aviso', code: 3 });
      expect(answers.get(TAR_PROBE)?.stdout).toMatch(/^tar \(GNU tar\) \d/);
      expect(answers.get('[ -e /nao/existe ] && echo yes')).toEqual({ stdout: '', stderr: '', code: 1 });
    } finally {
      local.close();
    }
  });

  it('the answering host serves those commands only without stdin or env; anything else runs', async () => {
    const local = await openLocal({ kind: 'local', name: 'aqui' });
    try {
      const answers = await runProbes(local, ['echo uma-vez']);
      const started: string[] = [];
      const host = answering(counted(local, started), answers);
      expect(await host.run('echo uma-vez')).toEqual({ stdout: 'uma-vez', stderr: '', code: 0 });
      expect(started).toEqual([]);
      expect((await host.run('echo uma-vez', { env: { X: '1' } })).stdout).toBe('uma-vez\n');
      expect((await host.run('echo uma-vez', { stdin: Readable.from(['x']) })).stdout).toBe('uma-vez\n');
      expect((await host.run('echo outra')).stdout).toBe('outra\n');
      expect(started).toEqual(['echo uma-vez', 'echo uma-vez', 'echo outra']);
    } finally {
      local.close();
    }
  });

  it('no probes: no command', async () => {
    const started: string[] = [];
    const local = await openLocal({ kind: 'local', name: 'aqui' });
    try {
      expect((await runProbes(counted(local, started), [])).size).toBe(0);
      expect(started).toEqual([]);
    } finally {
      local.close();
    }
  });
});
