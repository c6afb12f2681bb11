/**
 * What the Cofre benches share: the repository root, a log line, a child process run and timed,
 * the harness sshd with a temp folder, the bench's age identity and signing key, the Cofre config
 * YAML of a files plan, a backup in its own process (bench/files-backup-child.ts, peak RSS), the
 * machine line of a results file, and writing a results file under bench/.
 * Every bench runs under `flock /tmp/cofre-bench.lock …` (one bench at a time on the shared machine).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSshd, stopOnSignal, tempDir, type SshServerHandle } from '../test/harness/index.js';
import { generateIdentity, writeIdentityFile } from '../src-main/crypto/age.js';
import { generateSigningKey } from '../src-main/crypto/ssh-key-file.js';

/** The repository root (the checkout this bench runs from). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A log line on stderr, `[name HH:MM:SS] text`. */
export function logger(name: string): (s: string) => void {
  return (s) => { process.stderr.write(`[${name} ${new Date().toISOString().slice(11, 19)}] ${s}\n`); };
}

export interface RunResult { code: number | null; stdout: string; stderr: string; wallMs: number }

/**
 * A child process, its output collected (stdout whole unless `maxStdout`, the last 20 000 chars of
 * stderr), timed; `onStderrLine` sees stderr as it arrives, a line at a time.
 */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; maxStdout?: number; onStderrLine?: (line: string) => void } = {}): Promise<RunResult> {
  const t0 = performance.now();
  const maxStdout = opts.maxStdout;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = maxStdout === undefined ? stdout + d : (stdout + d).slice(-maxStdout)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-20_000);
      if (opts.onStderrLine) for (const l of d.split('\n')) if (l) opts.onStderrLine(l);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, wallMs: performance.now() - t0 }));
  });
}

export interface BenchHarness {
  ssh: SshServerHandle;
  /** the bench's temp folder */
  dir: string;
  /**
   * A server name of its own: the server-side lock (backup-<server>) would otherwise make this
   * bench wait for any other bench or test backing up a server named alike on this machine.
   */
  server: string;
  /** Stops sshd and drops the signal handler (the temp folder is the bench's to remove). */
  stop: () => Promise<void>;
}

/** The harness sshd (stopped on SIGINT/SIGTERM too) and a temp folder named `prefix…`. */
export async function startBenchHarness(prefix: string): Promise<BenchHarness> {
  const server = `s${randomBytes(3).toString('hex')}`;
  const ssh = await startSshd();
  const keep = stopOnSignal(() => ssh.stop());
  const dir = await tempDir(prefix);
  return { ssh, dir, server, stop: async () => { await ssh.stop(); keep(); } };
}

export interface BenchKeys { identity: string; recipient: string; idFile: string; signingKeyFile: string; signer: string }

/** A new age identity (`dir/id.txt`) and signing key (`dir/signing_key`) for the bench's storage. */
export async function benchKeys(dir: string): Promise<BenchKeys> {
  const { identity, recipient } = generateIdentity();
  const idFile = join(dir, 'id.txt');
  await writeIdentityFile(idFile, identity, recipient);
  const signingKeyFile = join(dir, 'signing_key');
  const { privateText, publicLine: signer } = generateSigningKey('cofre-bench');
  writeFileSync(signingKeyFile, privateText, { mode: 0o600 });
  return { identity, recipient, idFile, signingKeyFile, signer };
}

export interface FilesPlanConfig {
  ssh: SshServerHandle;
  server: string;
  keys: BenchKeys;
  /** files sources (format `packs`): name → its folder on the server */
  sources: Record<string, string>;
  /** the folder storage `nas` */
  storage: string;
  /** staging restore targets on the same server: name → filesRoot */
  restoreTargets?: Record<string, string>;
}

/** A Cofre config: one server, files sources in format 2, folder storage `nas`, plan `p` of every source. */
export function filesPlanYaml(c: FilesPlanConfig): string {
  const names = Object.keys(c.sources);
  const targets = Object.entries(c.restoreTargets ?? {});
  return `servers:
  ${c.server}: { host: 127.0.0.1, port: ${c.ssh.port}, user: ${c.ssh.user}, privateKeyFile: ${c.ssh.privateKeyPath}, hostKey: "${c.ssh.hostKeyFingerprint}" }
sources:
${Object.entries(c.sources).map(([name, path]) => `  ${name}: { server: ${c.server}, type: files, paths: [${path}], format: packs }\n`).join('')}storage:
  nas: { type: folder, path: ${c.storage} }
encryption: { recipients: ["${c.keys.recipient}"], identityFile: ${c.keys.idFile}, signingKeyFile: ${c.keys.signingKeyFile}, signers: ["${c.keys.signer}"] }
plans:
  p: { sources: [${names.join(', ')}], storage: nas }
${targets.length > 0 ? `restoreTargets:\n${targets.map(([name, root]) => `  ${name}: { kind: staging, server: ${c.server}, filesRoot: ${root} }\n`).join('')}` : ''}`;
}

export interface BackupChildOut { setId: string; wallMs: number; cpuS: number; maxRssKiB: number; files?: Array<Record<string, number>> }

/**
 * `cofre backup --plan PLAN` in a new process (bench/files-backup-child.ts), so its peak RSS
 * (maxRssKiB) is the backup's alone; throws with the child's output when it fails.
 */
export async function backupInChild(plan: string, env: NodeJS.ProcessEnv, label: string): Promise<BackupChildOut> {
  const r = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'files-backup-child.ts'), plan], { env });
  if (r.code !== 0) throw new Error(`backup ${label} failed: ${r.stdout}\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as BackupChildOut;
}

/** The `machine` of a results file: CPUs, Node, the load averages at the start (when given) and now. */
export function machine(loadAvgAtStart?: number[]): { cpus: number; node: string; loadAvgAtStart?: number[]; loadAvgAtEnd: number[] } {
  return { cpus: cpus().length, node: process.version, ...(loadAvgAtStart ? { loadAvgAtStart } : {}), loadAvgAtEnd: loadavg() };
}

/**
 * The report of a run whose earlier runs are kept: `at`, `machine` (load at start and end),
 * `results`, BENCH_NOTE as `note` when set, then `earlierRuns` (the bench decides how its
 * previous runs are carried over).
 */
export function reportKeepingEarlier<R>(loadAvgAtStart: number[], results: R[], earlierRuns: unknown[]): { at: string; machine: ReturnType<typeof machine>; results: R[]; note?: string; earlierRuns: unknown[] } {
  const note = process.env['BENCH_NOTE'];
  return { at: new Date().toISOString(), machine: machine(loadAvgAtStart), results, ...(note ? { note } : {}), earlierRuns };
}

/** A results file under bench/ as it is now (empty when there is none yet), for its runs to move to `earlierRuns`. */
export function readResults<T extends object>(name: string): Partial<T> {
  const file = join(ROOT, 'bench', name);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Partial<T> : {};
}

/** Writes a results file under bench/ (JSON, two-space indent, final newline). */
export function writeResults(name: string, report: unknown): void {
  writeFileSync(join(ROOT, 'bench', name), `${JSON.stringify(report, null, 2)}\n`);
}
