/**
 * The console over HTTP + WebSocket on 127.0.0.1 (`cofre ui`, and the same UI the daemon serves).
 *
 * Access: the token in a console link is single-use. Its first use is exchanged for an HttpOnly
 * SameSite=Strict session cookie and a redirect to the clean URL; any later use of the same link
 * is refused with a page that says how to get a new one (a link seen in a process list, a
 * browser history or a shell log opens nothing). A browser that already holds a session of
 * this server is just sent to the console. Every request needs that cookie; the WebSocket
 * upgrade (`/rpc`) also needs an Origin and Host of this very server (DNS-rebinding and
 * cross-site protection). Static files are the built renderer, served with a strict
 * Content-Security-Policy.
 *
 * Links are `?token=<nonce>.<HMAC-SHA256(linkKey, nonce)>`: whoever holds the per-launch
 * `linkKey` (this process, and `cofre ui` through the daemon's 0600 console.json) can mint a
 * fresh link without asking the server; the server remembers the nonces already used.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_MESSAGE_BYTES } from '../../shared/rpc/envelope.js';
import type { Transport } from '../../shared/rpc/transport.js';
import { createConsoleRpc } from './index.js';
import type { EngineServices } from './services.js';
import { DEFAULT_LANGUAGE, translate } from '../../shared/i18n/index.js';
import { DOWNLOAD_PREFIX, serveDownload } from './download-route.js';
import { isReportPath, serveReport } from './report-route.js';

export interface ConsoleServerOptions {
  services: EngineServices;
  /** 0 (default) picks a free port */
  port?: number;
  /** the built renderer (dist/renderer) */
  staticDir: string;
  /** recorded in the audit log for actions taken from this console (default "console") */
  actor?: string;
  /** $COFRE_HOME/reports: served at /reports/<name>.html (report-route.ts); none: those are 404 */
  reportsDir?: string;
}

export interface ConsoleServer {
  /** http://127.0.0.1:PORT/?token=… — a first single-use link; it sets the session cookie. */
  url: string;
  /** that link's token */
  token: string;
  port: number;
  /** http://127.0.0.1:PORT/ — the console without a token */
  origin: string;
  /** the secret that mints links (consoleLink); never logged, kept only in 0600 files */
  linkKey: string;
  /** a fresh single-use link */
  newLink(): string;
  close(): Promise<void>;
}

function linkMac(linkKey: string, nonce: string): string {
  return createHmac('sha256', Buffer.from(linkKey, 'base64url')).update(nonce).digest('base64url');
}

/** A fresh single-use link to the console at `origin`, minted with its `linkKey`. */
export function consoleLink(origin: string, linkKey: string): string {
  const nonce = randomBytes(16).toString('base64url');
  const url = new URL(origin);
  url.pathname = '/';
  url.search = '';
  url.searchParams.set('token', `${nonce}.${linkMac(linkKey, nonce)}`);
  return url.toString();
}

/** The page that sends a browser with its new session on to the clean URL. */
function movingOnPage(path: string): string {
  const href = path.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="${DEFAULT_LANGUAGE}"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}"><link rel="icon" href="data:,"><title>Cofre</title></head><body><a href="${href}">Cofre</a></body></html>`;
}

/** The page shown for a link that was used already or is not valid: pt-BR, then English. */
function linkRefusedPage(kind: 'used' | 'invalid'): string {
  const esc = (t: string): string => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const block = (lang: 'pt-BR' | 'en'): string =>
    `<section lang="${lang}"><h1>${esc(translate(lang, `link.${kind}.title`))}</h1><p>${esc(translate(lang, 'link.howToGetNew'))}</p></section>`;
  return `<!doctype html><html lang="${DEFAULT_LANGUAGE}"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Cofre</title></head><body>${block('pt-BR')}<hr>${block('en')}</body></html>`;
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
function bilingual(key: 'http.unauthorized'): string {
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
  const linkKey = randomBytes(32).toString('base64url');
  const usedNonces = new Set<string>();
  const sessions = new Set<string>();
  const root = resolve(options.staticDir);
  const rpc = createConsoleRpc(options.services);
  const ctx = { actor: options.actor ?? 'console' };
  let port = 0;

  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];
  const hostOk = (req: IncomingMessage): boolean => allowedHosts().includes(req.headers.host ?? '');
  const sessionOk = (req: IncomingMessage): boolean => {
    const c = cookieValue(req);
    return c !== undefined && [...sessions].some((s) => sameSecret(c, s));
  };
  /** 'ok' spends the token; a token is good once. */
  const useToken = (given: string): 'ok' | 'used' | 'invalid' => {
    const [nonce, mac, ...rest] = given.split('.');
    if (!nonce || !mac || rest.length > 0 || !sameSecret(mac, linkMac(linkKey, nonce))) return 'invalid';
    if (usedNonces.has(nonce)) return 'used';
    usedNonces.add(nonce);
    return 'ok';
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
      const verdict = useToken(given);
      url.searchParams.delete('token');
      const clean = url.pathname + url.search;
      securityHeaders(res);
      if (verdict !== 'ok') {
        // this browser is signed in already (e.g. the link clicked twice): just open the console
        if (sessionOk(req)) {
          res.writeHead(302, { Location: clean, 'Cache-Control': 'no-store' });
          return res.end();
        }
        res.writeHead(403, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
        return res.end(linkRefusedPage(verdict));
      }
      const session = randomBytes(32).toString('base64url');
      sessions.add(session);
      // A page that moves on by itself rather than a 302: a link opened from another site (the
      // local page `cofre ui` hands the browser) starts a cross-site redirect chain, in which a
      // SameSite=Strict cookie is not sent; a navigation from this page is same-site.
      res.writeHead(200, {
        'Set-Cookie': `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
      });
      return res.end(movingOnPage(clean));
    }
    if (!sessionOk(req)) return plain(res, 401, bilingual('http.unauthorized'));
    if (url.pathname.startsWith(DOWNLOAD_PREFIX)) return void serveDownload(options.services, url.pathname, res, req.method === 'HEAD').catch(() => res.destroy());
    if (isReportPath(url.pathname)) {
      serveReport(res, options.reportsDir, url.pathname, req.method === 'HEAD').catch(() => plain(res, 500, 'Could not read the report.'));
      return;
    }
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

  const origin = `http://127.0.0.1:${port}/`;
  const url = consoleLink(origin, linkKey);
  return {
    url,
    token: new URL(url).searchParams.get('token') ?? '',
    port,
    origin,
    linkKey,
    newLink: () => consoleLink(origin, linkKey),
    async close() {
      rpc.dispose();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
