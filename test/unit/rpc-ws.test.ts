import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { consoleLink, startConsoleServer, type ConsoleServer } from '../../src-main/rpc/ws-server.js';
import { createMemoryServices, type MemoryServices } from '../support/memory-services.js';

let dir: string;
let server: ConsoleServer;
let services: MemoryServices;

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
  const set = res.headers['set-cookie']?.[0] ?? '';
  return set.split(';')[0] ?? '';
}

function openWs(headers: Record<string, string>): Promise<{ ws: WebSocket } | { status: number }> {
  return new Promise((ok) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rpc`, { headers });
    ws.once('open', () => ok({ ws }));
    ws.once('unexpected-response', (_req, res) => ok({ status: res.statusCode ?? 0 }));
    ws.once('error', () => ok({ status: -1 }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cofre-ws-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Cofre</title>');
  services = createMemoryServices({ tickMs: 2, ticks: 3 });
  server = await startConsoleServer({ services, staticDir: dir });
});
afterAll(async () => {
  await server.close();
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('console server (127.0.0.1 + token)', () => {
  it('binds loopback and prints a URL that carries the token', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}$`));
  });

  it('exchanges the token for an HttpOnly SameSite=Strict cookie and a page that moves on to the clean URL', async () => {
    const res = await get(`/?token=${server.token}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<meta http-equiv="refresh" content="0;url=/">');
    const cookie = res.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(server.token);
  });

  it('takes each link once: a second use is refused with a page (pt-BR first) saying how to get a new one', async () => {
    const link = new URL(server.newLink());
    const first = await get(link.pathname + link.search);
    expect(first.status).toBe(200);
    expect(first.headers['set-cookie']?.[0]).toMatch(/^cofre_session=/);
    const again = await get(link.pathname + link.search);
    expect(again.status).toBe(403);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.headers['content-type']).toMatch(/text\/html/);
    expect(again.body).toContain('Este link do console já foi usado.');
    expect(again.body).toContain('rode `cofre ui`');
    expect(again.body.indexOf('lang="pt-BR"')).toBeLessThan(again.body.indexOf('lang="en"'));
    // the browser that used it holds a session: it is just sent to the console
    const cookie = (first.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
    const same = await get(link.pathname + link.search, { cookie });
    expect(same.status).toBe(302);
    expect(same.headers['set-cookie']).toBeUndefined();
    // a forged token (right shape, wrong MAC) and one with a MAC of another server are refused
    const [nonce] = (link.searchParams.get('token') ?? '').split('.');
    expect((await get(`/?token=${nonce}.${'A'.repeat(43)}`)).body).toContain('não é válido');
    const other = await startConsoleServer({ services, staticDir: dir });
    expect((await get(`/?token=${other.token}`)).status).toBe(403);
    await other.close();
    // links minted from the key alone (what `cofre ui` does with a daemon's console.json) work once each
    const minted = new URL(consoleLink(server.origin, server.linkKey));
    expect((await get(minted.pathname + minted.search)).status).toBe(200);
    expect((await get(minted.pathname + minted.search)).status).toBe(403);
  });

  it('refuses pages without the cookie, with a wrong token, or for a foreign Host', async () => {
    const refused = await get('/');
    expect(refused.status).toBe(401);
    // the technician reads it in Portuguese first, English second
    expect(refused.body).toMatch(/^Abra o console pelo link mostrado por "cofre ui"[^\n]*\n\nOpen the console through the link/);
    const expired = await get('/?token=wrong');
    expect(expired.status).toBe(403);
    // the refusal page: Portuguese first, English second, and how to get a new link
    expect(expired.body).toMatch(/Este link do console não é válido\..*rode `cofre ui`.*This console link is not valid\./s);
    const cookie = await sessionCookie();
    expect((await get('/', { cookie, host: `evil.example:${server.port}` })).status).toBe(403);
    const page = await get('/', { cookie });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const traversal = await get('/..%2f..%2f..%2f..%2fetc%2fpasswd', { cookie });
    expect(traversal.status).toBe(404);
    expect(traversal.body).not.toContain('root:');
  });

  it('accepts the WebSocket only with the cookie and this origin', async () => {
    const cookie = await sessionCookie();
    const origin = `http://127.0.0.1:${server.port}`;
    expect(await openWs({ origin })).toEqual({ status: 403 });
    expect(await openWs({ cookie, origin: 'http://evil.example' })).toEqual({ status: 403 });
    expect(await openWs({ cookie })).toEqual({ status: 403 });
    const ok = await openWs({ cookie, origin });
    expect('ws' in ok).toBe(true);
    if (!('ws' in ok)) return;
    const messages: unknown[] = [];
    const got = new Promise<void>((resolve) => {
      ok.ws.on('message', (data: Buffer) => {
        messages.push(JSON.parse(data.toString()));
        if (messages.length === 2) resolve();
      });
    });
    ok.ws.send('garbage');
    ok.ws.send(JSON.stringify({ t: 'req', id: 1, method: 'plans.list', input: {} }));
    await got;
    expect(messages).toContainEqual(expect.objectContaining({ t: 'res', id: null, result: expect.objectContaining({ ok: false }) }));
    const plans = messages.find((m) => (m as { id?: unknown }).id === 1) as { result: { ok: boolean; value: { plans: { name: string }[] } } };
    expect(plans.result.value.plans.map((p) => p.name)).toEqual(['diario', 'local']);
    ok.ws.close();
  });
});
