import { describe, expect, it } from 'vitest';
import { CofreError } from '../../src-main/errors.js';
import { isReservedKey, normalizePrefix, validateKey, validateListPrefix } from '../../src-main/storage/keys.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof CofreError ? err.code : 'not a CofreError';
  }
}

describe('storage keys', () => {
  it('accepts the keys of the storage layout', () => {
    for (const key of [
      'sets/20261125T020000Z-a1b2c3/manifest.json',
      'sets/20261125T020000Z-a1b2c3/banco.clinica.pgdump.age',
      'sets/20261125T020000Z-a1b2c3/prontuarios.clinica_my.sql.zst.age',
      'notes.txt',
    ]) {
      expect(validateKey(key)).toBe(key);
    }
  });

  it('rejects keys that are empty, absolute, escape the prefix or use reserved names', () => {
    for (const key of ['', '/abs', '../x', 'a/../b', 'a/./b', 'a//b', 'a/', 'a\\b', 'a\u0000b', '.cofre-tmp-x', 'sets/.cofre-check-1', 'x'.repeat(901)]) {
      expect(code(() => validateKey(key)), key).toBe('INVALID_ARGUMENT');
    }
  });

  it('list prefixes may be empty or end with a slash, but not escape', () => {
    expect(validateListPrefix('')).toBe('');
    expect(validateListPrefix('sets/')).toBe('sets/');
    expect(validateListPrefix('sets/2026')).toBe('sets/2026');
    expect(code(() => validateListPrefix('../'))).toBe('INVALID_ARGUMENT');
    expect(code(() => validateListPrefix('/'))).toBe('INVALID_ARGUMENT');
    expect(code(() => validateListPrefix('sets//'))).toBe('INVALID_ARGUMENT');
  });

  it('normalises the configured prefix and refuses one that escapes', () => {
    expect(normalizePrefix(undefined)).toBe('');
    expect(normalizePrefix('')).toBe('');
    expect(normalizePrefix('/cofre/')).toBe('cofre');
    expect(normalizePrefix('clinica/cofre')).toBe('clinica/cofre');
    expect(code(() => normalizePrefix('a/../..'))).toBe('INVALID_ARGUMENT');
  });

  it('recognises reserved names anywhere in a key', () => {
    expect(isReservedKey('.cofre-check-abc')).toBe(true);
    expect(isReservedKey('sets/x/.cofre-tmp-a.age-123')).toBe(true);
    expect(isReservedKey('sets/x/a.age')).toBe(false);
  });
});
