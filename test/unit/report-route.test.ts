/**
 * Reports over the console server (`/reports/<name>.html`): the console's session cookie is
 * needed, only plain file names of the reports folder are served (no traversal, no symlink out),
 * and the desktop window maps its file:// form of the same link to the same file.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { startConsoleServer, type ConsoleServer } from '../../src-main/rpc/ws-server.js';
import { reportFileOfDesktopUrl } from '../../src-main/rpc/report-route.js';
import { reportHref } from '../../shared/report-href.js';
import { createMemoryServices, type MemoryServices } from '../support/memory-services.js';

let dir: string;
let reports: string;
let server: ConsoleServer;
let services: MemoryServices;
const SECRET = 'SEGREDO-FORA-DA-PASTA';

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

async function sessionCookie(): Promise<string> {
  const res = await get(`/?token=${new URL(server.newLink()).searchParams.get('token') ?? ''}`);
  return (res.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cofre-reports-'));
  const staticDir = join(dir, 'renderer');
  reports = join(dir, 'home', 'reports');
  mkdirSync(staticDir);
  mkdirSync(join(reports, 'sub'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Cofre</title>');
  writeFileSync(join(reports, 'drill-7.html'), '<!doctype html><p id="resultado" data-status="succeeded">Resultado: SUCESSO</p>');
  writeFileSync(join(reports, 'sub', 'inner.html'), SECRET);
  writeFileSync(join(dir, 'home', 'secret.html'), SECRET);
  writeFileSync(join(dir, 'home', 'catalog.sqlite'), SECRET);
  symlinkSync(join(dir, 'home', 'secret.html'), join(reports, 'link.html'));
  services = createMemoryServices({ tickMs: 2, ticks: 3 });
  server = await startConsoleServer({ services, staticDir, reportsDir: reports });
});

afterAll(async () => {
  await server.close();
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reports on the console server', () => {
  it('links a report by its file name', () => {
    expect(reportHref(join(reports, 'drill-7.html'))).toBe('/reports/drill-7.html');
  });

  it('serves a report with the session cookie only, under a policy that runs no script', async () => {
    const refused = await get('/reports/drill-7.html');
    expect(refused.status).toBe(401);
    expect(refused.body).not.toContain('SUCESSO');
    const cookie = await sessionCookie();
    const res = await get('/reports/drill-7.html', { cookie });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('Resultado: SUCESSO');
    const policy = String(res.headers['content-security-policy']);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain('sandbox');
    expect(policy).not.toContain('script-src');
  });

  it('serves nothing outside the reports folder: traversal, sub-folders, symlinks out, other names', async () => {
    const cookie = await sessionCookie();
    const tries = [
      '/reports/..%2fsecret.html',
      '/reports/%2e%2e%2fsecret.html',
      '/reports/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/reports/%2e%2e/catalog.sqlite',
      '/reports/..\\secret.html',
      '/reports/sub%2finner.html',
      '/reports/sub/inner.html',
      '/reports/link.html',
      '/reports/%2fetc%2fpasswd',
      '/reports/missing.html',
      '/reports/',
      '/reports/%zz.html',
    ];
    for (const path of tries) {
      const res = await get(path, { cookie });
      expect.soft(res.status, path).toBe(404);
      expect.soft(res.body, path).not.toContain(SECRET);
      expect.soft(res.body, path).not.toContain('root:');
    }
  });

  it('maps the desktop window\'s file:// form of the link to the same file, and nothing else', async () => {
    expect(await reportFileOfDesktopUrl(reports, 'file:///reports/drill-7.html')).toMatch(/reports\/drill-7\.html$/);
    expect(await reportFileOfDesktopUrl(reports, 'file:///C:/reports/drill-7.html')).toMatch(/reports\/drill-7\.html$/);
    expect(await reportFileOfDesktopUrl(reports, 'file:///reports/link.html')).toBeUndefined();
    expect(await reportFileOfDesktopUrl(reports, 'file:///reports/..%2fsecret.html')).toBeUndefined();
    expect(await reportFileOfDesktopUrl(reports, 'https://example.com/reports/drill-7.html')).toBeUndefined();
    expect(await reportFileOfDesktopUrl(reports, 'file:///etc/passwd')).toBeUndefined();
  });
});
