/**
 * `cofre files <setId>`: the file entries of a set's files sources. Format 2 reads (and
 * decrypts) only the index; a format-1 set streams its one tar and lists its members.
 */
import { createHash } from 'node:crypto';
import { Transform, pipeline } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import { CofreError } from '../errors.js';
import type { Storage } from '../storage/types.js';
import type { Manifest, ManifestObject } from '../../shared/domain.js';
import { createDecryptStream } from '../crypto/age.js';
import type { EntryType } from './index-format.js';
import { PathSelection, scanIndex, selectOrFail } from './restore.js';

export type FileEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface SetFileEntry {
  source: string;
  /** absolute path on the server */
  path: string;
  type: FileEntryType;
  size: number;
  /** ISO instant */
  mtime: string;
  /** permission bits, octal, e.g. `0644` */
  mode: string;
}

const TYPE_NAMES: Record<EntryType, FileEntryType> = { f: 'file', d: 'dir', l: 'symlink', h: 'hardlink', o: 'other' };

function isoOf(mtime: string): string {
  return new Date(Math.floor(Number(mtime) * 1000)).toISOString();
}

export async function listSetFiles(storage: Storage, manifest: Manifest, identities: readonly string[], prefix: string | undefined): Promise<SetFileEntry[]> {
  if (prefix !== undefined && !prefix.startsWith('/')) {
    throw new CofreError('INVALID_ARGUMENT', `--path ${prefix} is not absolute`, { hint: 'paths are as on the server, e.g. /srv/clinica/uploads' });
  }
  const out: SetFileEntry[] = [];
  const filesSources = manifest.sources.filter((s) => s.type === 'files');
  if (filesSources.length === 0) throw new CofreError('INVALID_ARGUMENT', `set ${manifest.setId} has no files source`, { hint: 'cofre files lists file trees; databases are restored whole' });
  for (const src of filesSources) {
    for (const o of src.objects) {
      if (o.format === 'files-v2') {
        // streamed: only the listed entries are held (the index is hash-checked when it ends)
        const selection = new PathSelection(prefix ? [prefix] : undefined);
        const listed: SetFileEntry[] = [];
        await scanIndex(storage, o, identities, (e) => {
          if (selection.has(e.path)) listed.push({ source: src.name, path: e.path, type: TYPE_NAMES[e.type], size: e.size, mtime: isoOf(e.mtime), mode: e.mode.padStart(4, '0') });
        });
        for (const e of listed) out.push(e);
      } else {
        out.push(...(await tarEntries(storage, src.name, o, identities, prefix)));
      }
    }
  }
  if (prefix !== undefined && out.length === 0) selectOrFail([], [prefix], `set ${manifest.setId}`);
  return out;
}

async function tarEntries(storage: Storage, source: string, o: ManifestObject, identities: readonly string[], prefix: string | undefined): Promise<SetFileEntry[]> {
  if (o.format !== 'tar') throw new CofreError('INVALID_ARGUMENT', `${o.key} is a compressed tar; listing it is not supported`, { hint: 'restore the source whole' });
  const body = await storage.get(o.key);
  const hash = createHash('sha256');
  const hasher = new Transform({ transform(chunk: Buffer, _e, cb) { hash.update(chunk); cb(null, chunk); } });
  let streamError: unknown;
  const plain = pipeline(body, hasher, createDecryptStream(identities), (err) => { if (err) streamError ??= err; });
  const ex = tarExtract();
  plain.on('error', (err) => ex.destroy(err));
  plain.pipe(ex);
  const out: SetFileEntry[] = [];
  for await (const entry of ex) {
    const h = entry.header;
    const path = `/${h.name.replace(/\/+$/, '')}`;
    entry.resume();
    if (prefix !== undefined && !(path === prefix.replace(/\/+$/, '') || path.startsWith(`${prefix.replace(/\/+$/, '')}/`))) continue;
    const type: FileEntryType = h.type === 'file' ? 'file' : h.type === 'directory' ? 'dir' : h.type === 'symlink' ? 'symlink' : h.type === 'link' ? 'hardlink' : 'other';
    out.push({ source, path, type, size: h.size ?? 0, mtime: (h.mtime ?? new Date(0)).toISOString(), mode: ((h.mode ?? 0) & 0o7777).toString(8).padStart(4, '0') });
  }
  if (streamError) throw streamError;
  const sha = hash.digest('hex');
  if (sha !== o.sha256) throw new CofreError('INTEGRITY', `${o.key}: SHA-256 ${sha} differs from the manifest's ${o.sha256}`, { hint: 'the stored object changed after the backup; use another set' });
  // in path order, as format 2 lists them
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
