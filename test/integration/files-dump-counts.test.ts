/**
 * A format-1 files dump's counts (the manifest's fileCount and fileBytes, which verify and the
 * restore preflight compare with the stored tar) are those of the whole tar, even when the server's
 * stream has ended while the upload behind it has not read the last bytes: the counts used to be
 * taken then and stopped short (CI: "the tar lists 2533 entries, the manifest 2529").
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from '../harness/index.js';
import { connect, type RemoteHost } from '../../src-main/remote/index.js';
import { startFilesDump } from '../../src-main/sources/files.js';
import { TarCounter } from '../../src-main/sources/tar-counter.js';
import { FilesSourceSchema } from '../../src-main/config/schema.js';

const h = inject('harness');

describe('format-1 files dump counts', () => {
  let host: RemoteHost;
  let dir: string;
  const FILES = 400;

  beforeAll(async () => {
    dir = await tempDir('dumpcounts');
    for (let d = 0; d < 8; d++) {
      mkdirSync(join(dir, `d${d}`));
      for (let f = 0; f < FILES / 8; f++) writeFileSync(join(dir, `d${d}`, `f${f}.bin`), randomBytes(1000 + f * 7));
    }
    host = await connect({ name: 'clinica', host: h.ssh.host, port: h.ssh.port, user: h.ssh.user, privateKeyFile: h.ssh.privateKeyPath, hostKey: h.ssh.hostKeyFingerprint });
  });
  afterAll(() => {
    host?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts every entry of the tar although tar and its stream ended before the upload read the last bytes', async () => {
    const src = FilesSourceSchema.parse({ server: 'clinica', type: 'files', paths: [dir] });
    const dump = await startFilesDump(host, src);
    // what went on to storage, counted as it passes; the upload behind it is slow, so when the
    // server's stream ends the dump's own counter still holds its last chunks unparsed
    const stored = new TarCounter();
    const slowUpload = new Writable({ highWaterMark: 1024, write: (_c, _e, cb) => void setTimeout(cb, 3) });
    const [stats] = await Promise.all([dump.finished, pipeline(dump.stream, stored, slowUpload)]);
    // 8 folders, the top folder and the files
    expect(stored.counts.entries).toBe(FILES + 8 + 1);
    expect(stats.fileCount).toBe(stored.counts.entries);
    expect(stats.fileBytes).toBe(stored.counts.fileBytes);
  }, 60_000);
});
