/**
 * A format-2 backup killed (SIGKILL) while it reads files over SSH cannot remove its spool, the
 * private folder where it keeps plaintext paths and the content being hashed. The next backup
 * removes it at its start, and leaves alone the spool of a job still running (here: one this
 * test process holds open).
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { Spool, spoolRoot } from '../../src-main/files2/spool.js';
import { makeFixture, ownServerName, type Fixture } from '../support/backup-fixture.js';
import { cofre } from '../support/cli.js';

const h = inject('harness');
const CLI_SOURCE = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url));
const PLAN = 'lento';

describe('spool of a killed format-2 backup', () => {
  let fx: Fixture;
  let tmp: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    fx = await makeFixture(h, {
      filesFormat: 'packs',
      largeBytes: 20 * 1024 * 1024, // spooled to a file while hashed (over 16 MiB)
      extraYaml: `  ${PLAN}:
    sources: [arquivos]
    storage: nas
    schedule: "0 4 * * *"
    bandwidth: 2MiB/s
`,
    });
    const doc = parseDocument(readFileSync(fx.configPath, 'utf8'));
    ownServerName(doc);
    writeFileSync(fx.configPath, doc.toString());
    tmp = mkdtempSync(join(tmpdir(), 'cofre-spool-kill-'));
    env = { ...fx.env, TMPDIR: tmp };
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('SIGKILL mid-read leaves the spool; the next backup removes it and never touches a running job\'s', async () => {
    const root = spoolRoot(tmp);
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_SOURCE, 'backup', '--plan', PLAN], { env, stdio: 'ignore' });
    const closed = once(child, 'close');
    const mine = (name: string): boolean => name.startsWith(`files2.${child.pid}.`);
    let killedSpool = '';
    const deadline = Date.now() + 120_000;
    // mid-read: the 20 MiB file is arriving over SSH (2 MiB/s) into the spool
    while (!killedSpool) {
      if (Date.now() > deadline) throw new Error('the backup never started reading into its spool');
      const dir = existsSync(root) ? readdirSync(root).find(mine) : undefined;
      if (dir && existsSync(join(root, dir, 'member'))) killedSpool = join(root, dir);
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await closed;
    // what the defect was: the killed job's plaintext stays behind
    expect(readFileSync(join(killedSpool, 'to-read'), 'latin1')).toContain('grande.bin');

    const live = await Spool.open('files2', root);
    writeFileSync(live.file('to-read'), 'srv/ainda/em/uso\0');
    try {
      rmSync(join(fx.filesDir, 'uploads', 'grande.bin')); // the next backup need not wait for it
      const next = await cofre(['backup', '--plan', PLAN], { env, fromSource: true });
      expect(next.code, next.stderr).toBe(0);
      expect(existsSync(killedSpool)).toBe(false);
      expect(readFileSync(live.file('to-read'), 'utf8')).toBe('srv/ainda/em/uso\0');
      // the finished backup removed its own; only the live job's is left
      expect(readdirSync(root)).toEqual([live.dir.split('/').pop()]);
    } finally {
      await live.dispose();
    }
  }, 300_000);
});
