/** Staging `names: original`: the names a restore uses, the aside names and which paths a files item writes (pure parts). */
import { describe, it, expect } from 'vitest';
import { planItems, type TargetInfo } from '../../src-main/restore/target.js';
import { asideName, asideStamp, filesDestinations, namesPolicy, sameByAddress } from '../../src-main/restore/original-names.js';
import { ConfigSchema } from '../../src-main/config/schema.js';
import type { Manifest } from '../../shared/domain.js';

const setId = '20260301T020000Z-abcdef';
const o = (part: string, format: 'pgdump' | 'sql' | 'tar') => ({ part, format, key: `sets/${setId}/x.${part}.${format}.age`, bytes: 10, plainBytes: 20, sha256: 'a'.repeat(64) });
const manifest: Manifest = {
  format: 'cofre-set/1', setId, plan: 'diario', createdAt: '2026-03-01T02:00:00Z', finishedAt: '2026-03-01T02:10:00Z', recipients: [], cofreVersion: '0',
  sources: [
    { name: 'banco', type: 'postgres', server: 's', objects: [o('globals', 'sql'), o('clinica', 'pgdump')] },
    { name: 'pront', type: 'mysql', server: 's', objects: [o('pront', 'sql')] },
    { name: 'arquivos', type: 'files', server: 's', objects: [o('files', 'tar')] },
  ],
};
const base = { kind: 'staging' as const, server: 'h', checks: [], filesRoot: '/srv/homolog' };
const target = (names?: 'original' | 'side-by-side' | 'side'): TargetInfo => ({
  name: 'homologacao', config: { ...base, ...(names ? { names } : {}) },
  pg: { host: '127.0.0.1', port: 5432, user: 'postgres' }, my: { host: '127.0.0.1', port: 3306, user: 'root' },
});

describe('names: original on a staging target', () => {
  it('databases keep their production names and files go to their original paths under filesRoot; globals stay skipped', () => {
    const items = planItems(manifest, target('original'), {});
    expect(items.map((i) => [i.object.part, i.destination])).toEqual([['globals', '(roles and tablespaces)'], ['clinica', 'clinica'], ['pront', 'pront'], ['files', '/srv/homolog']]);
    expect(items[0]?.skip).toMatch(/not applied on a staging target/);
    const drill = planItems(manifest, target('original'), { kind: 'drill' });
    expect(drill.find((i) => i.object.part === 'clinica')?.destination).toBe('clinica');
  });

  it('the default, side-by-side and side keep <db>_restore_<hex> and <filesRoot>/<setId>/', () => {
    for (const names of [undefined, 'side-by-side', 'side'] as const) {
      const items = planItems(manifest, target(names), {});
      expect(items.find((i) => i.object.part === 'clinica')?.destination).toBe('clinica_restore_abcdef');
      expect(items.find((i) => i.type === 'files')?.destination).toBe(`/srv/homolog/${setId}`);
      expect(namesPolicy(target(names).config)).toBe('side-by-side');
    }
    expect(namesPolicy({ ...base, kind: 'production' })).toBe('original');
  });

  it('aside names: _antes_<yyyymmddhhmmss> of the restore start, cut to the server limit without splitting a character', () => {
    const stamp = asideStamp(new Date('2026-12-02T05:40:09.123Z'));
    expect(stamp).toBe('20261202054009');
    expect(asideName('clinica', stamp)).toBe('clinica_antes_20261202054009');
    const long = asideName('ç'.repeat(60), stamp);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^ç+_antes_20261202054009$/);
    expect(Buffer.byteLength(asideName('x'.repeat(80), stamp, 64))).toBe(64);
  });

  it('a files item writes the chosen paths, else the set\'s roots, else the configured paths, under filesRoot', () => {
    const config = ConfigSchema.parse({ sources: { arquivos: { type: 'files', server: 'h', paths: ['/srv/clinica/uploads/'] } } });
    const [item] = planItems(manifest, target('original'), { sources: ['arquivos'] });
    expect(filesDestinations(item!, config, new Map())).toEqual(['/srv/homolog/srv/clinica/uploads']);
    expect(filesDestinations(item!, config, new Map([[item!.object.key, ['srv/clinica/uploads', 'srv/clinica/docs']]]))).toEqual(['/srv/homolog/srv/clinica/uploads', '/srv/homolog/srv/clinica/docs']);
    const [one] = planItems(manifest, target('original'), { paths: ['/srv/clinica/uploads/exames'] });
    expect(filesDestinations(one!, config, new Map())).toEqual(['/srv/homolog/srv/clinica/uploads/exames']);
    expect(filesDestinations(item!, ConfigSchema.parse({}), new Map())).toBeUndefined();
  });

  it('the config refuses an unknown value and side-by-side on a production target', () => {
    const t = (extra: object) => ConfigSchema.safeParse({ servers: {}, restoreTargets: { h: { kind: 'staging', server: 'h', ...extra } } });
    expect(t({ names: 'original' }).success).toBe(true);
    expect(t({ names: 'originais' }).success).toBe(false);
    const prod = ConfigSchema.safeParse({ restoreTargets: { p: { kind: 'production', server: 'h', names: 'side-by-side' } } });
    expect(prod.success).toBe(false);
    expect(prod.error?.issues[0]?.message).toMatch(/production target always restores under the original names/);
  });
});

describe('same server by address (only when the source cannot be asked)', () => {
  const ssh = (host: string, port = 22) => ({ kind: 'ssh' as const, name: host, host, port, user: 'u', privateKeyFile: '/k' });
  const local = { kind: 'local' as const, name: 'aqui' };
  it('loopback database addresses are the same server only on the same machine', () => {
    expect(sameByAddress(ssh('10.0.0.1'), { host: '127.0.0.1', port: 5432 }, ssh('10.0.0.1'), { host: 'localhost', port: 5432 })).toBe(true);
    expect(sameByAddress(ssh('10.0.0.2'), { host: '127.0.0.1', port: 5432 }, ssh('10.0.0.1'), { host: '127.0.0.1', port: 5432 })).toBe(false);
    expect(sameByAddress(ssh('10.0.0.1', 2222), { host: '127.0.0.1', port: 5432 }, ssh('10.0.0.1'), { host: '127.0.0.1', port: 5432 })).toBe(false);
    expect(sameByAddress(local, { host: '/run/postgresql', port: 5432 }, local, { host: '127.0.0.1', port: 5432 })).toBe(true);
    expect(sameByAddress(local, { host: '127.0.0.1', port: 5432 }, ssh('10.0.0.1'), { host: '127.0.0.1', port: 5432 })).toBe(false);
  });
  it('a network database address is the same server from any machine; another port is another server', () => {
    expect(sameByAddress(ssh('10.0.0.2'), { host: 'db.clinica', port: 3306 }, ssh('10.0.0.1'), { host: 'db.clinica', port: 3306 })).toBe(true);
    expect(sameByAddress(ssh('10.0.0.1'), { host: '127.0.0.1', port: 5433 }, ssh('10.0.0.1'), { host: '127.0.0.1', port: 5432 })).toBe(false);
  });
});
