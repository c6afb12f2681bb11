/**
 * Database names travel to tools on the server as data, never as options or connection
 * settings: libpq parses a `-d` value containing `=` as a connection string
 * (`pg_dump -d 'x port=5492'` would connect elsewhere, with the password), and mysql /
 * mysqldump read a name starting with `-` as an option. Names with control characters
 * (line breaks above all) are refused: they would break every line-based answer and log.
 */
import { CofreError } from '../errors.js';

// C0 controls, DEL and C1 controls
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function hasControlChars(name: string): boolean {
  return CONTROL.test(name);
}

/** A name shown in a message: JSON-quoted, so a control character is visible as an escape. */
export function showName(name: string): string {
  return JSON.stringify(name);
}

/** Refuses a database name with control characters found on the server. */
export function checkDiscoveredName(name: string, where: string): string {
  if (hasControlChars(name)) {
    throw new CofreError('PRECONDITION', `the server ${where} has a database named ${showName(name)}, with a control character (line break, tab…); Cofre does not back it up as part of "every database"`, {
      hint: 'rename that database on the server, or list the databases to back up under the source\'s databases: in the config',
    });
  }
  return name;
}

/**
 * A libpq connection string that sets only the database name: `dbname='…'` with `\` and `'`
 * escaped by a backslash (libpq's rules), so nothing in the name is read as another setting.
 */
export function pgDbConnInfo(name: string): string {
  if (hasControlChars(name)) {
    throw new CofreError('INVALID_ARGUMENT', `the database name ${showName(name)} contains a control character`, { hint: 'use a database name without control characters' });
  }
  return `dbname='${name.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** `--database=<name>` for the mysql client: an option's value, never read as an option itself. */
export function myDatabaseArg(name: string): string {
  if (hasControlChars(name)) {
    throw new CofreError('INVALID_ARGUMENT', `the database name ${showName(name)} contains a control character`, { hint: 'use a database name without control characters' });
  }
  return `--database=${name}`;
}

/** Hex of the UTF-8 bytes, as the probe queries print names (a name can hold `|` or a line break). */
export function decodeHexName(hex: string): string {
  return Buffer.from(hex, 'hex').toString('utf8');
}
