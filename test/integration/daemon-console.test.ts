/**
 * `cofre daemon --ui` serves the console from the scheduler's own process and publishes it
 * (0600, token never logged); `cofre ui` on the same home opens that console instead of
 * starting a second engine; the file goes away when the daemon stops.
 */
import { describe, it, expect, inject } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cofre, COFRE_BIN } from '../support/cli.js';
import { makeFixture } from '../support/backup-fixture.js';

const h = inject('harness');

describe('daemon with the console', () => {
  it('publishes its console; cofre ui opens that one; stopping removes it', async () => {
    const fx = await makeFixture(h, { largeBytes: 1024 });
    const daemon = spawn(process.execPath, [COFRE_BIN, 'daemon', '--ui', '--tick', '60000'], { env: fx.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let logs = '';
    daemon.stdout.on('data', (d: Buffer) => (logs += d.toString()));
    daemon.stderr.on('data', (d: Buffer) => (logs += d.toString()));
    const file = join(fx.home, 'console.json');
    for (let i = 0; i < 200 && !existsSync(file); i++) await sleep(100);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const published = JSON.parse(readFileSync(file, 'utf8')) as { url: string; linkKey: string; pid: number };
    expect(published.pid).toBe(daemon.pid);
    expect(published.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(published.linkKey.length).toBeGreaterThan(20);

    // each `cofre ui` mints a link of its own, good once
    const ui = await cofre(['ui', '--no-open', '--json'], { env: fx.env, timeoutMs: 30_000 });
    expect(ui.code).toBe(0);
    expect(ui.json).toMatchObject({ scheduler: `pid ${daemon.pid}`, shared: true });
    const url = (ui.json as { url: string }).url;
    expect(url.startsWith(`${published.url}?token=`)).toBe(true);
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie') ?? '').toMatch(/HttpOnly/i);
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(403);

    // opening a browser: the opener gets a 0600 page's path, never the link (argv is public in ps)
    const bin = join(fx.dir, 'bin');
    mkdirSync(bin);
    const argvFile = join(fx.dir, 'opener-argv');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\n`, { mode: 0o755 });
    const opened = await cofre(['ui', '--json'], { env: { ...fx.env, PATH: `${bin}:${fx.env['PATH'] ?? ''}` }, timeoutMs: 30_000 });
    expect(opened.code).toBe(0);
    for (let i = 0; i < 50 && !existsSync(argvFile); i++) await sleep(100);
    const argv = readFileSync(argvFile, 'utf8').trim();
    expect(argv).toBe(join(fx.home, 'console-link.html'));
    expect(argv).not.toContain('token');
    expect(statSync(argv).mode & 0o777).toBe(0o600);
    const link = /url=([^"]+)"/.exec(readFileSync(argv, 'utf8'))?.[1]?.replaceAll('&amp;', '&') ?? '';
    expect(link.startsWith(`${published.url}?token=`)).toBe(true);
    expect(link).not.toBe((opened.json as { url: string }).url);
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(200);

    const exited = new Promise<number | null>((resolve) => daemon.on('exit', resolve));
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(logs).not.toContain(published.linkKey);
  });
});
