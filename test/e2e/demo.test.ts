/**
 * `cofre demo` — what `npm start` opens on a machine without Electron — in Debian chromium: a
 * fresh demo home gets its sample sets in the embedded (folder) storage and the console shows
 * them; the process stops cleanly on SIGINT.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { COFRE_BIN } from '../support/cli.js';
import { removeDir, tempDir } from '../harness/util.js';
import { ConsolePage, DashboardPage } from './pages/console.js';

const shots = resolve('test-results/screens');
let browser: Browser | undefined;
let demo: ChildProcess | undefined;
let home: string | undefined;

afterAll(async () => {
  await browser?.close();
  demo?.kill('SIGKILL');
  if (home !== undefined) await removeDir(home);
});

/** Starts `cofre demo --no-open` and resolves with the console URL it prints. */
function startDemo(dir: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [COFRE_BIN, 'demo', '--no-open', '--home', dir], {
      env: { ...process.env, COFRE_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString('utf8');
      const m = /Cofre demo: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m?.[1]) resolvePromise({ child, url: m[1], output: () => out });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`cofre demo exited (${code}) before serving:\n${out}`)));
  });
}

describe('cofre demo (chromium)', () => {
  it('serves a console with sample sets from its embedded storage, and stops on Ctrl+C', async () => {
    home = await tempDir('demo');
    const dir = join(home, 'demo-home');
    const started = await startDemo(dir);
    demo = started.child;
    expect(started.output()).toMatch(/created .* with \d+ sample sets/);
    const onDisk = await readdir(join(dir, 'storage', 'sets'));
    expect(onDisk.length).toBeGreaterThan(0);

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const c = new ConsolePage(page, shots);
    await c.open(started.url);
    expect(await c.heading()).toBe('Painel');
    await new DashboardPage(c).planCard('diario').waitFor();
    await c.go('copias');
    // every sample set in the storage folder is listed, complete ones marked as such
    await page.locator('main li.timeline-item').first().waitFor();
    expect(await page.locator('main li.timeline-item').count()).toBe(onDisk.length);
    expect(await page.locator('main li.timeline-item').filter({ hasText: /Completa/ }).count()).toBeGreaterThan(0);
    for (const setId of onDisk) await page.locator('main li.timeline-item code.muted', { hasText: setId }).waitFor();
    await c.screenshot('demo-copias');
    expect(c.problems).toEqual([]);

    const exited = new Promise<number | null>((r) => started.child.once('exit', (code) => r(code)));
    started.child.kill('SIGINT');
    expect(await exited).toBe(0);
    demo = undefined;
    expect(existsSync(join(dir, 'catalog.sqlite'))).toBe(true);
  });
});
