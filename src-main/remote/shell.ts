/**
 * Building command lines for the remote POSIX shell, and passing secrets to a command without
 * putting them on a command line.
 *
 * How env vars travel: an SSH `env` request needs `AcceptEnv` on the server, which stock
 * OpenSSH configs lack, and `PGPASSWORD=… pg_dump` would show the password in `ps` to every
 * user of the server. Instead the command is wrapped as
 *
 *     IFS= read -r __cofre_env && eval "$__cofre_env" && unset __cofre_env && eval '<command>'
 *
 * and the first line written to its stdin is `export NAME='value' …`. The shell's `read`
 * consumes exactly that line (shells read pipes byte by byte), so the rest of stdin reaches
 * the command untouched. Only builtins see the values: they never appear in an argv.
 */
import { CofreError } from '../errors.js';

const SAFE = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** Quotes a string as one word for a POSIX shell. */
export function shq(value: string): string {
  if (value.length > 0 && SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Quotes each word and joins them: `shJoin(['pg_dump', '-d', db])`. */
export function shJoin(words: readonly string[]): string {
  return words.map(shq).join(' ');
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The `export …` line sent first on stdin; rejects names and values a line cannot carry. */
export function envLine(env: Record<string, string>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) {
      throw new CofreError('INVALID_ARGUMENT', `"${name}" is not a valid environment variable name`);
    }
    if (/[\n\r\0]/.test(value)) {
      throw new CofreError('INVALID_ARGUMENT', `the value of ${name} contains a line break or NUL, which cannot be passed to the server`, {
        hint: 'use a secret without line breaks',
      });
    }
    parts.push(`${name}=${shq(value)}`);
  }
  return `export ${parts.join(' ')}\n`;
}

/** Wraps a command so that it first reads its environment from the first line of stdin. */
export function withEnvPreamble(command: string): string {
  return `IFS= read -r __cofre_env && eval "$__cofre_env" && unset __cofre_env && eval ${shq(command)}`;
}

/** A short, secret-free name for a command in messages: its first word (after `exec`, `env` or assignments). */
export function commandLabel(command: string): string {
  const words = command.trim().split(/\s+/);
  for (const word of words) {
    if (word === 'exec' || word === 'env' || word === 'nice' || word === 'ionice' || /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) continue;
    const base = word.replace(/^['"]|['"]$/g, '').split('/').pop() ?? word;
    return base.length > 40 ? `${base.slice(0, 40)}…` : base || 'command';
  }
  return 'command';
}
