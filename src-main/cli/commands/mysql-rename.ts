/**
 * `cofre mysql-rename --from A --to B`: the rewrite `cofre restore` applies to a MySQL/MariaDB dump
 * restored into staging under another name (restore/mysql-rewrite.ts: database-qualified names in
 * views, triggers, routines and events, ALTER DATABASE / USE, DEFINER clauses), as a filter from
 * stdin to stdout, so the runbook's manual path can restore under another name without leaving a
 * staging copy that reads or writes production:
 *   age -d -i id.txt x.sql.zst.age | zstd -d | cofre mysql-rename --from clinica --to clinica_homolog | mysql clinica_homolog
 * It needs no config, storage or identity. What it rewrote goes to stderr.
 */
import { pipeline } from 'node:stream/promises';
import { CofreError } from '../../errors.js';
import { said } from '../../../shared/i18n/catalog.js';
import { DumpRewriteStream } from '../../restore/mysql-rewrite.js';

export interface MysqlRenameOptions {
  from?: string;
  to?: string;
}

/** MySQL's limit for a database name (characters); an empty or longer name is surely a typo. */
const MAX_NAME = 64;

export function checkRenameNames(o: MysqlRenameOptions): { from: string; to: string } {
  const bad = (what: string): CofreError => new CofreError('INVALID_ARGUMENT', `mysql-rename needs ${what}; nothing was read`, {
    hint: 'e.g. … | zstd -d | cofre mysql-rename --from clinica --to clinica_homolog | mysql clinica_homolog',
    ...said('mysqlRename.usage'),
  });
  const from = o.from ?? '';
  const to = o.to ?? '';
  if (!from || from.length > MAX_NAME) throw bad('--from <the database name in the dump> (1 to 64 characters)');
  if (!to || to.length > MAX_NAME) throw bad('--to <the name it is restored under> (1 to 64 characters)');
  if (from === to) throw bad('a --to different from --from (restoring under the same name needs no rewrite)');
  return { from, to };
}

export async function mysqlRenameCommand(o: MysqlRenameOptions, io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }, json = false): Promise<number> {
  const { from, to } = checkRenameNames(o);
  if (json) {
    throw new CofreError('INVALID_ARGUMENT', 'mysql-rename writes the renamed dump on stdout: --json does not apply; nothing was read', {
      hint: 'run it without --json (what it rewrote goes to stderr)', ...said('mysqlRename.json'),
    });
  }
  if ((io.stdin as { isTTY?: boolean }).isTTY) {
    throw new CofreError('INVALID_ARGUMENT', 'mysql-rename reads the dump on stdin, and stdin is a terminal', {
      hint: 'pipe the decrypted dump into it: age -d -i <identity> <dump>.sql.zst.age | zstd -d | cofre mysql-rename --from A --to B | mysql B',
      ...said('mysqlRename.stdin'),
    });
  }
  const rewrite = new DumpRewriteStream({ from, to, stripDefiners: true });
  await pipeline(io.stdin, rewrite, io.stdout);
  const r = rewrite.rewriter;
  io.stderr.write(`${r.replaced} reference(s) to the database ${from} in views, triggers, routines or events now name ${to}; ${r.definers} DEFINER clause(s) removed\n`);
  return 0;
}
