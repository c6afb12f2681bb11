/**
 * Several small read-only probes (`tar --version`, `df`, `[ -e … ]`) in one remote command: each
 * SSH command opens a session (a round trip, and a shell the server forks), which a restore's
 * preflight paid once per probe. `runProbes` runs each probe in its own subshell, stdin closed,
 * between marker lines that carry its exit status, and gives back each probe's stdout, stderr and
 * exit code as a command of its own would have. `answering` wraps the host so that `run` of one of
 * those commands (no stdin, no env) gets that answer; every other call goes to the host.
 */
import { randomBytes } from 'node:crypto';
import { shq } from './shell.js';
import type { RemoteHost, RunOptions, RunResult } from './types.js';

/** The answers of one batch, by command; a probe whose markers did not come back is left out. */
export async function runProbes(host: RemoteHost, commands: readonly string[]): Promise<Map<string, RunResult>> {
  const unique = [...new Set(commands)];
  const answers = new Map<string, RunResult>();
  if (unique.length === 0) return answers;
  // a random tag: no probe's output can end another's section
  const tag = `@cofre-probe-${randomBytes(6).toString('hex')}`;
  const script = unique.map((c, i) => [
    `echo ${tag}:${i}; echo ${tag}:${i} >&2`,
    `(eval ${shq(c)}) </dev/null; r=$?`,
    `echo; echo ${tag}:${i}:$r; echo >&2; echo ${tag}:${i}: >&2`,
  ].join('\n')).join('\n');
  const r = await host.run(script, { label: 'preflight probes' });
  unique.forEach((command, i) => {
    const out = section(r.stdout, `${tag}:${i}\n`, new RegExp(`\n${tag}:${i}:(\\d+)\n`));
    if (!out) return;
    // stderr is a tail: a probe whose section scrolled out of it gets none
    const err = section(r.stderr, `${tag}:${i}\n`, new RegExp(`\n${tag}:${i}:\n`));
    answers.set(command, { stdout: out.text, stderr: err?.text ?? '', code: Number(out.end[1]) });
  });
  return answers;
}

function section(text: string, start: string, end: RegExp): { text: string; end: RegExpExecArray } | undefined {
  const from = text.indexOf(start);
  if (from < 0) return undefined;
  const body = text.slice(from + start.length);
  const m = end.exec(body);
  return m ? { text: body.slice(0, m.index), end: m } : undefined;
}

/** The host, with `run(command)` answered from a batch when it holds that command (asked without stdin or env). */
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
