/**
 * Probes in one remote command (restore preflight): each probe's stdout, stderr and exit code come
 * back as if it had run alone (output without a final newline, empty output, `exit` inside a
 * probe, stdin closed), and the answering host serves only those commands asked without stdin or
 * env. Runs on a real `kind: local` host (sh on this machine); each command it starts is counted.
 */
import { describe, it, expect } from 'vitest';
import { Readable } from 'node:stream';
import { openLocal } from '../../src-main/remote/local.js';
import { answering, runProbes } from '../../src-main/remote/probes.js';
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

describe('runProbes / answering', () => {
  const probes = [
    'echo um; echo dois',
    'printf sem-fim',
    'true',
    'echo aviso >&2; exit 3',
    'command -v tar >/dev/null 2>&1 || exit 127; tar --version 2>&1 | head -n 1',
    'cat; echo fim',
    "printf '%s\\n' '@cofre-probe-x:0:9'",
  ];

  it('gives each probe what it gives alone, in one command', async () => {
    const local = await openLocal({ kind: 'local', name: 'aqui' });
    try {
      const alone = await Promise.all(probes.map((c) => local.run(c)));
      const started: string[] = [];
      const answers = await runProbes(counted(local, started), probes);
      expect(started).toHaveLength(1);
      expect(probes.map((c) => answers.get(c))).toEqual(alone.map((r) => ({ stdout: r.stdout, stderr: r.stderr, code: r.code })));
      expect(answers.get('echo aviso >&2; exit 3')).toEqual({ stdout: '', stderr: 'aviso\n', code: 3 });
      expect(answers.get('printf sem-fim')?.stdout).toBe('sem-fim');
      // stdin is closed: cat ends at once
      expect(answers.get('cat; echo fim')?.stdout).toBe('fim\n');
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
      expect(await host.run('echo uma-vez')).toEqual({ stdout: 'uma-vez\n', stderr: '', code: 0 });
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
