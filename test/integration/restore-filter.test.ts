/**
 * Issue 15, single-file restore: a few members of a big pack are filtered on the backup host, so
 * only their bytes cross SSH to the target (counted on the stdin of the target's tar, over the
 * harness sshd), and they are placed exactly as a whole-pack restore places them: content, modes,
 * mtimes, hard links, a sparse file, a symlink. A full restore still sends the pack whole. A pack
 * read that comes back truncated or corrupted fails clearly and leaves nothing placed, no stage.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { Transform, pipeline, type Readable } from 'node:stream';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { configuredIdentities } from '../../src-main/app/identity.js';
import { connectServer } from '../../src-main/remote/connect.js';
import type { ExecOptions, RemoteHost } from '../../src-main/remote/types.js';
import { FolderStorage } from '../../src-main/storage/folder.js';
import type { GetOptions, Storage } from '../../src-main/storage/types.js';
import { restoreFilesV2 } from '../../src-main/files2/restore.js';
import type { Manifest, ManifestObject, ManifestRef, Progress } from '../../shared/domain.js';
import { filesPlanFixture, makeRestoreRoot, type Fixture } from '../support/backup-fixture.js';
import { sh } from '../support/compare.js';
import { FaultyStorage, type Fault } from '../support/faulty-storage.js';

const h = inject('harness');

/** The harness host, with the bytes written to each `tar (pack)` command's stdin counted. */
function countingHost(host: RemoteHost, sent: number[]): RemoteHost {
  const exec = (command: string, opts: ExecOptions = {}): ReturnType<RemoteHost['exec']> => {
    if (!opts.stdin || opts.label !== 'tar (pack)') return host.exec(command, opts);
    const i = sent.push(0) - 1;
    const counter = new Transform({ transform(chunk: Buffer, _e, cb) { sent[i] = (sent[i] ?? 0) + chunk.length; cb(null, chunk); } });
    return host.exec(command, { ...opts, stdin: pipeline(opts.stdin, counter, () => undefined) });
  };
  return {
    name: host.name, host: host.host, port: host.port, user: host.user, hostKeyFingerprint: host.hostKeyFingerprint,
    get connected() { return host.connected; },
    exec,
    run: (c, o) => host.run(c, o),
    runChecked: (c, o) => host.runChecked(c, o),
    close: () => host.close(),
    closed: host.closed,
  };
}

/** Storage whose reads trickle (≈ 8 MB/s), so progress is reported several times during one pack. */
class SlowStorage extends FaultyStorage {
  constructor(inner: Storage) {
    super(inner, []);
  }

  override async get(key: string, opts?: GetOptions): Promise<Readable> {
    const body = await super.get(key, opts);
    const slow = new Transform({
      transform(chunk: Buffer, _e, cb) {
        const step = (at: number): void => {
          if (at >= chunk.length) { cb(); return; }
          this.push(chunk.subarray(at, at + 65536));
          setTimeout(() => step(at + 65536), 8);
        };
        step(0);
      },
    });
    return pipeline(body, slow, () => undefined);
  }
}

interface Meta {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtimeNs: string;
  sha256?: string;
  target?: string;
  /** hard links: the first path (sorted) with the same inode */
  linkedTo?: string;
  /** a file with holes: fewer bytes allocated than its size */
  sparse?: boolean;
}

function metadata(root: string): Meta[] {
  const out: Meta[] = [];
  const inodes = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const st = lstatSync(full, { bigint: true });
      const m: Meta = { path: relative(root, full), type: 'file', mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs.toString() };
      if (st.isSymbolicLink()) out.push({ ...m, type: 'symlink', mode: 0, target: readlinkSync(full) });
      else if (st.isDirectory()) {
        out.push({ ...m, type: 'dir' });
        walk(full);
      } else {
        m.sha256 = createHash('sha256').update(readFileSync(full)).digest('hex');
        if (st.size > 0n && st.blocks * 512n < st.size) m.sparse = true;
        const first = inodes.get(st.ino.toString());
        if (first) m.linkedTo = first;
        else inodes.set(st.ino.toString(), m.path);
        out.push(m);
      }
    }
  };
  walk(root);
  return out;
}

describe('granular restore filters big packs on the backup host (real sshd, folder storage, age, zstd, tar)', () => {
  let fx: Fixture;
  let uploads: string;
  let restoreRoot: string;
  let host: RemoteHost;
  let identities: string[];
  let index: Pick<ManifestObject, 'key' | 'sha256'>;
  let packs: ManifestRef[];
  const target = 'laudos/alvo.dcm';
  const targetBytes = 3 * 1024 * 1024;

  beforeAll(async () => {
    restoreRoot = makeRestoreRoot('filter');
    fx = await filesPlanFixture(h, { plan: 'soarquivos', storage: 'nas', restoreRoot, largeBytes: 1024 * 1024 });
    uploads = join(fx.filesDir, 'uploads');
    // one pack (64 MB target) holds everything: the asked folder is a small part of it
    mkdirSync(join(uploads, 'laudos', 'sub'), { recursive: true });
    mkdirSync(join(uploads, 'outros'));
    for (let i = 0; i < 60; i++) writeFileSync(join(uploads, 'outros', `o${i}.bin`), randomBytes(200_000));
    writeFileSync(join(uploads, target), randomBytes(targetBytes));
    chmodSync(join(uploads, target), 0o640);
    utimesSync(join(uploads, target), new Date('2024-05-06T07:08:09.123Z'), new Date('2024-05-06T07:08:09.123Z'));
    linkSync(join(uploads, target), join(uploads, 'laudos', 'sub', 'alvo-dura.dcm'));
    writeFileSync(join(uploads, 'laudos', 'copia.dcm'), readFileSync(join(uploads, 'outros', 'o7.bin'))); // content shared with a file not asked
    writeFileSync(join(uploads, 'laudos', 'roda.sh'), '#!/bin/sh\necho ok\n', { mode: 0o755 });
    chmodSync(join(uploads, 'laudos', 'roda.sh'), 0o755);
    writeFileSync(join(uploads, 'laudos', 'vazio.txt'), '');
    symlinkSync('alvo.dcm', join(uploads, 'laudos', 'atalho'));
    sh(`truncate -s 2M ${JSON.stringify(join(uploads, 'laudos', 'esparso.img'))} && printf 'meio' | dd of=${JSON.stringify(join(uploads, 'laudos', 'esparso.img'))} bs=1 seek=1000000 conv=notrunc status=none`);
    utimesSync(join(uploads, 'laudos', 'sub'), new Date('2023-01-01T00:00:00Z'), new Date('2023-01-01T00:00:00Z'));
    const c = new AppContext({ env: fx.env });
    try {
      const r = await runBackup(c, 'soarquivos');
      expect(r.error).toBeUndefined();
      const manifest = JSON.parse(readFileSync(join(fx.folderStorage, 'sets', r.setId, 'manifest.json'), 'utf8')) as Manifest;
      if (manifest.format !== 'cofre-set/2') throw new Error('not format 2');
      const object = manifest.sources.flatMap((s) => s.objects).find((o) => o.format === 'files-v2');
      if (!object) throw new Error('no format-2 index');
      index = object;
      packs = manifest.packs ?? [];
      identities = await configuredIdentities(c.config, fx.env);
    } finally {
      c.close();
    }
    expect(packs).toHaveLength(1);
    host = await connectServer({ name: 'alvo', host: h.ssh.host, port: h.ssh.port, user: h.ssh.user, privateKeyFile: h.ssh.privateKeyPath, hostKey: h.ssh.hostKeyFingerprint });
  });

  afterAll(() => {
    host?.close();
    if (restoreRoot) rmSync(restoreRoot, { recursive: true, force: true });
  });

  const restore = async (name: string, paths: string[] | undefined, sent: number[], opts: { storage?: Storage; onProgress?: (p: Progress) => void; filterAtMost?: number } = {}): Promise<string> => {
    const destination = join(restoreRoot, name);
    await restoreFilesV2({
      storage: opts.storage ?? new FolderStorage({ type: 'folder', name: 'nas', path: fx.folderStorage }),
      host: countingHost(host, sent), identities, destination, index, packs, paths, label: 'arquivos',
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.filterAtMost !== undefined ? { filterAtMost: opts.filterAtMost } : {}),
    });
    return destination;
  };
  const packBytes = (): number => packs[0]?.bytes ?? 0;

  it('one file: only its bytes cross SSH; content, mode and mtime as on the server; progress counts the whole pack read', async () => {
    const sent: number[] = [];
    const progress: Progress[] = [];
    const slow = new SlowStorage(new FolderStorage({ type: 'folder', name: 'nas', path: fx.folderStorage }));
    const dest = await restore('um', [join(uploads, target)], sent, { storage: slow, onProgress: (p) => progress.push(p) });
    expect(packBytes()).toBeGreaterThan(5 * targetBytes);
    // one pack, filtered: the member, its header and the end-of-archive blocks, nothing of the 60 others
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeGreaterThanOrEqual(targetBytes);
    expect(sent[0]).toBeLessThanOrEqual(targetBytes + 4096);
    const placed = metadata(join(dest, uploads));
    const source = metadata(uploads);
    expect(placed.filter((m) => m.type === 'file')).toEqual(source.filter((m) => m.path === target));
    expect(readdirSync(join(dest, uploads))).toEqual(['laudos']);
    // progress is the storage read (the whole pack), not what crossed SSH
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((p) => p.phase === 'transfer' && p.totalBytes === packBytes() && p.bytes <= packBytes())).toBe(true);
    expect(Math.max(...progress.map((p) => p.bytes))).toBeGreaterThan(sent[0] ?? 0);
  });

  it('a folder (hard links, sparse file, symlink, shared content, empty file, modes, mtimes) is placed as on the server, filtered', async () => {
    const sent: number[] = [];
    const dest = await restore('pasta', [join(uploads, 'laudos')], sent);
    const asked = (m: Meta): boolean => m.path === 'laudos' || m.path.startsWith('laudos/');
    const placed = metadata(join(dest, uploads));
    expect(placed.filter(asked)).toEqual(metadata(uploads).filter(asked));
    expect(placed.find((m) => m.path === 'laudos/esparso.img')?.sparse).toBe(true);
    expect(placed.find((m) => m.path === 'laudos/sub/alvo-dura.dcm')?.linkedTo).toBe(target);
    expect(existsSync(join(dest, uploads, 'outros'))).toBe(false);
    // the asked contents (3 MiB, 2 MiB sparse, 200 KB shared) and their headers, not the pack's 13 MB
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeLessThanOrEqual(targetBytes + 2 * 1024 * 1024 + 200_000 + 5 * 4096);
    expect(readdirSync(dest).filter((n) => n.startsWith('.cofre-stage'))).toEqual([]);
  });

  it('a folder from a pack sent whole: tar on the target writes only the members named by their short ids (`<prefix>*`), staged under them', async () => {
    const sent: number[] = [];
    // filtering never pays: the pack crosses whole, its members named to GNU tar as patterns
    const dest = await restore('nomeados', [join(uploads, 'laudos')], sent, { filterAtMost: 0 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeGreaterThan(packBytes() * 0.99);
    const asked = (m: Meta): boolean => m.path === 'laudos' || m.path.startsWith('laudos/');
    expect(metadata(join(dest, uploads)).filter(asked)).toEqual(metadata(uploads).filter(asked));
    expect(existsSync(join(dest, uploads, 'outros'))).toBe(false);
    expect(readdirSync(dest).filter((n) => n.startsWith('.cofre-stage'))).toEqual([]);
  });

  it('a full restore still sends the pack whole (compressed, decompressed on the target) and places everything', async () => {
    const sent: number[] = [];
    const dest = await restore('tudo', undefined, sent);
    expect(sent).toHaveLength(1);
    // the decrypted pack: its stored size less age's header and tags
    expect(sent[0]).toBeGreaterThan(packBytes() * 0.99);
    expect(sent[0]).toBeLessThan(packBytes());
    const asked = (m: Meta): boolean => !m.path.endsWith('.tmp');
    expect(metadata(join(dest, uploads)).filter(asked)).toEqual(metadata(uploads).filter(asked));
  });

  it.each<[Fault['kind'], RegExp]>([
    ['truncated', /failed authentication at its end .*truncated or tampered/],
    ['corrupted', /failed authentication .*truncated or tampered/],
  ])('a %s pack read fails clearly; nothing is placed and no stage is left on the target', async (kind, message) => {
    const sent: number[] = [];
    const faulty = new FaultyStorage(new FolderStorage({ type: 'folder', name: 'nas', path: fx.folderStorage }), [{ kind, ops: ['get'], key: 'packs/' }]);
    const err = await restore(`falha-${kind}`, [join(uploads, target)], sent, { storage: faulty }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(message);
    expect(faulty.hits.some((x) => x.key.startsWith('packs/'))).toBe(true);
    const dest = join(restoreRoot, `falha-${kind}`);
    const left = existsSync(dest) ? readdirSync(dest, { recursive: true }).map(String) : [];
    expect(left).toEqual([]);
  });
});
