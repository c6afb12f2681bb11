/**
 * Short content ids (issue 15, `cofre-files-index/2`): an index names a pack's member by the first
 * digits of its content id, so PackWriter must never put two members sharing them into one pack
 * (a prefix length forced to one digit makes such clashes certain); the one matching rule finds a
 * member by its prefix, fails closed on two, and tells contents apart by the shorter id.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract as tarExtract } from 'tar-stream';
import { FolderStorage } from '../../src-main/storage/folder.js';
import { generateIdentity, decryptBuffer } from '../../src-main/crypto/age.js';
import { PackWriter, packKey } from '../../src-main/files2/packs.js';
import { MemberFields, memberMatches, sameContentId, setIndexFormForTests, shortCid, SHORT_CID_HEX } from '../../src-main/files2/index-format.js';

async function memberNames(tar: Buffer): Promise<string[]> {
  const ex = tarExtract();
  const names: string[] = [];
  ex.end(tar);
  for await (const e of ex) { names.push(e.header.name); e.resume(); }
  return names;
}

describe('short content ids', () => {
  let dir: string | undefined;
  afterEach(() => {
    setIndexFormForTests(undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('PackWriter never puts two members sharing their short name into one pack (1 digit forced: 40 members, at most 16 per pack)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cofre-short-'));
    const storage = new FolderStorage({ type: 'folder', name: 'nas', path: dir });
    const { identity, recipient } = generateIdentity();
    setIndexFormForTests({ shortHex: 1 });
    const writer = new PackWriter(storage, [recipient], { compress: false, targetBytes: 64 * 1024 * 1024 });
    const cids = Array.from({ length: 40 }, () => randomBytes(32).toString('hex'));
    for (const cid of cids) await writer.add(cid, Buffer.from(cid), 64);
    await writer.close();
    // 40 members over 16 possible first digits: one pack cannot hold them all
    expect(writer.written.length).toBeGreaterThanOrEqual(3);
    const all: string[] = [];
    for (const p of writer.written) {
      const names = await memberNames(await decryptBuffer(await storage.getBytes(packKey(p.pack)), [identity]));
      const shorts = names.map(shortCid);
      expect(new Set(shorts).size, `pack ${p.pack}: ${shorts.join(',')}`).toBe(names.length);
      all.push(...names);
    }
    // members keep their whole names
    expect(all.sort()).toEqual([...cids].sort());
  });

  it('with the default 16 digits, distinct contents share one pack', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cofre-short-'));
    const storage = new FolderStorage({ type: 'folder', name: 'nas', path: dir });
    const writer = new PackWriter(storage, [generateIdentity().recipient], { compress: false, targetBytes: 64 * 1024 * 1024 });
    for (let i = 0; i < 40; i++) await writer.add(randomBytes(32).toString('hex'), Buffer.alloc(10), 10);
    await writer.close();
    expect(writer.written).toHaveLength(1);
    expect(shortCid('ab'.repeat(32))).toHaveLength(SHORT_CID_HEX);
  });

  it('matches a member by the prefix its index holds, whole or short; two members for one field fail closed', () => {
    const a = `0123456789abcdef${'1'.repeat(48)}`;
    const b = `0123456789abcdef${'2'.repeat(48)}`;
    expect(memberMatches(a, shortCid(a))).toBe(true);
    expect(memberMatches(a, a)).toBe(true);
    expect(memberMatches(a, '')).toBe(false);
    expect(memberMatches(a, b)).toBe(false);
    const fields = new MemberFields();
    fields.add(shortCid(a));
    fields.add('f'.repeat(64));
    expect(fields.claim(a, 'packs/x')).toEqual([shortCid(a)]);
    expect(fields.claim(`9${'0'.repeat(63)}`, 'packs/x')).toEqual([]);
    expect(fields.unclaimed()).toBe('f'.repeat(64));
    expect(() => fields.claim(b, 'packs/x')).toThrow(/two members that start with 0123456789ab/);
  });

  it('tells contents apart by the shorter of two ids (a /1 set beside a /2 set)', () => {
    const a = 'ab'.repeat(32);
    expect(sameContentId(a, shortCid(a))).toBe(true);
    expect(sameContentId(shortCid(a), a)).toBe(true);
    expect(sameContentId(a, 'ac'.repeat(32))).toBe(false);
    expect(sameContentId('', '')).toBe(true);
    expect(sameContentId('', shortCid(a))).toBe(false);
  });
});
