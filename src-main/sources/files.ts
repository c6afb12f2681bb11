/**
 * Files source: one tar stream (POSIX/pax format: permissions, owners, mtimes, symlinks and
 * non-ASCII names preserved) of the listed paths, with excludes. GNU tar's exit 1 ("file
 * changed as we read it") is a warning, not a failure: the live server keeps writing.
 */
import { finished as streamFinished } from 'node:stream/promises';
import type { FilesSourceConfig } from '../config/schema.js';
import type { RemoteHost } from '../remote/types.js';
import { shJoin } from '../remote/shell.js';
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import { TarCounter } from './tar-counter.js';
import { lastLines } from './postgres.js';
import { probeOk, type ProbeResults, type ProbeStep } from './probe.js';
import type { RunningDump, PreparedSource } from './types.js';

function missingPathsCommand(src: FilesSourceConfig): string {
  return `for p in ${shJoin(src.paths)}; do [ -e "$p" ] || echo "$p"; done`;
}

function missingPathsError(absent: string[]): CofreError {
  return new CofreError('REMOTE_COMMAND_FAILED', `path${absent.length > 1 ? 's' : ''} not found on the server: ${absent.join(', ')}`, {
    ...said('source.pathsMissing', { paths: absent.join(', ') }),
    hint: 'fix the paths of the files source in the config',
  });
}

/**
 * The probe steps of a files source (see probe.ts): tar's version, the paths that do not
 * exist, and with `estimate` the apparent size of the paths (GNU du; it walks the tree, so
 * only asked for when the previous set gives no size).
 */
export function filesProbeSteps(prefix: string, src: FilesSourceConfig, opts: { estimate: boolean }): ProbeStep[] {
  return [
    { key: `${prefix}.tool`, label: 'tar', command: 'tar --version' },
    { key: `${prefix}.missing`, label: 'sh', command: missingPathsCommand(src) },
    ...(opts.estimate ? [{ key: `${prefix}.size`, label: 'du', command: `du -s -B1 --apparent-size -- ${shJoin(src.paths)} 2>/dev/null` }] : []),
  ];
}

export function filesFromProbe(results: ProbeResults, prefix: string, where: string): PreparedSource {
  const toolVersion = (probeOk(results, { key: `${prefix}.tool`, label: 'tar' }, where).split('\n')[0] ?? '').trim();
  const absent = probeOk(results, { key: `${prefix}.missing`, label: 'sh' }, where).split('\n').filter(Boolean);
  if (absent.length > 0) throw missingPathsError(absent);
  // du's exit status is not checked: a file vanishing mid-walk still leaves a usable total
  const du = results.get(`${prefix}.size`);
  let size = 0;
  for (const line of du?.output.split('\n') ?? []) {
    const m = /^(\d+)\s/.exec(line);
    if (m?.[1]) size += Number(m[1]);
  }
  return {
    tool: { tool: 'tar', toolVersion },
    parts: [{ part: 'files', format: 'tar', ...(size > 0 ? { estimatedBytes: size } : {}) }],
  };
}

export function tarCreateArgs(src: FilesSourceConfig): string[] {
  const rel = src.paths.map((p) => p.replace(/^\/+/, '') || '.');
  return ['tar', '--create', '--file=-', '--format=posix', '--sparse', '-C', '/', ...src.exclude.map((e) => `--exclude=${e}`), '--', ...rel];
}

/** Starts tar; `pathsChecked`: the probe already found every path (saves a round trip). */
export async function startFilesDump(host: RemoteHost, src: FilesSourceConfig, opts: { pathsChecked?: boolean } = {}): Promise<RunningDump> {
  if (!opts.pathsChecked) {
    const missing = await host.run(missingPathsCommand(src));
    const absent = missing.stdout.split('\n').filter(Boolean);
    if (absent.length > 0) throw missingPathsError(absent);
  }
  const p = host.exec(shJoin(tarCreateArgs(src)), { label: 'tar', okCodes: [0, 1] });
  const counter = new TarCounter();
  p.stdout.on('error', (err) => counter.destroy(err));
  p.stdout.pipe(counter);
  const finished = p.done.then(async (r) => {
    if (r.code !== 0 && r.code !== 1) {
      throw new CofreError('REMOTE_COMMAND_FAILED', `tar failed (exit ${r.code ?? r.signal}): ${lastLines(r.stderr)}`, {
        ...said('source.tarFailed'),
        hint: 'check that the backup user can read every file under the listed paths',
      });
    }
    // tar's exit can arrive before the counter has parsed the last bytes it wrote (they may still be
    // in flight to it, held back by the upload): the counts are final once its writable side finished
    await streamFinished(counter, { readable: false });
    return {
      fileCount: counter.counts.entries,
      fileBytes: counter.counts.fileBytes,
      warnings: r.code === 1 ? [`tar: some files changed while they were read: ${lastLines(r.stderr, 2)}`] : [],
    };
  });
  return { stream: counter, finished, cancel: () => p.cancel() };
}
