/**
 * `cofre daemon --ui` serves the console from the scheduler's own process and publishes it
 * (0600, token never logged); `cofre ui` on the same home opens that console instead of
 * starting a second engine; the file goes away when the daemon stops.
 */
import { describe, it, expect, inject } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
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
    const published = JSON.parse(readFileSync(file, 'utf8')) as { url: string; pid: number };
    expect(published.pid).toBe(daemon.pid);
    const token = new URL(published.url).searchParams.get('token') ?? '';
    expect(token.length).toBeGreaterThan(20);

    const ui = await cofre(['ui', '--no-open', '--json'], { env: fx.env, timeoutMs: 30_000 });
    expect(ui.code).toBe(0);
    expect(ui.json).toMatchObject({ url: published.url, scheduler: `pid ${daemon.pid}`, shared: true });
    const res = await fetch(published.url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('set-cookie') ?? '').toMatch(/HttpOnly/i);

    const exited = new Promise<number | null>((resolve) => daemon.on('exit', resolve));
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(logs).not.toContain(token);
  });
});
