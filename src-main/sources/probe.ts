/**
 * Probes of a source (tool versions, the parts to dump, their estimated sizes) gathered as
 * sections of ONE remote shell script, so that a backup opens one SSH channel for all of them
 * (each channel costs a round trip plus the server's login-shell start-up) — the backup engine
 * runs it as the prelude of the server lock (remote/lock.ts).
 *
 * Each step prints `@@<nonce> <key>`, then the command's stdout and stderr, then
 * `@@<nonce> rc <exit status>`; the nonce is random per run, so no output can fake a marker.
 * The steps are independent and mostly wait (a tool's start-up, a database connection, a
 * walk of the disk), so they run at once, each into its own file of a temp folder, and are
 * printed in order when all are done; where no temp folder can be made they run one by one.
 */
import { randomBytes } from 'node:crypto';
import { CofreError } from '../errors.js';
import { decodeHexName } from './names.js';
import { said } from '../../shared/i18n/catalog.js';

export interface ProbeStep {
  /** unique within one script: letters, digits, `.`, `_`, `-` */
  key: string;
  /** POSIX shell; must not read stdin */
  command: string;
  /** program name for messages */
  label: string;
}

export interface ProbeResult {
  output: string;
  code: number;
}

export type ProbeResults = Map<string, ProbeResult>;

export function newProbeNonce(): string {
  return randomBytes(8).toString('hex');
}

/** `oneByOne`: quick steps (a version, a `df`) cost less one after the other than with a temp folder and a process each. */
export function probeScript(steps: readonly ProbeStep[], nonce: string, opts: { oneByOne?: boolean } = {}): string {
  for (const s of steps) {
    if (!/^[A-Za-z0-9._-]+$/.test(s.key)) throw new CofreError('INTERNAL', `bad probe key ${s.key}`);
  }
  if (steps.length === 0) return ':';
  const mark = (key: string): string => `echo '@@${nonce} ${key}'`;
  const rc = (status: string): string => `printf '\\n@@${nonce} rc %s\\n' ${status}`;
  const sequential = steps.map((s) => `${mark(s.key)}; ( ${s.command}\n) 2>&1; ${rc('"$?"')}`);
  if (opts.oneByOne) return sequential.join('\n');
  const started = steps.map((s, i) => `{ ( ${s.command}\n) >"$d/${i}" 2>&1; echo "$?" >"$d/${i}.rc"; } &`);
  const printed = steps.map((s, i) => `${mark(s.key)}; cat "$d/${i}"; ${rc(`"$(cat "$d/${i}.rc")"`)}`);
  return [
    'if d=$(mktemp -d "${TMPDIR:-/tmp}/cofre-probe.XXXXXX" 2>/dev/null); then',
    // a connection lost mid-probe (SIGHUP) leaves no temp folder behind
    `trap 'rm -rf "$d"; exit 129' HUP; trap 'rm -rf "$d"; exit 143' TERM`,
    ...started,
    'wait',
    ...printed,
    'rm -rf "$d"; trap - HUP TERM',
    'else',
    ...sequential,
    'fi',
  ].join('\n');
}

export function parseProbe(text: string, nonce: string): ProbeResults {
  const out: ProbeResults = new Map();
  const start = `@@${nonce} `;
  const lines = text.split('\n');
  let key: string | undefined;
  let body: string[] = [];
  for (const line of lines) {
    if (!line.startsWith(start)) {
      if (key !== undefined) body.push(line);
      continue;
    }
    const rest = line.slice(start.length);
    const rc = /^rc (\d+)$/.exec(rest);
    if (rc?.[1] !== undefined && key !== undefined) {
      // printf put a newline before the marker: drop it
      if (body.length > 0 && body[body.length - 1] === '') body.pop();
      out.set(key, { output: body.join('\n'), code: Number(rc[1]) });
      key = undefined;
      body = [];
    } else {
      key = rest;
      body = [];
    }
  }
  return out;
}

/** The result of a step, or a REMOTE_COMMAND_FAILED naming the step like a failed `runChecked`. */
export function probeOk(results: ProbeResults, step: Pick<ProbeStep, 'key' | 'label'>, where: string): string {
  const r = results.get(step.key);
  if (!r) {
    throw new CofreError('REMOTE_COMMAND_FAILED', `${step.label} on ${where} gave no answer (the probe script was cut short)`, {
      ...said('source.probeFailed', { command: step.label, server: where }),
      hint: 'check the server and the SSH connection, then run again',
    });
  }
  if (r.code !== 0) {
    const tail = r.output.trim().split('\n').slice(-3).join(' | ') || '(no error output)';
    throw new CofreError('REMOTE_COMMAND_FAILED', `${step.label} on ${where} exited with code ${r.code}: ${tail}`, {
      ...said('source.probeFailed', { command: step.label, server: where }),
      hint: r.code === 127 ? `${step.label} is not installed on the server, or not on the PATH of the SSH user` : 'read the error output; the command ran on the server',
    });
  }
  return r.output;
}

/**
 * What a database source's info query prints, one line each: `v|<server version>` and
 * `d|<bytes>|<hex of the database name's UTF-8>` (bytes -1: the role may not connect to it).
 * Postgres and MySQL alike. Names travel as hex so that no name (with `|`, a line break…) can
 * fake or split a line.
 */
export function parseServerInfo(text: string): { serverVersion: string; sizes: Map<string, number> } {
  const lines = text.split('\n').map((l) => l.trim());
  const serverVersion = (lines.find((l) => l.startsWith('v|')) ?? '').slice(2);
  const sizes = new Map<string, number>();
  for (const line of lines) {
    const m = /^d\|(-?\d+)\|((?:[0-9A-Fa-f]{2})+)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) sizes.set(decodeHexName(m[2]), Number(m[1]));
  }
  return { serverVersion, sizes };
}
