/**
 * Issue 14 "Console": a server whose pinned host key differs from the one it shows now. The
 * Servidores screen shows both fingerprints, keeps the replace button disabled until the
 * server's name is typed, then pins the new key and the audit log records the change. Real
 * engine (createEngineServices) against the harness sshd, in Debian chromium.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { AppContext } from '../../src-main/app/context.js';
import { createEngineServices, type RealEngineServices } from '../../src-main/rpc/engine-services.js';
import { startConsoleServer, type ConsoleServer } from '../../src-main/rpc/ws-server.js';
import { makeFixture, type Fixture } from '../support/backup-fixture.js';
import { ConsolePage } from './pages/console.js';

const h = inject('harness');
const OLD = `SHA256:${'Q'.repeat(43)}`;
let fx: Fixture;
let ctx: AppContext;
let services: RealEngineServices;
let server: ConsoleServer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(resolve('dist/renderer/index.html'))) throw new Error('dist/renderer is missing: run `npm run build:renderer` first');
  fx = await makeFixture(h, { largeBytes: 1024, hostKey: OLD });
  ctx = new AppContext({ env: fx.env, actor: 'e2e' });
  services = createEngineServices(ctx, { pollMs: 0 });
  server = await startConsoleServer({ services, staticDir: resolve('dist/renderer'), actor: 'console:e2e' });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--disable-background-networking', '--disable-component-update', '--disable-sync'] });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  services?.close();
  ctx?.close();
});

describe('changing a pinned host key from the console', () => {
  it('shows old and new fingerprints, needs the server name typed, pins the new key and audits it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const c = new ConsolePage(page, resolve('test-results/screens'));
    await c.open(server.newLink());
    await c.go('servidores');
    await page.getByRole('button', { name: 'Buscar impressão digital' }).first().click();
    const box = page.locator('[data-testid="host-key-change"]');
    await box.waitFor();
    await box.getByText('A chave deste servidor mudou').waitFor();
    expect(await box.locator('[data-testid="old-key"]').innerText()).toBe(OLD);
    expect(await box.locator('[data-testid="new-key"]').innerText()).toBe(h.ssh.hostKeyFingerprint);
    const replace = box.getByRole('button', { name: 'Substituir a chave fixada' });
    expect(await replace.isDisabled()).toBe(true);
    const field = box.getByLabel('Para substituir, digite o nome do servidor (clinica)');
    await field.fill('clinic');
    expect(await replace.isDisabled()).toBe(true);
    await c.screenshot('servidores-chave-mudou');
    expect(readFileSync(fx.configPath, 'utf8')).toContain(`hostKey: "${OLD}"`);
    await field.fill('clinica');
    await replace.click();
    await box.waitFor({ state: 'detached' });
    await page.locator('code.fingerprint', { hasText: h.ssh.hostKeyFingerprint }).waitFor();
    expect(readFileSync(fx.configPath, 'utf8')).toContain(h.ssh.hostKeyFingerprint);
    await c.go('auditoria');
    await page.locator('main tbody tr', { hasText: 'Trocou a chave confiada de um servidor' }).first().waitFor();
    const audit = ctx.catalog.listAudit({ action: 'config.servers.replaceHostKey' });
    expect(audit[0]?.target).toBe('clinica');
    expect(JSON.stringify(audit[0])).toContain(OLD);
    expect(c.problems).toEqual([]);
    await page.close();
  });
});
