import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseConfigText, loadConfig } from '../../src-main/config/load.js';
import { setConfigValue } from '../../src-main/config/edit.js';
import { resolveSecret } from '../../src-main/config/secrets.js';
import { thrown } from '../support/errors.js';

const RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

const VALID = `# top comment
servers:
  clinica:
    host: 203.0.113.10
    user: backup
    privateKeyFile: ~/.ssh/id_ed25519   # the key
    location: { provider: hetzner, region: fsn1 }
sources:
  banco: { server: clinica, type: postgres, user: postgres, databases: [clinica] }
  arquivos: { server: clinica, type: files, paths: [/srv/uploads], exclude: ["*.tmp"] }
storage:
  nuvem: { type: s3, region: us-east-2, bucket: clinica-backups, prefix: cofre, accessKeyIdEnv: AWS_ACCESS_KEY_ID, secretAccessKeyEnv: AWS_SECRET_ACCESS_KEY }
  nas: { type: folder, path: /mnt/nas/cofre }
encryption:
  recipients: ["${RECIPIENT}"]
plans:
  diario:
    sources: [banco, arquivos]
    storage: nuvem
    schedule: "0 2 * * *"
    timezone: America/Sao_Paulo
    retention: { keepDays: 30, keepMin: 7 }
`;

describe('config', () => {
  it('accepts the DESIGN.md contract and fills defaults', () => {
    const c = parseConfigText(VALID, 'cofre.yaml');
    expect(c.servers['clinica']).toMatchObject({ port: 22 });
    expect(c.plans['diario']?.retention).toEqual({ keepDays: 30, keepMin: 7 });
    expect(c.sources['banco']).toMatchObject({ type: 'postgres', port: 5432, host: '127.0.0.1' });
  });

  it('accepts a kind: local server (this machine, no SSH) and refuses SSH fields on it', () => {
    const local = VALID.replace('servers:\n', 'servers:\n  aqui:\n    kind: local\n');
    expect(parseConfigText(local, 'cofre.yaml').servers['aqui']).toEqual({ kind: 'local' });
    const err = thrown(() => parseConfigText(VALID.replace('servers:\n', 'servers:\n  aqui:\n    kind: local\n    host: 10.0.0.1\n'), 'cofre.yaml'));
    expect(err.message).toMatch(/servers\.aqui/);
    expect(err.message).toMatch(/host/);
  });

  it('names file, line, path and the known names for a bad reference', () => {
    const err = thrown(() => parseConfigText(VALID.replace('storage: nuvem', 'storage: nuvm'), 'cofre.yaml'));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toBe('cofre.yaml:19: plans.diario.storage: "nuvm" is not a storage; known: nuvem, nas');
  });

  it('rejects unknown keys with their name and line', () => {
    const err = thrown(() => parseConfigText(VALID.replace('    user: backup', '    user: backup\n    pasword: x'), 'c.yaml'));
    expect(err.message).toMatch(/^c\.yaml:6: servers\.clinica: unknown key "pasword"/);
  });

  it('rejects wrong types', () => {
    const err = thrown(() => parseConfigText(VALID.replace('keepDays: 30', 'keepDays: "trinta"'), 'c.yaml'));
    expect(err.message).toContain('plans.diario.retention.keepDays: expected number, got string "trinta"');
    const err2 = thrown(() => parseConfigText(VALID.replace('keepDays: 30', 'keepDays: 0'), 'c.yaml'));
    expect(err2.message).toContain('plans.diario.retention.keepDays');
  });

  it('refuses a database name with a control character, and accepts one that only looks like a connection string', () => {
    const err = thrown(() => parseConfigText(VALID.replace('databases: [clinica]', 'databases: ["clinica\\nd|0|x"]'), 'c.yaml'));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('sources.banco.databases.0: a database name without control characters');
    const ok = parseConfigText(VALID.replace('databases: [clinica]', `databases: ["x port=5492", "-h evil", "a'b\\\\c"]`), 'c.yaml');
    const banco = ok.sources['banco'];
    expect(banco?.type === 'postgres' ? banco.databases : []).toEqual(['x port=5492', '-h evil', "a'b\\c"]);
  });

  it('reports malformed YAML with line and column', () => {
    const err = thrown(() => parseConfigText('servers:\n  a: [1, 2\n', 'bad.yaml'));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/^bad\.yaml:\d+:\d+: the YAML is malformed/);
  });

  it('rejects an unknown time zone and a bad recipient', () => {
    expect(thrown(() => parseConfigText(VALID.replace('America/Sao_Paulo', 'America/Sao_Paolo'), 'c.yaml')).message).toContain(
      'plans.diario.timezone: "America/Sao_Paolo" is not a known time zone',
    );
    expect(thrown(() => parseConfigText(VALID.replace(RECIPIENT, 'age1nope'), 'c.yaml')).message).toContain('encryption.recipients.0');
  });

  it('says how to create a missing config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofre-cfg-'));
    const err = thrown(() => loadConfig({ flag: join(dir, 'none.yaml') }));
    expect(err.code).toBe('CONFIG_MISSING');
    expect(err.hint).toContain('cofre init');
  });

  it('resolves --config, then $COFRE_CONFIG, then ./cofre.yaml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofre-cfg-'));
    writeFileSync(join(dir, 'cofre.yaml'), VALID);
    writeFileSync(join(dir, 'other.yaml'), VALID.replace('clinica-backups', 'other-bucket'));
    const bucket = (c: ReturnType<typeof loadConfig>) => (c.config.storage['nuvem'] as { bucket: string }).bucket;
    expect(bucket(loadConfig({ cwd: dir, env: {} }))).toBe('clinica-backups');
    expect(bucket(loadConfig({ cwd: dir, env: { COFRE_CONFIG: join(dir, 'other.yaml') } }))).toBe('other-bucket');
    expect(bucket(loadConfig({ cwd: dir, env: { COFRE_CONFIG: join(dir, 'other.yaml') }, flag: join(dir, 'cofre.yaml') }))).toBe('clinica-backups');
  });

  it('keeps comments when a value is written back, and refuses an invalid edit without touching the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofre-cfg-'));
    const file = join(dir, 'cofre.yaml');
    writeFileSync(file, VALID);
    setConfigValue(file, ['servers', 'clinica', 'hostKey'], 'SHA256:' + 'A'.repeat(43));
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# top comment');
    expect(text).toContain('# the key');
    expect(text).toContain(`hostKey: SHA256:${'A'.repeat(43)}`);
    expect(() => setConfigValue(file, ['plans', 'diario', 'storage'], 'nowhere')).toThrow(/"nowhere" is not a storage/);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('resolves secrets by reference and never echoes them', () => {
    expect(resolveSecret({ env: 'PW', what: 'x' }, { PW: 's3cret' })).toBe('s3cret');
    const err = thrown(() => resolveSecret({ env: 'PW', what: 'sources.banco.passwordEnv' }, {}));
    expect(err.message).toBe('sources.banco.passwordEnv: environment variable PW is not set');
    const dir = mkdtempSync(join(tmpdir(), 'cofre-sec-'));
    writeFileSync(join(dir, 'pw'), 'topsecret\n', { mode: 0o644 });
    const loose = thrown(() => resolveSecret({ file: join(dir, 'pw'), what: 'alerts.email.passwordFile' }));
    expect(loose.message).toContain('readable by other users');
    expect(loose.message).not.toContain('topsecret');
  });
});
