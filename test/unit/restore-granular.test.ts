/** Single-table restore's TOC reading and selection, and the path helpers of granular restore (pure). */
import { describe, it, expect } from 'vitest';
import { findTable, parseToc, tableSelection, tocTables } from '../../src-main/restore/pg-table.js';
import { missingPaths, replacedPaths, topLevelPaths } from '../../src-main/restore/paths.js';
import type { RestoreItem } from '../../src-main/restore/types.js';

/** `pg_restore -l -v` of a PostgreSQL 15 dump: serial and identity columns, an enum type, a table name with a space, foreign keys. */
const TOC = `; Selected TOC Entries:
;
3383; 0 0 ENCODING - ENCODING 
3384; 0 0 STDSTRINGS - STDSTRINGS 
3385; 0 0 SEARCHPATH - SEARCHPATH 
3386; 1262 16384 DATABASE - fx postgres
6; 2615 16385 SCHEMA - clinica postgres
7; 2615 16386 SCHEMA - financeiro postgres
855; 1247 16417 TYPE clinica humor postgres
;	depends on: 6
223; 1259 16422 TABLE clinica com espaço postgres
;	depends on: 6 855
3387; 0 0 COMMENT clinica TABLE "com espaço" postgres
;	depends on: 223
222; 1259 16421 SEQUENCE clinica com espaço_id_seq postgres
;	depends on: 223 6
217; 1259 16388 TABLE clinica pacientes postgres
;	depends on: 6
216; 1259 16387 SEQUENCE clinica pacientes_id_seq postgres
;	depends on: 6 217
3388; 0 0 SEQUENCE OWNED BY clinica pacientes_id_seq postgres
;	depends on: 216
221; 1259 16412 TABLE clinica vazia postgres
;	depends on: 6
219; 1259 16397 TABLE financeiro faturas postgres
;	depends on: 7
218; 1259 16396 SEQUENCE financeiro faturas_id_seq postgres
;	depends on: 7 219
3389; 0 0 SEQUENCE OWNED BY financeiro faturas_id_seq postgres
;	depends on: 218
220; 1259 16411 SEQUENCE financeiro protocolo postgres
;	depends on: 7
3217; 2604 16391 DEFAULT clinica pacientes id postgres
;	depends on: 216 217 217
3218; 2604 16400 DEFAULT financeiro faturas id postgres
;	depends on: 218 219 219
3379; 2613 16415 BLOB - 16415 postgres
3378; 0 16422 TABLE DATA clinica com espaço postgres
;	depends on: 223
3372; 0 16388 TABLE DATA clinica pacientes postgres
;	depends on: 217
3376; 0 16412 TABLE DATA clinica vazia postgres
;	depends on: 221
3374; 0 16397 TABLE DATA financeiro faturas postgres
;	depends on: 219
3390; 0 0 SEQUENCE SET clinica com espaço_id_seq postgres
;	depends on: 222
3391; 0 0 SEQUENCE SET clinica pacientes_id_seq postgres
;	depends on: 216
3392; 0 0 SEQUENCE SET financeiro faturas_id_seq postgres
;	depends on: 218
3393; 0 0 SEQUENCE SET financeiro protocolo postgres
;	depends on: 220
3380; 0 0 BLOBS - BLOBS 
3226; 2606 16426 CONSTRAINT clinica com espaço com espaço_pkey postgres
;	depends on: 223
3221; 2606 16395 CONSTRAINT clinica pacientes pacientes_pkey postgres
;	depends on: 217
3223; 2606 16405 CONSTRAINT financeiro faturas faturas_pkey postgres
;	depends on: 219
3224; 1259 16432 INDEX clinica com espaço_h_idx postgres
;	depends on: 223
3228; 2606 16427 FK CONSTRAINT clinica com espaço com espaço_pai_fkey postgres
;	depends on: 223 217 3221
3227; 2606 16406 FK CONSTRAINT financeiro faturas faturas_paciente_fkey postgres
;	depends on: 217 219 3221
`;

describe('pg_restore TOC for --table', () => {
  const toc = parseToc(TOC);

  it('parses entries, their types (with spaces) and dependencies', () => {
    expect(toc.find((e) => e.id === 3217)).toMatchObject({ desc: 'DEFAULT', rest: 'clinica pacientes id postgres', deps: [216, 217, 217] });
    expect(toc.find((e) => e.id === 3388)).toMatchObject({ desc: 'SEQUENCE OWNED BY', deps: [216] });
    expect(tocTables(toc)).toEqual(['clinica.com espaço', 'clinica.pacientes', 'clinica.vazia', 'financeiro.faturas']);
  });

  it('finds a table by schema.table, names with spaces included; another kind or a missing name is not found', () => {
    expect(findTable(toc, 'clinica.com espaço')?.id).toBe(223);
    expect(findTable(toc, 'clinica.pacientes')?.id).toBe(217);
    expect(findTable(toc, 'clinica.pacientes_id_seq')).toBeUndefined();
    expect(findTable(toc, 'financeiro.pacientes')).toBeUndefined();
    expect(findTable(toc, 'clinica.com')).toBeUndefined();
  });

  it('keeps the table, its data, schema, serial sequence (value, default, ownership) and key; leaves out foreign keys to tables not restored', () => {
    const t = findTable(toc, 'clinica.pacientes');
    if (!t) throw new Error('no table');
    const { keep, leftOut } = tableSelection(toc, [t]);
    expect(keep.map((e) => e.id)).toEqual([3383, 3384, 3385, 6, 217, 216, 3388, 3217, 3372, 3391, 3221]);
    expect(leftOut.map((e) => e.desc)).toEqual(['FK CONSTRAINT', 'FK CONSTRAINT']);
    expect(keep.some((e) => e.desc === 'TABLE' && e.id !== 217)).toBe(false);
  });

  it('an identity column brings its sequence; a column type, index and comment come along', () => {
    const t = findTable(toc, 'clinica.com espaço');
    if (!t) throw new Error('no table');
    const kinds = tableSelection(toc, [t]).keep.map((e) => e.desc);
    expect(kinds).toEqual(['ENCODING', 'STDSTRINGS', 'SEARCHPATH', 'SCHEMA', 'TYPE', 'TABLE', 'COMMENT', 'SEQUENCE', 'TABLE DATA', 'SEQUENCE SET', 'CONSTRAINT', 'INDEX']);
  });
});

describe('granular restore paths', () => {
  it('top-level paths are those no other path contains', () => {
    expect(topLevelPaths(['/srv/a', '/srv/a/x', '/srv/a/x/y', '/home/b', '/home/b/c', '/srv/ab'])).toEqual(['/srv/a', '/home/b', '/srv/ab']);
  });

  it('a missing path names the deepest folder of the set above it', () => {
    const held = ['/srv/a', '/srv/a/x', '/srv/a/x/f.txt'];
    expect(missingPaths(['/srv/a/x/f.txt', '/srv/a/x'], held)).toEqual([]);
    expect(missingPaths(['/srv/a/x/g.txt', '/outro'], held)).toEqual([{ path: '/srv/a/x/g.txt', near: '/srv/a/x' }, { path: '/outro', near: '/srv/a' }]);
    expect(missingPaths(['/srv/a/xy'], held)).toEqual([{ path: '/srv/a/xy', near: '/srv/a' }]);
  });

  it('a production restore never replaces the whole root', () => {
    const item = { object: { key: 'sets/x/arquivos.index.age' } } as Pick<RestoreItem, 'paths' | 'object'>;
    expect(replacedPaths(item, ['/srv/a/', 'home/b'])).toEqual(['/srv/a', '/home/b']);
    expect(() => replacedPaths(item, ['/'])).toThrow(/whole root/);
    expect(() => replacedPaths(item, undefined)).toThrow(/not known/);
  });
});
