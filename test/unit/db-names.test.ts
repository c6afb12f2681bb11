/**
 * Database names as data (sources/names.ts): the libpq `dbname='…'` quoting, the hex names of
 * the probes, and the refusal of control characters.
 */
import { describe, it, expect } from 'vitest';
import { checkDiscoveredName, myDatabaseArg, pgDbConnInfo } from '../../src-main/sources/names.js';
import { parseServerInfo } from '../../src-main/sources/probe.js';
import { pgDbArgs } from '../../src-main/sources/postgres.js';
import { thrown } from '../support/errors.js';

const hexOf = (s: string): string => Buffer.from(s, 'utf8').toString('hex');

describe('database names', () => {
  it('quotes a PostgreSQL name as a one-setting connection string (backslash and quote escaped)', () => {
    expect(pgDbConnInfo('clinica')).toBe("dbname='clinica'");
    expect(pgDbConnInfo("x port=5492 it's \\ here")).toBe("dbname='x port=5492 it\\'s \\\\ here'");
    expect(pgDbArgs({ host: 'h', port: 5432, user: 'u' }, 'x port=1')).toEqual(['-h', 'h', '-p', '5432', '-U', 'u', '-w', '-d', "dbname='x port=1'"]);
  });

  it('passes a MySQL name as the value of --database=', () => {
    expect(myDatabaseArg('-h evil')).toBe('--database=-h evil');
  });

  it('refuses control characters with a message that shows them', () => {
    expect(thrown(() => pgDbConnInfo('a\nb')).message).toContain('"a\\nb"');
    expect(thrown(() => myDatabaseArg('a\tb')).code).toBe('INVALID_ARGUMENT');
    const err = thrown(() => checkDiscoveredName('bad\u0085x', 'clinica (127.0.0.1:22)'));
    expect(err.code).toBe('PRECONDITION');
    expect(err.message).toContain('clinica (127.0.0.1:22)');
    expect(err.hint).toMatch(/databases:/);
    expect(checkDiscoveredName('ação é ok', 'x')).toBe('ação é ok');
  });

  it('reads the probe\'s hex names exactly; a line cannot fake one', () => {
    const weird = 'a|b\nd|0|fake';
    const text = ['v|15.8', `d|100|${hexOf(weird)}`, `d|-1|${hexOf('ação')}`, 'd|5|fake', 'd|7|abc'].join('\n');
    const { serverVersion, sizes } = parseServerInfo(text);
    expect(serverVersion).toBe('15.8');
    expect([...sizes.entries()]).toEqual([[weird, 100], ['ação', -1]]);
  });
});
