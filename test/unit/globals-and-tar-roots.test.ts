/**
 * The roles-script gate (globals.ts) and the tar top-level paths the production safety copy
 * uses (TarCounter with collectRoots), on archives made by GNU tar itself.
 */
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkGlobalsScript, prepareGlobalsScript } from '../../src-main/restore/globals.js';
import { TarCounter } from '../../src-main/sources/tar-counter.js';

describe('globals script gate', () => {
  it('accepts SQL and the \\restrict / \\unrestrict pair pg_dumpall writes', () => {
    const v = checkGlobalsScript('\\restrict AbC123\nSET x = 1;\nCREATE ROLE a;\n\\unrestrict AbC123\n');
    expect(v).toEqual({ ok: true, restrict: true });
    expect(checkGlobalsScript('CREATE ROLE a;\n')).toEqual({ ok: true, restrict: false });
  });

  it.each([
    ['\\! touch /tmp/pwned', 1],
    ['SELECT 1;\nSELECT 2 \\! id', 2],
    ["SELECT 'a\\' , '; \\! id; --';", 1],
    ['\\restrict key with spaces', 1],
    ['\\restrict k\n\\i /etc/passwd', 2],
    ['\\o /tmp/out', 1],
  ])('refuses any other backslash: %j', (script, line) => {
    const v = checkGlobalsScript(script);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.line).toBe(line);
  });

  it('turns CREATE ROLE into a block that keeps an existing role, and nothing else', () => {
    const out = prepareGlobalsScript('CREATE ROLE postgres;\nALTER ROLE postgres WITH SUPERUSER;\nCREATE ROLE "Dr ""X""";\n');
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^DO \$(cofre_[0-9a-f]{12})\$BEGIN CREATE ROLE postgres; EXCEPTION WHEN duplicate_object THEN NULL; END\$\1\$;$/);
    expect(lines[1]).toBe('ALTER ROLE postgres WITH SUPERUSER;');
    expect(lines[2]).toContain('CREATE ROLE "Dr ""X"""; EXCEPTION');
  });
});

describe('TarCounter top-level paths', () => {
  const tarOf = (root: string, args: string[]): Buffer => execFileSync('tar', ['--create', '--file=-', '--format=posix', '-C', root, '--', ...args], { maxBuffer: 64 * 1024 * 1024 });
  const rootsOf = async (tar: Buffer): Promise<string[]> => {
    const c = new TarCounter({ collectRoots: true });
    c.resume();
    const done = new Promise((r) => c.once('finish', r));
    for (let i = 0; i < tar.length; i += 7000) c.write(tar.subarray(i, i + 7000));
    c.end();
    await done;
    return c.roots;
  };

  it('gives the paths tar was given (folders, a single file, a long unicode name), not their contents', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cofre-roots-'));
    const long = `${'pasta com nome longo ção '.repeat(8)}`.trim();
    mkdirSync(join(root, 'srv', 'uploads', 'sub'), { recursive: true });
    mkdirSync(join(root, long, 'x'), { recursive: true });
    writeFileSync(join(root, 'srv', 'uploads', 'sub', 'a.txt'), 'a');
    writeFileSync(join(root, long, 'x', 'b.txt'), 'b');
    writeFileSync(join(root, 'avulso.txt'), 'c');
    expect(await rootsOf(tarOf(root, ['srv/uploads', long, 'avulso.txt']))).toEqual(['srv/uploads', long, 'avulso.txt']);
  });
});
