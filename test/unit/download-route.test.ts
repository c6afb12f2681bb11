/**
 * "Salvar no computador" in a browser console: the one-time download link of the console server.
 * It needs the session cookie, answers once with the file (an attachment named in UTF-8), and
 * says in pt-BR then English that a used link is gone. Real server, in-memory engine.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { startConsoleServer, type ConsoleServer } from '../../src-main/rpc/ws-server.js';
import { contentDisposition } from '../../src-main/rpc/download-route.js';
import { createMemoryServices, type MemoryServices } from '../support/memory-services.js';

let dir: string;
let server: ConsoleServer;
let services: MemoryServices;

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
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
  dir = mkdtempSync(join(tmpdir(), 'cofre-dl-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Cofre</title>');
  services = createMemoryServices({ tickMs: 2, ticks: 3 });
  server = await startConsoleServer({ services, staticDir: dir });
});
afterAll(async () => {
  await server.close();
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('one-time download (browser console)', () => {
  const ticket = async (): Promise<string> => {
    const set = (await services.sets.list({})).sets.find((s) => s.complete && s.sources.some((x) => x.type === 'files'));
    const r = await services.files.save({ setId: set?.setId ?? '', path: '/srv/clinica/uploads/prontuários/Zoë 🩺/receita.pdf' }, { actor: 'console:test' });
    if (r.kind !== 'download') throw new Error(`expected a download, got ${r.kind}`);
    return r.url;
  };

  it('refuses without the session cookie, and does not spend the link', async () => {
    const url = await ticket();
    expect((await get(url)).status).toBe(401);
    const cookie = await sessionCookie();
    expect((await get(url, { Cookie: cookie })).status).toBe(200);
  });

  it('serves the file once, as an attachment named in UTF-8; then says the link is gone', async () => {
    const url = await ticket();
    const cookie = await sessionCookie();
    const first = await get(url, { Cookie: cookie });
    expect(first.status).toBe(200);
    expect(first.body.toString()).toBe('conteúdo de /srv/clinica/uploads/prontuários/Zoë 🩺/receita.pdf\n');
    expect(first.headers['content-disposition']).toBe(contentDisposition('receita.pdf'));
    expect(first.headers['cache-control']).toBe('no-store');
    const again = await get(url, { Cookie: cookie });
    expect(again.status).toBe(410);
    expect(again.body.toString()).toMatch(/^Este link de download já foi usado ou expirou[\s\S]*This download link was used already/);
    expect((await get('/download/nao-existe', { Cookie: cookie })).status).toBe(410);
  });

  it('names a unicode file for every browser', () => {
    expect(contentDisposition('raio-x tórax — José.png')).toBe(`attachment; filename="raio-x torax  Jose.png"; filename*=UTF-8''${encodeURIComponent('raio-x tórax — José.png')}`);
  });
});
