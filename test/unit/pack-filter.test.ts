/**
 * filterTar (granular restore, issue 15): out of a pack's tar stream, only the asked members come
 * out, byte for byte, as a tar GNU tar reads (headers, pax records, end-of-archive blocks); a member
 * the pack lacks fails instead of giving a shorter archive; a cut stream fails too.
 */
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { filterTar, worthFiltering } from '../../src-main/files2/pack-filter.js';
import { shortCid } from '../../src-main/files2/index-format.js';

async function tarOf(members: Array<{ name: string; data: Buffer; pax?: Record<string, string> }>): Promise<Buffer> {
  const p = tarPack();
  for (const m of members) p.entry({ name: m.name, size: m.data.length, mode: 0o600, mtime: new Date(0), ...(m.pax ? { pax: m.pax } : {}) }, m.data);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The stream in 64 KiB chunks, as a pipe gives it. */
const chunked = (b: Buffer): Readable => Readable.from((function* () { for (let o = 0; o < b.length; o += 65536) yield b.subarray(o, o + 65536); })());

async function drain(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const cid = (): string => randomBytes(32).toString('hex');

describe('filterTar', () => {
  it('writes only the asked members (content, pax records) and the end blocks; GNU tar lists and extracts them', async () => {
    const members = Array.from({ length: 12 }, (_, i) => ({ name: cid(), data: randomBytes(10_000 + i * 70_001) }));
    const long = { name: `${cid()}${cid()}`, data: randomBytes(3_333), pax: { comment: 'kept' } };
    members.splice(5, 0, long);
    const asked = new Set([members[2]?.name ?? '', long.name, members[11]?.name ?? '']);
    const f = filterTar(chunked(await tarOf(members)), asked, 'packs/x');
    const out = await drain(f.stream);
    const counts = await f.done;
    const askedBytes = members.filter((m) => asked.has(m.name)).reduce((a, m) => a + m.data.length, 0);
    expect(counts).toEqual({ members: 3, bytes: askedBytes });
    // each member: a header, its data padded to 512 (the long name: a pax header and its records too), then 1 KiB of zeros
    expect(out.length).toBeLessThanOrEqual(askedBytes + 3 * 1024 + 2 * 512 + 1024);
    expect(out.subarray(out.length - 1024).every((b) => b === 0)).toBe(true);
    const listed = execFileSync('tar', ['-t', '-f', '-'], { input: out, encoding: 'utf8' }).trim().split('\n');
    expect(listed).toEqual(members.filter((m) => asked.has(m.name)).map((m) => m.name));
    for (const m of members.filter((x) => asked.has(x.name))) {
      expect(execFileSync('tar', ['-x', '-O', '-f', '-', m.name], { input: out }).equals(m.data)).toBe(true);
    }
  });

  it('a member the pack does not hold fails, and the output stream errors (no shorter archive looks complete)', async () => {
    const members = [{ name: cid(), data: randomBytes(5000) }];
    const f = filterTar(chunked(await tarOf(members)), new Set([members[0]?.name ?? '', cid()]), 'packs/y');
    await expect(f.done).rejects.toThrow(/packs\/y lacks member [0-9a-f]{12}… that the index places in it/);
    await expect(drain(f.stream)).rejects.toThrow(/lacks member/);
  });

  it('short member fields (a /2 index): each asked member comes out named by its field; two members matching one field fail', async () => {
    const members = Array.from({ length: 6 }, () => ({ name: cid(), data: randomBytes(3000) }));
    const asked = [members[1], members[4]].map((m) => shortCid(m?.name ?? ''));
    // a /1 field (the whole name) beside the short ones
    const whole = members[5]?.name ?? '';
    const f = filterTar(chunked(await tarOf(members)), new Set([...asked, whole]), 'packs/s');
    const out = await drain(f.stream);
    expect((await f.done).members).toBe(3);
    const listed = execFileSync('tar', ['-t', '-f', '-'], { input: out, encoding: 'utf8' }).trim().split('\n');
    expect(listed).toEqual([...asked, whole]);
    expect(execFileSync('tar', ['-x', '-O', '-f', '-', asked[1] ?? ''], { input: out }).equals(members[4]?.data ?? Buffer.alloc(0))).toBe(true);
    // a pack written before PackWriter kept short names unique, with a clash: refused, never a guess
    const clash = { name: `${shortCid(members[1]?.name ?? '')}${'0'.repeat(48)}`, data: randomBytes(10) };
    const g = filterTar(chunked(await tarOf([...members, clash])), new Set(asked), 'packs/c');
    await expect(g.done).rejects.toThrow(/packs\/c holds two members that start with/);
    await drain(g.stream).catch(() => undefined);
  });

  it('a stream cut in the middle of a member fails', async () => {
    const members = [{ name: cid(), data: randomBytes(200_000) }, { name: cid(), data: randomBytes(200_000) }];
    const whole = await tarOf(members);
    for (const cut of [100_000, 300_000]) { // in a skipped member, in the asked one
      const f = filterTar(chunked(whole.subarray(0, cut)), new Set([members[1]?.name ?? '']), 'packs/z');
      const [out, done] = await Promise.allSettled([drain(f.stream), f.done]);
      expect(out.status).toBe('rejected');
      expect(done.status).toBe('rejected');
    }
  });

  it('filters when the asked members and their headers are at most half the stored pack', () => {
    expect(worthFiltering({ members: 1, bytes: 20_971_520 }, 62_124_743)).toBe(true);
    expect(worthFiltering({ members: 1, bytes: 40_000_000 }, 62_124_743)).toBe(false);
    // many small members: their headers count
    expect(worthFiltering({ members: 20_000, bytes: 10_000_000 }, 62_000_000)).toBe(true);
    expect(worthFiltering({ members: 30_000, bytes: 10_000_000 }, 62_000_000)).toBe(false);
  });
});
