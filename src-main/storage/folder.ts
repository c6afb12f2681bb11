/**
 * Folder backend: a local disk or a mounted NAS. Objects are plain files under
 * `<path>/<prefix>/<key>`. Writes are atomic: a temp file in the same directory, fsync,
 * rename over the final name, fsync of the directory. The top folder (`path`) must
 * already exist: Cofre creates folders below it but never the top one, so that a NAS that
 * is not mounted fails loudly instead of silently filling the local disk.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { Readable, addAbortSignal } from 'node:stream';
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import { isReservedKey, normalizePrefix, RESERVED_NAME_PREFIX, validateKey, validateListPrefix } from './keys.js';
import { StreamMeter, putFailure } from './meter.js';
import type { FolderStorageSpec, GetOptions, ObjectInfo, PutOptions, Storage, StoredObject } from './types.js';

const FILE_MODE = 0o600;

export class FolderStorage implements Storage {
  readonly name: string;
  readonly describe: string;
  private readonly root: string;
  /** `<path>/<prefix>`: where keys start */
  private readonly base: string;

  constructor(spec: FolderStorageSpec) {
    this.name = spec.name;
    this.root = spec.path;
    const prefix = normalizePrefix(spec.prefix);
    this.base = prefix === '' ? spec.path : join(spec.path, ...prefix.split('/'));
    this.describe = `folder ${this.base}`;
  }

  async check(): Promise<void> {
    await this.requireRoot();
    const probe = join(this.base, `${RESERVED_NAME_PREFIX}check-${randomBytes(6).toString('hex')}`);
    let handle: FileHandle | undefined;
    try {
      await mkdir(this.base, { recursive: true });
      handle = await open(probe, 'wx', FILE_MODE);
      await handle.write(Buffer.from('cofre write check\n'));
      await handle.sync();
    } catch (err) {
      throw this.fsError(err, 'write a test file in', this.base);
    } finally {
      await handle?.close().catch(() => undefined);
      await unlink(probe).catch(() => undefined);
    }
  }

  async put(key: string, body: Readable, opts: PutOptions = {}): Promise<StoredObject> {
    validateKey(key);
    const meter = new StreamMeter(opts.onBytes);
    const signal = opts.signal;
    const finalPath = this.pathOf(key);
    const dir = dirname(finalPath);
    const tmpPath = join(dir, `${RESERVED_NAME_PREFIX}tmp-${basename(finalPath)}-${randomBytes(6).toString('hex')}`);
    let handle: FileHandle | undefined;
    let tmpCreated = false;
    try {
      await this.requireRoot();
      await mkdir(dir, { recursive: true });
      handle = await open(tmpPath, 'wx', FILE_MODE);
      tmpCreated = true;
      for await (const chunk of meter.chunks(body, signal)) {
        await writeAll(handle, chunk);
      }
      await handle.sync();
      await handle.close();
      handle = undefined;
      if (signal?.aborted) throw new Error('aborted');
      await rename(tmpPath, finalPath);
      tmpCreated = false;
      await syncDir(dir);
      return { key, bytes: meter.bytes, sha256: meter.digest() };
    } catch (err) {
      if (!body.destroyed) body.destroy();
      throw putFailure(meter, signal, key, () => this.fsError(err, 'write', finalPath));
    } finally {
      await handle?.close().catch(() => undefined);
      if (tmpCreated) await unlink(tmpPath).catch(() => undefined);
    }
  }

  async putBytes(key: string, data: Uint8Array): Promise<StoredObject> {
    return await this.put(key, Readable.from([Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    validateKey(key);
    const path = this.pathOf(key);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      throw this.fsError(err, 'read', path, key);
    }
    const stream = handle.createReadStream({ highWaterMark: 1024 * 1024 });
    return opts.signal === undefined ? stream : addAbortSignal(opts.signal, stream);
  }

  async getBytes(key: string): Promise<Buffer> {
    validateKey(key);
    const path = this.pathOf(key);
    try {
      return await readFile(path);
    } catch (err) {
      throw this.fsError(err, 'read', path, key);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key);
    const path = this.pathOf(key);
    let info: Stats;
    try {
      info = await stat(path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') {
        await this.requireRoot();
        return undefined;
      }
      throw this.fsError(err, 'read', path);
    }
    return info.isFile() ? { key, bytes: info.size, lastModified: info.mtime } : undefined;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    validateListPrefix(prefix);
    await this.requireRoot();
    // Walk only the deepest folder the prefix names, then filter by the string prefix.
    const slash = prefix.lastIndexOf('/');
    const startRel = slash < 0 ? '' : prefix.slice(0, slash);
    const found: ObjectInfo[] = [];
    await this.walk(startRel, prefix, found);
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* found;
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) validateKey(key);
    const dirs = new Set<string>();
    for (const key of keys) {
      const path = this.pathOf(key);
      try {
        await unlink(path);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') continue;
        throw this.fsError(err, 'delete', path);
      }
      dirs.add(dirname(path));
    }
    // Remove folders left empty (a pruned set's folder), deepest first, never `base` itself.
    const sorted = [...dirs].sort((a, b) => b.length - a.length);
    for (const dir of sorted) await this.removeEmptyParents(dir);
    for (const dir of sorted) {
      const parent = dirname(dir);
      if (parent === this.base || parent.startsWith(this.base + sep)) await syncDir(parent).catch(() => undefined);
    }
  }

  close(): void {
    // nothing to release
  }

  private pathOf(key: string): string {
    return join(this.base, ...key.split('/'));
  }

  private async requireRoot(): Promise<void> {
    let info: Stats;
    try {
      info = await stat(this.root);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') {
        throw new CofreError('STORAGE_FAILED', `storage "${this.name}": folder ${this.root} does not exist`, {
          ...said('storage.folderMissing', { storage: this.name, path: this.root }),
          hint: `create it or mount the disk/NAS there (Cofre does not create the top folder, so an unmounted NAS is noticed), or fix storage.${this.name}.path in the config`,
        });
      }
      throw this.fsError(err, 'open', this.root);
    }
    if (!info.isDirectory()) {
      throw new CofreError('STORAGE_FAILED', `storage "${this.name}": ${this.root} is not a folder`, {
        ...said('storage.notFolder', { storage: this.name, path: this.root }),
        hint: `point storage.${this.name}.path at a folder`,
      });
    }
  }

  private async walk(rel: string, prefix: string, out: ObjectInfo[]): Promise<void> {
    const dir = rel === '' ? this.base : join(this.base, ...rel.split('/'));
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw this.fsError(err, 'list', dir);
    }
    for (const entry of entries) {
      const key = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (isReservedKey(key)) continue;
      if (entry.isDirectory()) {
        // descend only where keys can still match the prefix
        const asDir = `${key}/`;
        if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) await this.walk(key, prefix, out);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        try {
          const info = await stat(join(dir, entry.name));
          out.push({ key, bytes: info.size, lastModified: info.mtime });
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') throw this.fsError(err, 'list', dir);
        }
      }
    }
  }

  private async removeEmptyParents(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.base + sep)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone): stop here
      }
      current = dirname(current);
    }
  }

  private fsError(err: unknown, action: string, path: string, key?: string): CofreError {
    if (err instanceof CofreError) return err;
    const code = errnoCode(err);
    const where = `storage "${this.name}"`;
    switch (code) {
      case 'ENOSPC':
        return new CofreError('STORAGE_FAILED', `${where}: disk full on ${this.root} (could not ${action} ${path})`, {
          ...said('storage.full', { storage: this.name }),
          hint: 'free space on that disk, shorten retention, or point the storage at a larger disk',
          cause: err,
        });
      case 'EDQUOT':
        return new CofreError('STORAGE_FAILED', `${where}: disk quota exceeded on ${this.root} (could not ${action} ${path})`, {
          ...said('storage.full', { storage: this.name }),
          hint: 'raise the quota of the user running Cofre or free space',
          cause: err,
        });
      case 'EACCES':
      case 'EPERM':
        return new CofreError('STORAGE_FAILED', `${where}: permission denied to ${action} ${path}`, {
          ...said('storage.denied', { storage: this.name }),
          hint: `give the user running Cofre (uid ${process.getuid?.() ?? '?'}) read and write access to ${this.root}`,
          cause: err,
        });
      case 'EROFS':
        return new CofreError('STORAGE_FAILED', `${where}: ${this.root} is on a read-only file system`, {
          ...said('storage.readOnly', { storage: this.name }),
          hint: 'remount it read-write or choose another folder',
          cause: err,
        });
      case 'ENOENT':
        if (key !== undefined) {
          return new CofreError('STORAGE_FAILED', `${where}: object ${key} does not exist in ${this.describe}`, {
            ...said('storage.objectMissing', { storage: this.name }),
            hint: 'list the sets again (`cofre sets`); the object may have been pruned or never written',
            cause: err,
          });
        }
        break;
      case 'EIO':
      case 'ESTALE':
      case 'ENOTCONN':
      case 'EHOSTDOWN':
        return new CofreError('STORAGE_UNREACHABLE', `${where}: I/O error on ${path} (${code})`, {
          ...said('storage.ioError', { storage: this.name }),
          hint: 'check the disk or the NAS mount (network, power), then run the backup again',
          cause: err,
        });
      default:
        break;
    }
    const detail = err instanceof Error ? err.message : String(err);
    return new CofreError('STORAGE_FAILED', `${where}: could not ${action} ${path}: ${detail}`, { ...said('storage.failed', { storage: this.name }), cause: err });
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/** fsync a directory so a rename in it survives a power cut (not supported everywhere). */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = errnoCode(err);
    // Windows and some network file systems cannot open/fsync a directory.
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF' && code !== 'ENOTSUP') throw err;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
