/** Where Cofre keeps its state ($COFRE_HOME) and how config paths with "~" are read. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';

export function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return p;
}

/** $COFRE_HOME, else the OS app-data folder. */
export function cofreHome(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['COFRE_HOME'];
  if (explicit) return resolve(expandHome(explicit));
  if (process.platform === 'win32') return join(env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), 'Cofre');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Cofre');
  return join(env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'cofre');
}

export function ensureHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = cofreHome(env);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return home;
}
