/**
 * `GET /download/<ticket>` of the browser console: the one-time download a `files.save` answered
 * with ("salvar no computador"). The session cookie is checked by the server before this runs;
 * the ticket is good once. The engine writes the decrypted bytes and audits the save.
 */
import type { ServerResponse } from 'node:http';
import type { EngineServices } from './services.js';
import { catalogText } from '../../shared/i18n/catalog.js';

export const DOWNLOAD_PREFIX = '/download/';

/** `attachment` with the name in UTF-8 (RFC 6266/5987) and an ASCII fallback. */
export function contentDisposition(name: string): string {
  const ascii = name.normalize('NFD').replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '_') || 'cofre-arquivo';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function gone(res: ServerResponse): void {
  const text = (lang: 'pt-BR' | 'en'): string => {
    const t = catalogText(lang, 'browser.downloadGone');
    return `${t.text}. ${t.action ?? ''}`;
  };
  res.writeHead(410, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${text('pt-BR')}\n\n${text('en')}\n`);
}

export async function serveDownload(services: EngineServices, pathname: string, res: ServerResponse, head: boolean): Promise<void> {
  const ticket = decodeURIComponent(pathname.slice(DOWNLOAD_PREFIX.length));
  // HEAD must not spend the one-time link
  if (head) {
    res.writeHead(405, { 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  const download = await services.files.takeDownload(ticket).catch(() => undefined);
  if (!download) return gone(res);
  res.writeHead(200, {
    'Content-Type': download.name.endsWith('.tar') ? 'application/x-tar' : 'application/octet-stream',
    'Content-Disposition': contentDisposition(download.name),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...(download.size !== undefined ? { 'Content-Length': download.size } : {}),
  });
  try {
    await download.write(res);
  } catch {
    // headers are gone: cut the connection so the browser marks the download failed (never a short file taken as whole)
    res.destroy();
  }
}
