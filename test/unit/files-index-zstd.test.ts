/**
 * The stored index of a format-2 set is age over zstd (`<source>.index.zst.age`) or, in sets made
 * before indexes were compressed (or with compress off), age over the text (`<source>.index.age`).
 * Readers decide by the key only: both read back exactly; bytes that do not match their key's
 * kind fail clearly (never guessed); without zstd here a compressed index says what to install.
 * Real age encryption, real `zstd` CLI, a folder storage in a temp folder.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { encryptBuffer, generateIdentity } from '../../src-main/crypto/age.js';
import { FolderStorage } from '../../src-main/storage/folder.js';
import { formatIndex, isCompressedIndex, type IndexEntry } from '../../src-main/files2/index-format.js';
import { indexKey } from '../../src-main/files2/backup.js';
import { readIndex } from '../../src-main/files2/restore.js';

const entry = (path: string, size: number, cid: string): IndexEntry => ({
  type: 'f', path, mode: '644', uid: 1000, gid: 1000, owner: 'clinica', group: 'clinica', mtime: '1764660000.1234567890', size,
  target: '', linkGroup: 0, sparse: false, cid, pack: `${'a'.repeat(32)}.tar.zst.age`, member: cid,
});

describe('format-2 index: compressed (.index.zst.age) and uncompressed (.index.age) read by their key', () => {
  let dir: string;
  let storage: FolderStorage;
  const { identity, recipient } = generateIdentity();
  const entries = Array.from({ length: 2000 }, (_, i) => entry(`/srv/clínica/exames/p${i % 20}/laudo ${i}.pdf`, 1000 + i, createHash('sha256').update(String(i)).digest('hex')));
  const text = Buffer.from(formatIndex(entries), 'utf8');

  const store = async (key: string, plain: Buffer): Promise<{ key: string; sha256: string }> => {
    const sealed = await encryptBuffer(plain, [recipient]);
    const stored = await storage.put(key, Readable.from([sealed]));
    return { key, sha256: stored.sha256 };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cofre-index-zstd-'));
    storage = new FolderStorage({ type: 'folder', name: 'nas', path: dir });
  });
  afterAll(() => {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the compressed index .index.zst.age and the uncompressed one .index.age', () => {
    expect(indexKey('20261202T080000Z-abc123', 'arquivos', true)).toBe('sets/20261202T080000Z-abc123/arquivos.index.zst.age');
    expect(indexKey('20261202T080000Z-abc123', 'arquivos', false)).toBe('sets/20261202T080000Z-abc123/arquivos.index.age');
    expect(isCompressedIndex('sets/x/arquivos.index.zst.age')).toBe(true);
    expect(isCompressedIndex('sets/x/arquivos.index.age')).toBe(false);
  });

  it('reads both kinds back exactly', async () => {
    const zst = execFileSync('zstd', ['-q', '-c', '-1'], { input: text });
    expect(zst.length).toBeLessThan(text.length / 2);
    const compressed = await store('sets/s1/arquivos.index.zst.age', zst);
    const plain = await store('sets/s0/arquivos.index.age', text);
    expect(await readIndex(storage, compressed, [identity])).toEqual(entries);
    expect(await readIndex(storage, plain, [identity])).toEqual(entries);
  });

  it('decides by the key, never by the bytes: plain text under .zst.age and zstd under .age both fail', async () => {
    const textAsZst = await store('sets/s2/arquivos.index.zst.age', text);
    await expect(readIndex(storage, textAsZst, [identity])).rejects.toThrow(/arquivos\.index\.zst\.age does not decompress \(zstd: /);
    const zstAsText = await store('sets/s3/arquivos.index.age', execFileSync('zstd', ['-q', '-c'], { input: text }));
    await expect(readIndex(storage, zstAsText, [identity])).rejects.toThrow(/line 1 of a files index is not valid/);
  });

  it('a compressed index with no zstd on this computer: a clear error that says what to install', async () => {
    const ref = await store('sets/s4/arquivos.index.zst.age', execFileSync('zstd', ['-q', '-c'], { input: text }));
    const path = process.env['PATH'];
    process.env['PATH'] = join(dir, 'no-tools-here');
    try {
      const err = await readIndex(storage, ref, [identity]).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'PRECONDITION', message: expect.stringMatching(/zstd is not installed on this computer/) as unknown });
    } finally {
      process.env['PATH'] = path;
    }
  });
});
