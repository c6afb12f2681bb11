/**
 * PostgreSQL globals (roles, tablespaces: `pg_dumpall --globals-only`) are a psql script, and a
 * psql script can run shell commands (`\!`), write files (`\o`, `\w`) or read them (`\i`). A
 * forged globals file must never reach psql: the whole decrypted file is checked first, and
 * any backslash is refused except the `\restrict KEY` / `\unrestrict KEY` lines current
 * pg_dumpall writes around its output (themselves a guard against such injection). Refusing
 * every other backslash — even inside a string literal — is on purpose: psql decides where a
 * literal ends by the server's standard_conforming_strings, which the script itself can change,
 * so no lexer here could be sure; pg_dumpall's own globals never need one.
 *
 * The script is then applied with `psql -X -v ON_ERROR_STOP=1`, so a failure stops it. Roles
 * that already exist (the usual case on production) would stop it at `CREATE ROLE`: each such
 * line becomes a block that skips an existing role, and the `ALTER ROLE` after it sets the
 * role's attributes and password as the set recorded them.
 */
import { randomBytes } from 'node:crypto';

/** A globals dump larger than this is not one pg_dumpall made for a clinic: refused. */
export const MAX_GLOBALS_BYTES = 64 * 1024 * 1024;

const ALLOWED_META = /^\\(restrict|unrestrict) [A-Za-z0-9]+$/;
const CREATE_ROLE = /^CREATE ROLE ("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*);$/;

export type GlobalsVerdict =
  | { ok: true; restrict: boolean }
  | { ok: false; line: number; text: string };

export function checkGlobalsScript(script: string): GlobalsVerdict {
  const lines = script.split('\n');
  let restrict = false;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] ?? '';
    if (!line.includes('\\')) continue;
    const m = ALLOWED_META.exec(line);
    if (!m) return { ok: false, line: n + 1, text: line.length > 80 ? `${line.slice(0, 80)}…` : line };
    if (m[1] === 'restrict') restrict = true;
  }
  return { ok: true, restrict };
}

/** The message of a refused globals file (names the object and the line, says nothing ran). */
export function refusedGlobalsMessage(objectName: string, v: { line: number; text: string }): string {
  return `${objectName} holds a psql meta-command at line ${v.line} (${JSON.stringify(v.text)}): globals may only hold SQL and the \\restrict/\\unrestrict pair pg_dumpall writes; refused, nothing was run`;
}

/** Makes `CREATE ROLE x;` skip a role that already exists (see the module comment). */
export function prepareGlobalsScript(script: string): string {
  let tag = `cofre_${randomBytes(6).toString('hex')}`;
  while (script.includes(tag)) tag = `cofre_${randomBytes(6).toString('hex')}`;
  return script
    .split('\n')
    .map((line) => {
      const m = CREATE_ROLE.exec(line);
      return m ? `DO $${tag}$BEGIN CREATE ROLE ${m[1]}; EXCEPTION WHEN duplicate_object THEN NULL; END$${tag}$;` : line;
    })
    .join('\n');
}

/** Shell input that proves the target's psql knows `\restrict` (PostgreSQL 13.22/14.19/15.14/16.10/17.6 and later). */
export const RESTRICT_PROBE = '\\restrict cofreprobe\nSELECT 1;\n\\unrestrict cofreprobe\n';
