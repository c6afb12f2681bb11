/**
 * The console over HTTP + WebSocket on 127.0.0.1 (`cofre ui`, and the same UI the daemon serves).
 *
 * Access: a per-launch random token in the printed URL is exchanged, on the first page load, for
 * an HttpOnly SameSite=Strict cookie and a redirect to the clean URL. Every request needs that
 * cookie; the WebSocket upgrade (`/rpc`) also needs an Origin and Host of this very server
 * (DNS-rebinding and cross-site protection). Static files are the built renderer, served with a
 * strict Content-Security-Policy.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_MESSAGE_BYTES } from '../../shared/rpc/envelope.js';
import type { Transport } from '../../shared/rpc/transport.js';
import { createConsoleRpc } from './index.js';
import { translate } from '../../shared/i18n/index.js';
import type { EngineServices } from './services.js';

export interface ConsoleServerOptions {
  services: EngineServices;
  /** 0 (default) picks a free port */
  port?: number;
  /** the built renderer (dist/renderer) */
  staticDir: string;
  /** recorded in the audit log for actions taken from this console (default "console") */
  actor?: string;
}

export interface ConsoleServer {
  /** http://127.0.0.1:PORT/?token=… — open this once; it sets the session cookie. */
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const COOKIE = 'cofre_session';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** A refusal the technician reads in the browser: pt-BR first, English second. */
function bilingual(key: 'http.unauthorized' | 'http.linkExpired'): string {
  return `${translate('pt-BR', key)}\n\n${translate('en', key)}\n`;
}

function plain(res: ServerResponse, status: number, text: string): void {
  securityHeaders(res);
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function wsTransport(ws: WebSocket): Transport {
  return {
    send(message) {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    },
    onMessage(handler) {
      const h = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void => {
        // Text frames only; the server parses and validates (malformed → INVALID_ARGUMENT answer).
        handler(isBinary ? '' : Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8'));
      };
      ws.on('message', h);
      return () => ws.off('message', h);
    },
    onClose(handler) {
      ws.on('close', handler);
      return () => ws.off('close', handler);
    },
  };
}

export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const token = randomBytes(32).toString('base64url');
  const session = randomBytes(32).toString('base64url');
  const root = resolve(options.staticDir);
  const rpc = createConsoleRpc(options.services);
  const ctx = { actor: options.actor ?? 'console' };
  let port = 0;

  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];
  const hostOk = (req: IncomingMessage): boolean => allowedHosts().includes(req.headers.host ?? '');
  const sessionOk = (req: IncomingMessage): boolean => {
    const c = cookieValue(req);
    return c !== undefined && sameSecret(c, session);
  };

  async function serveFile(res: ServerResponse, pathname: string, head: boolean): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      plain(res, 400, 'Bad path.');
      return;
    }
    let file = resolve(join(root, rel));
    if (file !== root && !file.startsWith(root + sep)) {
      plain(res, 404, 'Not found.');
      return;
    }
    const info = await stat(file).catch(() => undefined);
    if (!info || info.isDirectory()) {
      // Client-side routes fall back to the app; missing assets are 404.
      if (info?.isDirectory() || extname(rel) === '') file = join(root, 'index.html');
      else {
        plain(res, 404, 'Not found.');
        return;
      }
    }
    const body = await readFile(file).catch(() => undefined);
    if (!body) {
      plain(res, 404, 'The console was not built: run `npm run build:renderer`.');
      return;
    }
    securityHeaders(res);
    const isHtml = extname(file) === '.html';
    res.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': isHtml ? 'no-store' : 'private, max-age=3600',
      'Content-Length': body.length,
    });
    res.end(head ? undefined : body);
  }

  const server = createServer((req, res) => {
    if (!hostOk(req)) return plain(res, 403, 'Forbidden host.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed.');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const given = url.searchParams.get('token');
    if (given !== null) {
      if (!sameSecret(given, token)) return plain(res, 403, bilingual('http.linkExpired'));
      url.searchParams.delete('token');
      securityHeaders(res);
      res.writeHead(302, {
        'Set-Cookie': `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname + url.search,
        'Cache-Control': 'no-store',
      });
      return res.end();
    }
    if (!sessionOk(req)) return plain(res, 401, bilingual('http.unauthorized'));
    serveFile(res, url.pathname, req.method === 'HEAD').catch(() => plain(res, 500, 'Could not read the console files.'));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const origin = req.headers.origin ?? '';
    if (path !== '/rpc') return rejectUpgrade(socket, 404, 'Not Found');
    if (!hostOk(req) || !allowedHosts().some((h) => origin === `http://${h}`) || !sessionOk(req)) {
      return rejectUpgrade(socket, 403, 'Forbidden');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stop = rpc.connect(wsTransport(ws), ctx);
      ws.on('close', stop);
      ws.on('error', () => ws.terminate());
    });
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', fail);
      ok();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    token,
    port,
    async close() {
      rpc.dispose();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
