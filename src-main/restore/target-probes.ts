/**
 * The restore target's probes (tool versions, `df`, `[ -e … ]`) asked in one remote command: each
 * SSH command opens a session (a round trip, and a login shell the server starts), which the
 * preflight used to pay once per probe. The script is the backup's (sources/probe.ts), its steps
 * one by one: these are quick, and one by one writes nothing on the target.
 * `answering` wraps the host so that `run` of one of those commands (no stdin, no env) gets its
 * answer: the step's output (stdout and stderr together, as the script gives them) as stdout,
 * and as stderr too when it failed (the checks' messages quote stderr); every other call, and a
 * probe the script did not answer, goes to the host.
 */
import { newProbeNonce, parseProbe, probeScript } from '../sources/probe.js';
import type { RemoteHost, RunOptions, RunResult } from '../remote/types.js';

/** The answers of one probe script, by command; a probe the script did not answer is left out. */
export async function runProbes(host: RemoteHost, commands: readonly string[]): Promise<Map<string, RunResult>> {
  const unique = [...new Set(commands)];
  const answers = new Map<string, RunResult>();
  if (unique.length === 0) return answers;
  const nonce = newProbeNonce();
  const r = await host.run(probeScript(unique.map((command, i) => ({ key: `p${i}`, label: 'probe', command })), nonce, { oneByOne: true }), { label: 'preflight probes' });
  const results = parseProbe(r.stdout, nonce);
  unique.forEach((command, i) => {
    const a = results.get(`p${i}`);
    if (a) answers.set(command, { stdout: a.output, stderr: a.code === 0 ? '' : a.output, code: a.code });
  });
  return answers;
}

/** The host, with `run(command)` answered from a probe script when it holds that command (asked without stdin or env). */
export function answering(host: RemoteHost, answers: ReadonlyMap<string, RunResult>): RemoteHost {
  return {
    name: host.name, host: host.host, port: host.port, user: host.user, hostKeyFingerprint: host.hostKeyFingerprint,
    get connected() { return host.connected; },
    closed: host.closed,
    exec: (command, opts) => host.exec(command, opts),
    run: (command: string, opts?: RunOptions) => {
      const a = !opts?.stdin && !opts?.env ? answers.get(command) : undefined;
      return a ? Promise.resolve({ ...a }) : host.run(command, opts);
    },
    runChecked: (command, opts) => host.runChecked(command, opts),
    close: () => host.close(),
  };
}
