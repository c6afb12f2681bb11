/**
 * Restore and drill reports over the console server: `GET /reports/<name>.html`, behind the
 * console's session cookie like every other page (ws-server.ts checks it first). Only a plain
 * file name of `$COFRE_HOME/reports` is served: no folders, no `..`, no symlink that leads out
 * of that folder. The page is served with a policy of its own (inline style, no script at all).
 *
 * The desktop app has no server: its window maps the same `/reports/<name>.html` link to the
 * file with reportFileOf and opens it through the shell.
 */
import type { ServerResponse } from 'node:http';
import { readFile, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { REPORTS_PATH } from '../../shared/report-href.js';

export function isReportPath(pathname: string): boolean {
  return pathname.startsWith(REPORTS_PATH);
}

/** A report's file name: what writeReport makes (`restore-12.html`, `drill-3.html`). */
const REPORT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.html$/;

/**
 * The file in `reportsDir` that a `/reports/<name>` path names, or undefined when the name is
 * not a plain report name, the file does not exist, or it resolves (symlink) outside the folder.
 */
export async function reportFileOf(reportsDir: string, pathname: string): Promise<string | undefined> {
  if (!isReportPath(pathname)) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(pathname.slice(REPORTS_PATH.length));
  } catch {
    return undefined;
  }
  if (!REPORT_NAME.test(name)) return undefined;
  try {
    const dir = await realpath(reportsDir);
    const file = await realpath(join(reportsDir, name));
    return dirname(file) === dir ? file : undefined;
  } catch {
    return undefined;
  }
}

const REPORT_POLICY = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  'sandbox allow-modals',
].join('; ');

/** Serves the report a `/reports/…` path names; 404 for anything else (the reason is not told). */
export async function serveReport(res: ServerResponse, reportsDir: string | undefined, pathname: string, head: boolean): Promise<void> {
  const file = reportsDir === undefined ? undefined : await reportFileOf(reportsDir, pathname);
  const body = file === undefined ? undefined : await readFile(file).catch(() => undefined);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  if (!body) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': REPORT_POLICY });
    res.end('Relatório não encontrado.\n\nReport not found.\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': REPORT_POLICY, 'Content-Length': body.length });
  res.end(head ? undefined : body);
}

/**
 * The desktop window's report link: the renderer is a file:// page, so `/reports/<name>.html`
 * arrives as `file:///reports/<name>.html` (`file:///C:/reports/…` on Windows). The file in
 * `reportsDir` it names, checked as for the server route, or undefined for any other URL.
 */
export async function reportFileOfDesktopUrl(reportsDir: string, url: string): Promise<string | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'file:') return undefined;
  const m = /\/reports\/([^/]+)$/.exec(parsed.pathname);
  return m?.[1] ? reportFileOf(reportsDir, `${REPORTS_PATH}${m[1]}`) : undefined;
}
