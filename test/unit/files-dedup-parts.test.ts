/**
 * The pure parts of issue 15's dedup state: when a full re-read is due, and the sealed per-pack
 * content-id lists (openable only with the content key that sealed them, bound to their pack).
 */
import { describe, it, expect } from 'vitest';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FolderStorage } from '../../src-main/storage/index.js';
import { fullReadDecision, fullReadPeriodMs } from '../../src-main/files2/full-read.js';
import { openPackIds, packIdsKey, packIdsTotal, sealPackIds, type PackIds } from '../../src-main/files2/pack-ids.js';

const DAY = 86_400_000;

describe('fullReadEvery', () => {
  it('parses periods; never/0 turn it off; anything else is refused with what to write', () => {
    expect(fullReadPeriodMs(undefined)).toBe(30 * DAY);
    expect(fullReadPeriodMs('2w')).toBe(14 * DAY);
    expect(fullReadPeriodMs('12h')).toBe(12 * 3_600_000);
    expect(fullReadPeriodMs('never')).toBe(0);
    expect(fullReadPeriodMs(0)).toBe(0);
    expect(() => fullReadPeriodMs('monthly')).toThrow(/fullReadEvery "monthly" is not a period/);
    expect(() => fullReadPeriodMs('30')).toThrow(/not a period/);
  });

  it('is due on a first listing, when never recorded, and once the period passed; not before, not when off', () => {
    const now = new Date('2026-12-02T04:00:00Z');
    const base = { periodMs: 30 * DAY, now, every: '30d' };
    expect(fullReadDecision({ ...base, hasListing: false, last: undefined })).toMatchObject({ due: true, reason: 'first' });
    expect(fullReadDecision({ ...base, hasListing: true, last: undefined })).toMatchObject({ due: true, reason: 'never-recorded' });
    expect(fullReadDecision({ ...base, hasListing: true, last: new Date(now.getTime() - 30 * DAY) })).toMatchObject({ due: true, reason: 'period' });
    expect(fullReadDecision({ ...base, hasListing: true, last: new Date(now.getTime() - 29 * DAY) }).due).toBe(false);
    expect(fullReadDecision({ ...base, periodMs: 0, every: 'never', hasListing: true, last: undefined }).due).toBe(false);
    // off still reads everything when there is no listing to compare with
    expect(fullReadDecision({ ...base, periodMs: 0, every: 'never', hasListing: false, last: undefined }).due).toBe(true);
  });
});

describe('sealed pack id lists', () => {
  const key = randomBytes(32);
  const ids: PackIds = {
    pack: `${'a'.repeat(32)}.tar.zst.age`, bytes: 1234, sha256: 'b'.repeat(64),
    contents: [{ cid: 'c'.repeat(64), size: 10 }, { cid: 'd'.repeat(64), size: 0 }],
  };

  it('opens with the same key and pack; reveals no id or size in the sealed bytes', () => {
    const sealed = sealPackIds(key, ids);
    expect(openPackIds(key, ids.pack, sealed)).toEqual(ids);
    expect(sealed.toString('latin1')).not.toContain('c'.repeat(16));
    expect(sealed.toString('latin1')).not.toContain('cofre-pack-ids');
  });

  it('another key, another pack name or one altered byte: not opened (content is uploaded again, never trusted)', () => {
    const sealed = sealPackIds(key, ids);
    expect(openPackIds(randomBytes(32), ids.pack, sealed)).toBeUndefined();
    expect(openPackIds(key, `${'e'.repeat(32)}.tar.zst.age`, sealed)).toBeUndefined();
    const altered = Buffer.from(sealed);
    altered[20] = (altered[20] ?? 0) ^ 1;
    expect(openPackIds(key, ids.pack, altered)).toBeUndefined();
    expect(openPackIds(key, ids.pack, Buffer.from('nonsense'))).toBeUndefined();
  });

  /** An object sealed as pack-ids.ts seals it, with any magic and plaintext (what an older version wrote, or a forged body). */
  function sealRaw(magic: string, pack: string, plain: Buffer): Buffer {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', createHmac('sha256', key).update('cofre pack-ids seal/1').digest(), nonce);
    cipher.setAAD(Buffer.from(pack, 'utf8'));
    return Buffer.concat([Buffer.from(magic), nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  }

  it('stores an id in about 34 bytes (binary id, varint size), every size up to the largest safe integer coming back', () => {
    const sizes = [0, 1, 127, 128, 16_383, 16_384, 100_000, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER];
    const many: PackIds = { ...ids, contents: sizes.map((size) => ({ cid: randomBytes(32).toString('hex'), size })) };
    expect(openPackIds(key, many.pack, sealPackIds(key, many))).toEqual(many);
    const thousand: PackIds = { ...ids, contents: Array.from({ length: 1000 }, (_, i) => ({ cid: randomBytes(32).toString('hex'), size: 50_000 + i })) };
    const sealed = sealPackIds(key, thousand);
    expect(sealed.subarray(0, 4).toString()).toBe('CPI2');
    // 32 bytes of id + 3 of size an entry, plus magic, nonce, header line and tag (hex text was ≈ 72 bytes an id)
    expect(sealed.length).toBeLessThan(1000 * 35 + 200);
    expect(openPackIds(key, thousand.pack, sealed)).toEqual(thousand);
  });

  it('still opens CPI1 objects (hex text, written by earlier versions): a host rebuilding its state from older packs keeps working', () => {
    const text = `cofre-pack-ids/1 ${ids.pack} ${ids.bytes} ${ids.sha256}\n${ids.contents.map((c) => `${c.cid} ${c.size}\n`).join('')}`;
    expect(openPackIds(key, ids.pack, sealRaw('CPI1', ids.pack, Buffer.from(text)))).toEqual(ids);
    // each format's header only under its own magic
    expect(openPackIds(key, ids.pack, sealRaw('CPI2', ids.pack, Buffer.from(text)))).toBeUndefined();
  });

  it('a CPI2 body cut inside a record or with a size beyond a safe integer is refused, even with a valid seal', () => {
    const header = Buffer.from(`cofre-pack-ids/2 ${ids.pack} ${ids.bytes} ${ids.sha256}\n`);
    const cid = Buffer.alloc(32, 0xcc);
    expect(openPackIds(key, ids.pack, sealRaw('CPI2', ids.pack, Buffer.concat([header, cid, Buffer.from([10])])))).toEqual({ ...ids, contents: [{ cid: 'cc'.repeat(32), size: 10 }] });
    expect(openPackIds(key, ids.pack, sealRaw('CPI2', ids.pack, Buffer.concat([header, cid])))).toBeUndefined();
    expect(openPackIds(key, ids.pack, sealRaw('CPI2', ids.pack, Buffer.concat([header, cid, Buffer.from([0x80])])))).toBeUndefined();
    expect(openPackIds(key, ids.pack, sealRaw('CPI2', ids.pack, Buffer.concat([header, cid, Buffer.from([10]), cid.subarray(0, 31)])))).toBeUndefined();
    expect(openPackIds(key, ids.pack, sealRaw('CPI2', ids.pack, Buffer.concat([header, cid, Buffer.alloc(8, 0xff), Buffer.from([0x7f])])))).toBeUndefined();
  });

  it('repack sums a pack\'s member sizes as the object streams in, and only from an authentic, whole object', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cofre-ids-'));
    try {
      const store = new FolderStorage({ type: 'folder', name: 'nas', path: root });
      const put = (pack: string, data: Buffer): Promise<unknown> => store.put(packIdsKey(pack), Readable.from([data]));
      // 5000 ids ≈ 175 kB: read in several chunks, split inside ids, sizes and the tag
      const big: PackIds = { ...ids, contents: Array.from({ length: 5000 }, (_, i) => ({ cid: randomBytes(32).toString('hex'), size: 100 + ((i * 7919) % 300_000) })) };
      const sum = big.contents.reduce((a, c) => a + c.size, 0);
      const sealed = sealPackIds(key, big);
      await put(big.pack, sealed);
      expect(await packIdsTotal(store, key, big.pack)).toEqual({ pack: big.pack, bytes: big.bytes, sha256: big.sha256, memberBytes: sum });
      // CPI1 (hex text lines) too
      const text = `cofre-pack-ids/1 ${ids.pack} ${ids.bytes} ${ids.sha256}\n${big.contents.map((c) => `${c.cid} ${c.size}\n`).join('')}`;
      await put(ids.pack, sealRaw('CPI1', ids.pack, Buffer.from(text)));
      expect((await packIdsTotal(store, key, ids.pack))?.memberBytes).toBe(sum);
      // fail closed: cut short (the tag is not the tag), one byte altered, another key, missing object
      await put(big.pack, sealed.subarray(0, sealed.length - 40_000));
      expect(await packIdsTotal(store, key, big.pack)).toBeUndefined();
      const altered = Buffer.from(sealed);
      altered[100_000] = (altered[100_000] ?? 0) ^ 1;
      await put(big.pack, altered);
      expect(await packIdsTotal(store, key, big.pack)).toBeUndefined();
      await put(big.pack, sealed);
      expect(await packIdsTotal(store, randomBytes(32), big.pack)).toBeUndefined();
      expect(await packIdsTotal(store, key, `${'f'.repeat(32)}.tar.zst.age`)).toBeUndefined();
      // an authentic object whose last id is cut short gives no sum either
      const header = Buffer.from(`cofre-pack-ids/2 ${ids.pack} ${ids.bytes} ${ids.sha256}\n`);
      await put(ids.pack, sealRaw('CPI2', ids.pack, Buffer.concat([header, Buffer.alloc(32, 0xcc), Buffer.from([10]), Buffer.alloc(31, 0xdd)])));
      expect(await packIdsTotal(store, key, ids.pack)).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
