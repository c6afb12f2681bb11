/**
 * The staging rewrite of a MySQL/MariaDB dump (restore/mysql-rewrite.ts): names of the original
 * database in qualifier position become the staging name, DEFINER clauses go, and data rows and
 * string literals come out byte for byte, whatever they contain.
 */
import { describe, it, expect } from 'vitest';
import { Readable } from 'node:stream';
import { DumpRewriteStream, leftoverReferences } from '../../src-main/restore/mysql-rewrite.js';

async function rewrite(sql: string | Buffer, opts = { from: 'clinica', to: 'clinica_restore_abcdef', stripDefiners: true }, chunk = 7): Promise<string> {
  const input = Buffer.isBuffer(sql) ? sql : Buffer.from(sql, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunk) parts.push(input.subarray(i, i + chunk));
  const t = new DumpRewriteStream(opts);
  const out: Buffer[] = [];
  for await (const b of Readable.from(parts).pipe(t)) out.push(b as Buffer);
  return Buffer.concat(out).toString('utf8');
}

describe('DumpRewriteStream', () => {
  it('rewrites a fully qualified view (a view that also reads another database) and keeps the other database', async () => {
    const v = "/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`cofre`@`127.0.0.1` SQL SECURITY DEFINER */\n/*!50001 VIEW `v2` AS select `clinica`.`t`.`id` AS `id` from (`clinica`.`t` join `outra`.`x` on(`outra`.`x`.`id` = `clinica`.`t`.`id`)) */;\n";
    expect(await rewrite(v)).toBe("/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013  SQL SECURITY DEFINER */\n/*!50001 VIEW `v2` AS select `clinica_restore_abcdef`.`t`.`id` AS `id` from (`clinica_restore_abcdef`.`t` join `outra`.`x` on(`outra`.`x`.`id` = `clinica_restore_abcdef`.`t`.`id`)) */;\n");
  });

  it('rewrites unquoted qualifiers in trigger and routine bodies, across DELIMITER changes, never a table or column named like the database', async () => {
    const sql = [
      'DELIMITER ;;',
      "/*!50003 CREATE*/ /*!50017 DEFINER=`app`@`%`*/ /*!50003 TRIGGER tr AFTER INSERT ON t FOR EACH ROW INSERT INTO clinica.audit VALUES (NEW.id, 'clinica.audit') */;;",
      'DELIMITER ;',
      'DELIMITER ;;',
      'CREATE DEFINER=`app`@`localhost` PROCEDURE `p`()',
      'BEGIN',
      "  SELECT x.clinica, `clinica`.`clinica`.clinica FROM clinica . clinica x WHERE nota = 'clinica.t';",
      'END ;;',
      'DELIMITER ;',
      'ALTER DATABASE `clinica` CHARACTER SET latin1 ;',
    ].join('\n');
    expect(await rewrite(sql)).toBe([
      'DELIMITER ;;',
      "/*!50003 CREATE*/ /*!50017 */ /*!50003 TRIGGER tr AFTER INSERT ON t FOR EACH ROW INSERT INTO `clinica_restore_abcdef`.audit VALUES (NEW.id, 'clinica.audit') */;;",
      'DELIMITER ;',
      'DELIMITER ;;',
      'CREATE  PROCEDURE `p`()',
      'BEGIN',
      "  SELECT x.clinica, `clinica_restore_abcdef`.`clinica`.clinica FROM `clinica_restore_abcdef` . clinica x WHERE nota = 'clinica.t';",
      'END ;;',
      'DELIMITER ;',
      'ALTER DATABASE `clinica_restore_abcdef` CHARACTER SET latin1 ;',
    ].join('\n'));
  });

  it('copies data rows byte for byte, even rows that hold the database name, quotes, backticks and invalid UTF-8', async () => {
    const row = Buffer.concat([
      Buffer.from("INSERT INTO `t` VALUES\n(1,'`clinica`.`t` e clinica.t; DEFINER=`a`@`b`'),\n(2,'it\\'s \\\\'),\n(3,'"),
      Buffer.from([0xff, 0xfe, 0x80]),
      Buffer.from("');\nCREATE VIEW w AS SELECT * FROM clinica.t;\n"),
    ]);
    const out = await rewrite(row);
    expect(Buffer.from(out, 'utf8').includes(Buffer.from("(1,'`clinica`.`t` e clinica.t; DEFINER=`a`@`b`'),\n(2,'it\\'s \\\\'),\n"))).toBe(true);
    const raw: Buffer[] = [];
    for await (const b of Readable.from([row]).pipe(new DumpRewriteStream({ from: 'clinica', to: 'x', stripDefiners: true }))) raw.push(b as Buffer);
    const all = Buffer.concat(raw);
    expect(all.subarray(0, row.length - 43)).toEqual(row.subarray(0, row.length - 43));
    expect(all.toString('latin1').endsWith('CREATE VIEW w AS SELECT * FROM `x`.t;\n')).toBe(true);
  });

  it('a string that spans lines in a routine, NO_BACKSLASH_ESCAPES and comments are not code', async () => {
    const sql = [
      "/*!50003 SET sql_mode = 'NO_BACKSLASH_ESCAPES' */ ;",
      'DELIMITER ;;',
      "CREATE FUNCTION f() RETURNS TEXT RETURN CONCAT('C:\\', ' clinica.t ', 'a",
      "clinica.t', (SELECT nota FROM clinica.t LIMIT 1)) -- clinica.t",
      '/* clinica.t */ ;;',
      'DELIMITER ;',
    ].join('\n');
    const out = await rewrite(sql);
    expect(out).toContain("CONCAT('C:\\', ' clinica.t ', 'a\nclinica.t', (SELECT nota FROM `clinica_restore_abcdef`.t LIMIT 1)) -- clinica.t\n/* clinica.t */ ;;");
  });

  it('a multi-byte database name, and names left alone when the restore keeps the original name', async () => {
    expect(await rewrite('CREATE VIEW v AS SELECT * FROM `clínica`.`t`;\n', { from: 'clínica', to: 'clínica_restore_1', stripDefiners: false }, 3)).toBe('CREATE VIEW v AS SELECT * FROM `clínica_restore_1`.`t`;\n');
    const keep = 'CREATE DEFINER=`a`@`b` VIEW v AS SELECT * FROM `clinica`.`t`;\n';
    expect(await rewrite(keep, { from: 'clinica', to: 'clinica', stripDefiners: false })).toBe(keep);
    expect(await rewrite(keep, { from: 'clinica', to: 'clinica', stripDefiners: true })).toBe('CREATE  VIEW v AS SELECT * FROM `clinica`.`t`;\n');
  });

  it('a backtick inside the new name is doubled', async () => {
    expect(await rewrite('SELECT 1 FROM clinica.t;\n', { from: 'clinica', to: 'a`b', stripDefiners: false })).toBe('SELECT 1 FROM `a``b`.t;\n');
  });
});

describe('DumpRewriteStream on long lines', () => {
  it('a whole INSERT on one 3 MiB line (MySQL 8 style) passes byte for byte; the statement after it is still rewritten', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => `(${i},'clinica.t; \\'\\' ${'x'.repeat(80)}')`).join(',');
    const sql = `INSERT INTO \`t\` VALUES ${rows};\nCREATE VIEW w AS SELECT * FROM clinica.t;\n`;
    const out = await rewrite(sql, { from: 'clinica', to: 'n', stripDefiners: false }, 65_536);
    expect(out).toBe(`INSERT INTO \`t\` VALUES ${rows};\nCREATE VIEW w AS SELECT * FROM \`n\`.t;\n`);
  });

  it('a quoted identifier spanning lines is never taken for the database name', async () => {
    expect(await rewrite('SELECT 1 FROM `clin\nica`.t, clinica.u;\n', { from: 'clinica', to: 'n', stripDefiners: false })).toBe('SELECT 1 FROM `clin\nica`.t, `n`.u;\n');
  });
});

describe('leftoverReferences', () => {
  it('counts qualifiers naming the database, not strings or other databases', () => {
    expect(leftoverReferences("select `clinica`.`t`.`id` AS `id` from `clinica`.`t` where x = 'clinica.t'", 'clinica')).toBe(2);
    expect(leftoverReferences('select `t`.`id` from `t` join `outra`.`x`', 'clinica')).toBe(0);
  });
});
