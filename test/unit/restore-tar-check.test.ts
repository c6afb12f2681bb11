/**
 * The restore preflight's tar check (restore/preflight.ts): its probe run by a real `sh` with PATH
 * pointing at this machine's GNU tar, at a stub `tar` that answers like BusyBox or bsdtar, or at no
 * tar at all. Only GNU tar passes; another tar fails naming what it said and how to install GNU tar.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TAR_PROBE, tarCheck } from '../../src-main/restore/preflight.js';
import { catalogText } from '../../shared/i18n/catalog.js';

const root = mkdtempSync(join(tmpdir(), 'cofre-tarcheck-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** a folder holding only a `tar` script with this body */
function stubTar(name: string, body: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'tar'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, 'tar'), 0o755);
  return dir;
}

/** the probe as the target's shell runs it, with this PATH */
function probe(path: string): { code: number; stdout: string } {
  const r = spawnSync('/bin/sh', ['-c', TAR_PROBE], { env: { PATH: path }, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout };
}

describe('restore preflight: GNU tar on the target', () => {
  it('passes with GNU tar, naming its version', () => {
    const c = tarCheck(probe('/usr/bin:/bin'));
    expect(c).toMatchObject({ name: 'tar', ok: true, key: 'check.gnuTar' });
    expect(c.message).toMatch(/^tar \(GNU tar\) \d+\.\d+/);
  });

  it.each([
    ['BusyBox tar', `echo "tar: unrecognized option '--version'" >&2; echo "BusyBox v1.36.1 (2024-06-10) multi-call binary." >&2; exit 1`, "tar: unrecognized option '--version'"],
    ['bsdtar', 'echo "bsdtar 3.7.2 - libarchive 3.7.2 zlib/1.3 liblzma/5.4.5 bz2lib/1.0.8 libzstd/1.5.5"', 'bsdtar 3.7.2 - libarchive 3.7.2'],
    ['a tar that mentions GNU tar further on', 'echo "mytar 1.0 (compatible with GNU tar)"', 'mytar 1.0'],
  ])('fails with %s, saying what it found and how to install GNU tar', (name, body, said) => {
    const c = tarCheck(probe(`${stubTar(name.replace(/\W+/g, '-'), body)}:/usr/bin:/bin`));
    expect(c).toMatchObject({ name: 'tar', ok: false, key: 'check.gnuTar' });
    expect(c.message).toContain(`is not GNU tar (\`tar --version\` says: ${said}`);
    expect(c.message).toContain('apt install tar');
    const pt = catalogText('pt-BR', 'check.gnuTar', c.params, true);
    expect(pt.text).toBe('O tar do destino não é o GNU tar');
    expect(pt.action).toContain('apt install tar');
  });

  it('fails when there is no tar at all', () => {
    const empty = join(root, 'vazio');
    mkdirSync(empty);
    const c = tarCheck(probe(empty));
    expect(c).toMatchObject({ name: 'tar', ok: false, key: 'check.tar' });
    expect(c.message).toContain('tar is not installed on the target');
  });
});
