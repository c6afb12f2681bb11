/**
 * Where a running daemon publishes its console: `$COFRE_HOME/console.json` (mode 0600, it holds
 * the key that mints the console's single-use links), so `cofre ui` on the same home opens that
 * console instead of starting a second engine. Removed when the daemon stops; a file left by a
 * dead process is ignored.
 */
import { readFileSync, writeFileSync, rmSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export interface ConsoleFile {
  /** the console's origin, http://127.0.0.1:PORT/ (no token) */
  url: string;
  /** mints single-use links (ws-server.ts consoleLink) */
  linkKey: string;
  pid: number;
}

function pathOf(home: string): string {
  return join(home, 'console.json');
}

export function writeConsoleFile(home: string, url: string, linkKey: string): void {
  const tmp = `${pathOf(home)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ url, linkKey, pid: process.pid } satisfies ConsoleFile)}\n`, { mode: 0o600 });
  renameSync(tmp, pathOf(home));
}

/** The console of a running daemon with pid `pid`, if it published one. */
export function readConsoleFile(home: string, pid: number): ConsoleFile | undefined {
  try {
    const file = JSON.parse(readFileSync(pathOf(home), 'utf8')) as Partial<ConsoleFile>;
    return file.pid === pid && typeof file.url === 'string' && typeof file.linkKey === 'string' ? { url: file.url, linkKey: file.linkKey, pid } : undefined;
  } catch {
    return undefined;
  }
}

export function removeConsoleFile(home: string): void {
  try {
    const file = JSON.parse(readFileSync(pathOf(home), 'utf8')) as Partial<ConsoleFile>;
    if (file.pid === process.pid) rmSync(pathOf(home));
  } catch {
    // already gone
  }
}
