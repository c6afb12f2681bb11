/**
 * Files source: one tar stream (POSIX/pax format: permissions, owners, mtimes, symlinks and
 * non-ASCII names preserved) of the listed paths, with excludes. GNU tar's exit 1 ("file
 * changed as we read it") is a warning, not a failure: the live server keeps writing.
 */
import type { FilesSourceConfig } from '../config/schema.js';
import type { RemoteHost } from '../remote/types.js';
import { shJoin } from '../remote/shell.js';
import { CofreError } from '../errors.js';
import { TarCounter } from './tar-counter.js';
import { lastLines } from './postgres.js';
import type { DumpPart, RunningDump, ToolInfo } from './types.js';

export function filesParts(): DumpPart[] {
  return [{ part: 'files', format: 'tar' }];
}

export async function filesToolInfo(host: RemoteHost): Promise<ToolInfo> {
  const r = await host.runChecked('tar --version', { label: 'tar' });
  return { tool: 'tar', toolVersion: (r.stdout.split('\n')[0] ?? '').trim() };
}

export function tarCreateArgs(src: FilesSourceConfig): string[] {
  const rel = src.paths.map((p) => p.replace(/^\/+/, '') || '.');
  return ['tar', '--create', '--file=-', '--format=posix', '--sparse', '-C', '/', ...src.exclude.map((e) => `--exclude=${e}`), '--', ...rel];
}

export async function startFilesDump(host: RemoteHost, src: FilesSourceConfig): Promise<RunningDump> {
  const missing = await host.run(`for p in ${shJoin(src.paths)}; do [ -e "$p" ] || echo "$p"; done`);
  const absent = missing.stdout.split('\n').filter(Boolean);
  if (absent.length > 0) {
    throw new CofreError('REMOTE_COMMAND_FAILED', `path${absent.length > 1 ? 's' : ''} not found on the server: ${absent.join(', ')}`, {
      hint: 'fix the paths of the files source in the config',
    });
  }
  const p = host.exec(shJoin(tarCreateArgs(src)), { label: 'tar', okCodes: [0, 1] });
  const counter = new TarCounter();
  p.stdout.on('error', (err) => counter.destroy(err));
  p.stdout.pipe(counter);
  const finished = p.done.then((r) => {
    if (r.code !== 0 && r.code !== 1) {
      throw new CofreError('REMOTE_COMMAND_FAILED', `tar failed (exit ${r.code ?? r.signal}): ${lastLines(r.stderr)}`, {
        hint: 'check that the backup user can read every file under the listed paths',
      });
    }
    return {
      fileCount: counter.counts.entries,
      fileBytes: counter.counts.fileBytes,
      warnings: r.code === 1 ? [`tar: some files changed while they were read: ${lastLines(r.stderr, 2)}`] : [],
    };
  });
  return { stream: counter, finished, cancel: () => p.cancel() };
}
