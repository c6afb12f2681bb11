/**
 * The placement sh code (PLACE_SH) that restore.sh and Cofre's restore both run, on its own:
 * a real sh, tar and coreutils place a hand-made index from a stage folder of content ids, and
 * each file must come back with its bytes, mode, mtime (to the nanosecond), owner and links, and
 * nothing else. The tricky cases: files sharing content but not metadata (never hard-linked to
 * each other), the index's hard links (one inode), a hard link whose group's first path is not
 * being restored, a sparse file, names with unicode, spaces, backslashes,
 * newlines, tabs and printf's % signs, empty files and folders, read-only folders, symlinks,
 * setuid modes, owners (as root), and refused paths.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLACE_SH } from '../../src-main/files2/restore-script.js';
import { formatIndex, shortCid, type IndexEntry } from '../../src-main/files2/index-format.js';

const isRoot = process.getuid?.() === 0;
const cidOf = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** Members are staged in a folder per pack (short names are unique within a pack only). */
const PACK = `${'ab'.repeat(16)}.tar.age`;

const base = (path: string, over: Partial<IndexEntry> = {}): IndexEntry => ({
  type: 'f', path, mode: '644', uid: 0, gid: 0, owner: '', group: '', mtime: '1700000000.0000000000', size: 0,
  target: '', linkGroup: 0, sparse: false, cid: '', pack: PACK, member: '', ...over,
});

// a few real processes per case: seconds on a loaded machine
describe('PLACE_SH: one tar stream places what the index says (real sh, tar, coreutils)', { timeout: 120_000 }, () => {
  let dir: string;
  let stage: string;
  let out: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cofre-place-'));
    stage = join(dir, 'out', '.cofre-stage.x');
    out = join(dir, 'out', 'fonte');
    mkdirSync(join(stage, PACK), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Stages a content (as a restore stages a pack's member: under the index's short cid) and returns the file entry fields for it (the /2 form). */
  const content = (data: Buffer | string): Pick<IndexEntry, 'cid' | 'member' | 'size'> => {
    const cid = shortCid(cidOf(data));
    writeFileSync(join(stage, PACK, cid), data);
    return { cid, member: '', size: Buffer.byteLength(data) };
  };
  const place = (entries: IndexEntry[]): ReturnType<typeof spawnSync> => {
    const idx = join(dir, 'index');
    writeFileSync(idx, formatIndex(entries), 'latin1');
    return spawnSync('sh', ['-c', `${PLACE_SH}\nset -eu\ncofre_place "$1" "$2" "$3"\n`, 'sh', idx, stage, out], { encoding: 'utf8' });
  };
  const at = (p: string): string => join(out, p);
  const mtimeNs = (p: string): bigint => lstatSync(at(p), { bigint: true }).mtimeNs;
  const mode = (p: string): number => lstatSync(at(p)).mode & 0o7777;

  it('same content with different (or equal) mtimes and modes: separate files, each with its own metadata', () => {
    const same = content('conteúdo igual nos três\n');
    const r = place([
      base('/srv', { type: 'd', mode: '755', mtime: '1600000000.0000000000' }),
      base('/srv/a', { type: 'd', mode: '750', mtime: '1600000001.0000000000' }),
      base('/srv/a/um.txt', { ...same, mode: '644', mtime: '1700000001.1234567890' }),
      base('/srv/a/tres.txt', { ...same, mode: '644', mtime: '1700000001.1234567890' }),
      base('/srv/b/dois.txt', { ...same, mode: '600', mtime: '1700000002.5000000000' }),
    ]);
    expect(r.status, String(r.stderr)).toBe(0);
    for (const p of ['srv/a/um.txt', 'srv/a/tres.txt', 'srv/b/dois.txt']) {
      expect(readFileSync(at(p), 'utf8')).toBe('conteúdo igual nos três\n');
      expect(statSync(at(p)).nlink, p).toBe(1);
    }
    expect(mode('srv/a/um.txt')).toBe(0o644);
    expect(mode('srv/b/dois.txt')).toBe(0o600);
    expect(mtimeNs('srv/a/um.txt')).toBe(1700000001123456789n);
    expect(mtimeNs('srv/b/dois.txt')).toBe(1700000002500000000n);
    expect(statSync(at('srv/a/um.txt')).ino).not.toBe(statSync(at('srv/a/tres.txt')).ino);
    // folders keep their mode and mtime although files were created in them
    expect(mode('srv/a')).toBe(0o750);
    expect(mtimeNs('srv/a')).toBe(1600000001000000000n);
    expect(mtimeNs('srv')).toBe(1600000000000000000n);
  });

  it('a large content (1 MiB or more, linked from the stage) shared by two files: each keeps its own inode and metadata', () => {
    const big = Buffer.alloc(1536 * 1024, 7);
    const data = content(big);
    const r = place([
      base('/srv/grande-a.bin', { ...data, mode: '640', mtime: '1700000011.0000000010' }),
      base('/srv/grande-b.bin', { ...data, mode: '600', mtime: '1700000012.0000000020' }),
    ]);
    expect(r.status, String(r.stderr)).toBe(0);
    expect(readFileSync(at('srv/grande-a.bin')).equals(big)).toBe(true);
    expect(readFileSync(at('srv/grande-b.bin')).equals(big)).toBe(true);
    expect(statSync(at('srv/grande-a.bin')).ino).not.toBe(statSync(at('srv/grande-b.bin')).ino);
    expect([mode('srv/grande-a.bin'), mode('srv/grande-b.bin')]).toEqual([0o640, 0o600]);
    expect([mtimeNs('srv/grande-a.bin'), mtimeNs('srv/grande-b.bin')]).toEqual([1700000011000000001n, 1700000012000000002n]);
  });

  it('hard links of the index share one inode; one asked for without its group\'s first path gets the content', () => {
    const data = content('ligado\n');
    const group = [
      base('/srv/orig.bin', { ...data, linkGroup: 1, mode: '640', mtime: '1700000003.0000000000' }),
      base('/srv/outra/dura.bin', { ...data, type: 'h', linkGroup: 1, target: '/srv/orig.bin', mode: '640', mtime: '1700000003.0000000000' }),
      base('/srv/outra/dura2.bin', { ...data, type: 'h', linkGroup: 1, target: '/srv/orig.bin', mode: '640', mtime: '1700000003.0000000000' }),
    ];
    let r = place(group);
    expect(r.status, String(r.stderr)).toBe(0);
    expect(statSync(at('srv/outra/dura.bin')).ino).toBe(statSync(at('srv/orig.bin')).ino);
    expect(statSync(at('srv/orig.bin')).nlink).toBe(3);
    expect(readFileSync(at('srv/outra/dura2.bin'), 'utf8')).toBe('ligado\n');
    // a restore of only the links (the group's first path not asked for)
    rmSync(join(dir, 'out'), { recursive: true });
    mkdirSync(join(stage, PACK), { recursive: true });
    content('ligado\n');
    r = place(group.slice(1));
    expect(r.status, String(r.stderr)).toBe(0);
    expect(readFileSync(at('srv/outra/dura.bin'), 'utf8')).toBe('ligado\n');
    expect(statSync(at('srv/outra/dura2.bin')).ino).toBe(statSync(at('srv/outra/dura.bin')).ino);
    expect(mode('srv/outra/dura.bin')).toBe(0o640);
    expect(() => lstatSync(at('srv/orig.bin'))).toThrow();
  });

  it('sparse file keeps its holes; empty file and folder, symlink, awkward names, setuid mode', () => {
    const sparse = Buffer.alloc(4 * 1024 * 1024);
    sparse.write('inicio');
    const names = ['ação 🩺.txt', 'nome com espaço e \\ barra', 'linha\nquebrada', '-', 'tab\taqui %s %b'];
    const awkward = names.map((n, i) => base(`/srv/${n}`, { ...content(`arquivo ${i}\n`), mtime: `17000001${i}0.0000000000` }));
    const r = place([
      base('/srv', { type: 'd', mode: '755', mtime: '1600000000.0000000000' }),
      base('/srv/esparso.img', { ...content(sparse), sparse: true, mode: '600', mtime: '1700000004.0000000000' }),
      base('/srv/vazio.txt', { mtime: '1700000005.0000000000' }),
      base('/srv/pasta-vazia', { type: 'd', mode: '700', mtime: '1700000006.0000000000' }),
      base('/srv/somente-leitura', { type: 'd', mode: '555', mtime: '1700000007.0000000000' }),
      base('/srv/somente-leitura/dentro.txt', { ...content('dentro\n'), mtime: '1700000008.0000000000' }),
      base('/srv/atalho', { type: 'l', target: 'vazio.txt', mode: '777', mtime: '1700000009.0000000000' }),
      base('/srv/programa', { ...content('#!/bin/sh\n'), mode: '4755', mtime: '1700000010.0000000000' }),
      ...awkward,
    ]);
    expect(r.status, String(r.stderr)).toBe(0);
    const sp = statSync(at('srv/esparso.img'));
    expect(sp.size).toBe(4 * 1024 * 1024);
    expect(sp.blocks * 512).toBeLessThan(1024 * 1024);
    expect(readFileSync(at('srv/esparso.img')).equals(sparse)).toBe(true);
    expect(mtimeNs('srv/esparso.img')).toBe(1700000004000000000n);
    expect(mode('srv/esparso.img')).toBe(0o600);
    expect(statSync(at('srv/vazio.txt')).size).toBe(0);
    expect(readdirSync(at('srv/pasta-vazia'))).toEqual([]);
    expect(mode('srv/pasta-vazia')).toBe(0o700);
    expect(mtimeNs('srv/pasta-vazia')).toBe(1700000006000000000n);
    expect(mode('srv/somente-leitura')).toBe(0o555);
    expect(mtimeNs('srv/somente-leitura')).toBe(1700000007000000000n);
    expect(readlinkSync(at('srv/atalho'))).toBe('vazio.txt');
    expect(mtimeNs('srv/atalho')).toBe(1700000009000000000n);
    expect(mode('srv/programa')).toBe(0o4755);
    expect(mtimeNs('srv')).toBe(1600000000000000000n);
    const listed = readdirSync(at('srv'));
    names.forEach((n, i) => {
      expect(listed).toContain(n);
      expect(readFileSync(at(`srv/${n}`), 'utf8')).toBe(`arquivo ${i}\n`);
      expect(mtimeNs(`srv/${n}`)).toBe(BigInt(`17000001${i}0`) * 1000000000n);
    });
  });

  it.skipIf(!isRoot)('as root: owners by name when the name exists here, else by id', () => {
    const r = place([
      base('/srv/por-nome', { ...content('nome\n'), uid: 4242, gid: 4242, owner: 'root', group: 'root' }),
      base('/srv/por-id', { ...content('id\n'), uid: 4243, gid: 4244, owner: 'nao-existe-cofre', group: 'nao-existe-cofre' }),
      base('/srv/atalho', { type: 'l', target: 'por-id', uid: 4245, gid: 4246, owner: 'nao-existe-cofre', group: 'nao-existe-cofre' }),
      base('/srv/joao', { ...content('joão\n'), uid: 4247, gid: 4248, owner: 'joão-não-existe', group: 'grupo com espaço' }),
      base('/srv/nome-longo', { ...content('longo\n'), uid: 4249, gid: 0, owner: 'um-nome-de-usuario-com-mais-de-32-bytes', group: 'root' }),
    ]);
    expect(r.status, String(r.stderr)).toBe(0);
    expect([statSync(at('srv/por-nome')).uid, statSync(at('srv/por-nome')).gid]).toEqual([0, 0]);
    expect([statSync(at('srv/por-id')).uid, statSync(at('srv/por-id')).gid]).toEqual([4243, 4244]);
    expect([lstatSync(at('srv/atalho')).uid, lstatSync(at('srv/atalho')).gid]).toEqual([4245, 4246]);
    expect([statSync(at('srv/joao')).uid, statSync(at('srv/joao')).gid]).toEqual([4247, 4248]);
    expect([statSync(at('srv/nome-longo')).uid, statSync(at('srv/nome-longo')).gid]).toEqual([4249, 0]);
  });

  it('refuses . and .. components, relative paths, member and pack names that are not content ids or packs; nothing lands outside', () => {
    const ok = base('/srv/bom.txt', content('bom\n'));
    for (const bad of [
      base('/srv/../fora.txt', content('fora\n')),
      base('/srv/./aqui.txt', content('aqui\n')),
      base('relativo.txt', content('rel\n')),
      base('/srv/membro.txt', { ...content('m\n'), cid: '../../etc/passwd', member: '../../etc/passwd' }),
      base('/srv/pacote.txt', { ...content('p\n'), pack: '../../etc' }),
    ]) {
      const idx = join(dir, 'index');
      // formatIndex refuses nothing: the sh must, whatever the index holds
      writeFileSync(idx, `${formatIndex([ok]).trimEnd()}\n${formatIndex([bad]).split('\n')[1]}\n`, 'latin1');
      const r = spawnSync('sh', ['-c', `${PLACE_SH}\nset -eu\ncofre_place "$1" "$2" "$3"\n`, 'sh', idx, stage, out], { encoding: 'utf8' });
      expect(r.status, bad.path).not.toBe(0);
      expect(r.stderr).toMatch(/refusing/);
      expect(() => lstatSync(join(dir, 'out', 'fora.txt'))).toThrow();
    }
  });
});
