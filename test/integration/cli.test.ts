/**
 * The CLI contract from the outside (DESIGN.md): `cofre init` → `cofre trust` against the
 * harness sshd, `status`/`backup`/`sets`/`prune --json` shapes, and every bad input ending in
 * one clear message, a non-zero exit, no stack trace, and nothing changed on disk.
 */
import { describe, it, expect, inject } from 'vitest';
import { readFileSync, writeFileSync, statSync, chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { tempDir, freePort } from '../harness/index.js';
import { cofre, COFRE_BIN } from '../support/cli.js';
import { makeFixture } from '../support/backup-fixture.js';

const h = inject('harness');

async function freshHome(): Promise<{ dir: string; env: NodeJS.ProcessEnv; config: string }> {
  const dir = await tempDir('cofre-cli-');
  const config = join(dir, 'cofre.yaml');
  return { dir, config, env: { ...process.env, COFRE_HOME: join(dir, 'home'), COFRE_CONFIG: config } };
}

function expectCleanFailure(r: { code: number | null; stderr: string }, message: RegExp | string): void {
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(typeof message === 'string' ? new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : message);
  expect(r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
}

/** Points the starter config's server at the harness sshd. */
function pointAtHarness(config: string, opts: { port?: number; key?: string } = {}): void {
  const text = readFileSync(config, 'utf8')
    .replace('host: 203.0.113.10', `host: ${h.ssh.host}`)
    .replace('port: 22', `port: ${opts.port ?? h.ssh.port}`)
    .replace('user: backup', `user: ${h.ssh.user}`)
    .replace('privateKeyFile: ~/.ssh/id_ed25519', `privateKeyFile: ${opts.key ?? h.ssh.privateKeyPath}`);
  writeFileSync(config, text);
}

describe('cofre init and trust', () => {
  it('init writes a commented, valid config and a 0600 identity that the age CLI can use', async () => {
    const { dir, env, config } = await freshHome();
    const r = await cofre(['init', '--json'], { env });
    expect(r.code).toBe(0);
    const out = r.json as { recipient: string; identityFile: string; config: string };
    expect(out.recipient).toMatch(/^age1[a-z0-9]{58}$/);
    expect(out.config).toBe(config);
    expect(statSync(out.identityFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(config, 'utf8')).toContain('# Cofre configuration');
    const plain = join(dir, 'msg.txt');
    writeFileSync(plain, 'restore me');
    execFileSync('age', ['-r', out.recipient, '-o', `${plain}.age`, plain]);
    expect(execFileSync('age', ['-d', '-i', out.identityFile, `${plain}.age`], { encoding: 'utf8' })).toBe('restore me');

    const again = await cofre(['init'], { env });
    expectCleanFailure(again, 'a config already exists');
    expect(readFileSync(config, 'utf8')).toContain(out.recipient);
  });

  it('init makes the manifest signing key (0600) listed as the signer, and --passphrase stores an identity `age -d` opens with it', async () => {
    const { dir, env, config } = await freshHome();
    const r = await cofre(['init', '--passphrase', '--json'], { env: { ...env, COFRE_IDENTITY_PASSPHRASE: 'frase longa de teste' } });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json as { identityFile: string; recipient: string; identityEncrypted: boolean; signingKeyFile: string; signer: string };
    expect(out.identityEncrypted).toBe(true);
    expect(statSync(out.signingKeyFile).mode & 0o777).toBe(0o600);
    expect(out.signer).toMatch(/^ssh-ed25519 AAAA\S+ cofre@/);
    expect(readFileSync(`${out.signingKeyFile}.pub`, 'utf8').trim()).toBe(out.signer);
    const text = readFileSync(config, 'utf8');
    expect(text).toContain(`signingKeyFile: ${JSON.stringify(out.signingKeyFile)}`);
    expect(text).toContain(JSON.stringify(out.signer));
    expect(text).toContain('identityPassphraseEnv: COFRE_IDENTITY_PASSPHRASE');
    // the identity file is an age file, not a plain key; age opens it with the passphrase (asked on a terminal)
    expect(readFileSync(out.identityFile, 'utf8')).not.toContain('AGE-SECRET-KEY-');
    const plainId = join(dir, 'id.txt');
    execFileSync('script', ['-qfec', `age -d -o ${plainId} ${out.identityFile}`, '/dev/null'], { input: 'frase longa de teste\n', stdio: ['pipe', 'ignore', 'ignore'] });
    expect(readFileSync(plainId, 'utf8')).toContain('AGE-SECRET-KEY-1');
    expect(readFileSync(plainId, 'utf8')).toContain(`# public key: ${out.recipient}`);
    // ssh-keygen agrees that the signer line belongs to the key file
    expect(execFileSync('ssh-keygen', ['-y', '-f', out.signingKeyFile], { encoding: 'utf8' }).trim().split(' ').slice(0, 2)).toEqual(out.signer.split(' ').slice(0, 2));
    // the runbook carries the allowed_signers line and the exact check
    const rb = await cofre(['runbook'], { env: { ...env, COFRE_IDENTITY_PASSPHRASE: 'frase longa de teste' } });
    expect(rb.stdout).toContain(`cofre ${out.signer}`);
    expect(rb.stdout).toContain('ssh-keygen -Y verify -f allowed_signers -I cofre -n cofre-manifest -s manifest.json.sig < manifest.json');
    // verify --deep on a terminal without the env var asks for the passphrase; a wrong one is refused
    const onTty = (passphrase: string): string => {
      const r = spawnSync('script', ['-qfec', `${process.execPath} ${COFRE_BIN} verify 20260101T000000Z-abcdef --deep`, '/dev/null'], { input: `${passphrase}\n`, env, encoding: 'utf8' });
      return r.stdout;
    };
    mkdirSync(join(dir, 'home', 'storage'));
    const right = onTty('frase longa de teste');
    expect(right).toContain('Passphrase for the age identity');
    expect(right).toContain('no set 20260101T000000Z-abcdef'); // the identity opened; then the set was looked up
    const wrong = onTty('outra frase');
    expect(wrong).not.toContain('no set 20260101T000000Z-abcdef');
    expect(wrong).toMatch(/passphrase|decrypt/i);
    // no terminal and no env var: refused with a clear message, nothing written
    const other = await freshHome();
    const noTty = await cofre(['init', '--passphrase'], { env: other.env });
    expectCleanFailure(noTty, 'needs a passphrase and there is no terminal');
    expect(existsSync(other.config)).toBe(false);
  });

  it('trust shows the fingerprint, pins it with --yes keeping comments, and tests the login', async () => {
    const { env, config } = await freshHome();
    expect((await cofre(['init'], { env })).code).toBe(0);
    pointAtHarness(config);
    const noTty = await cofre(['trust', 'clinica'], { env });
    expectCleanFailure(noTty, 'needs confirmation');
    expect(readFileSync(config, 'utf8')).not.toContain('hostKey: SHA256');

    const r = await cofre(['trust', 'clinica', '--yes', '--json'], { env });
    expect(r.stderr).toContain(h.ssh.hostKeyFingerprint);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ server: 'clinica', fingerprint: h.ssh.hostKeyFingerprint, pinned: true, login: { ok: true } });
    const text = readFileSync(config, 'utf8');
    expect(text).toContain(`hostKey: ${h.ssh.hostKeyFingerprint}`);
    expect(text).toContain('# the clinic server');

    const status = await cofre(['status', '--json'], { env });
    expect(status.code).toBe(0);
    expect(status.json).toMatchObject({ plans: [{ plan: 'diario', rpoState: 'late', lastGoodSet: null }], drill: { everyMonths: 3, overdue: true } });
    expect((status.json as { plans: Array<{ nextRunAt: string }> }).plans[0]?.nextRunAt).toMatch(/T05:00:00\.000Z$/); // 02:00 in São Paulo
    const check = await cofre(['status', '--check'], { env });
    expect(check.code).toBe(1); // late plan: monitoring scripts see a failure
    expect(check.stdout).toContain('diario: LATE');
  });

  it('a changed host key is refused loudly, naming both fingerprints, and the pin stays', async () => {
    const { env, config } = await freshHome();
    await cofre(['init'], { env });
    pointAtHarness(config);
    const fake = `SHA256:${'A'.repeat(43)}`;
    writeFileSync(config, readFileSync(config, 'utf8').replace('    # hostKey is filled in', `    hostKey: "${fake}"\n    # hostKey is filled in`));
    const before = readFileSync(config, 'utf8');
    const r = await cofre(['trust', 'clinica', '--yes'], { env });
    expectCleanFailure(r, 'CHANGED');
    expect(r.stderr).toContain(fake);
    expect(r.stderr).toContain(h.ssh.hostKeyFingerprint);
    expect(readFileSync(config, 'utf8')).toBe(before);
  });
});

describe('bad input: one clear message, non-zero exit, nothing changed', () => {
  it('missing config', async () => {
    const { env, config } = await freshHome();
    const r = await cofre(['status'], { env });
    expectCleanFailure(r, `no config file at ${config}`);
    expect(r.stderr).toContain('cofre init');
    const j = await cofre(['status', '--json'], { env });
    expect(j.json).toMatchObject({ error: { code: 'CONFIG_MISSING' } });
  });

  it('malformed YAML, unknown keys, wrong types, unknown references', async () => {
    const { env, config } = await freshHome();
    await cofre(['init'], { env });
    const good = readFileSync(config, 'utf8');
    const cases: Array<[string, RegExp]> = [
      [good.replace('servers:', 'servers: [oops'), /cofre\.yaml:\d+:\d+: the YAML is malformed/],
      [good.replace('    user: backup', '    user: backup\n    senha: x'), /cofre\.yaml:\d+: servers\.clinica: unknown key "senha"/],
      [good.replace('port: 22', 'port: "vinte e dois"'), /servers\.clinica\.port: expected number, got string/],
      [good.replace('storage: local ', 'storage: nuvm '), /plans\.diario\.storage: "nuvm" is not a storage; known: local/],
      [good.replace('"0 2 * * *"', '"0 25 * * *"'), /plans\.diario\.schedule: .*not a valid cron expression/],
      [good.replace('timezone: America/Sao_Paulo', 'timezone: Marte/Olympus'), /plans\.diario\.timezone: .*not a known time zone/],
      [good.replace('keepDays: 30', 'keepDays: 0'), /plans\.diario\.retention\.keepDays/],
    ];
    for (const [text, message] of cases) {
      writeFileSync(config, text);
      const r = await cofre(['status'], { env });
      expectCleanFailure(r, message);
      expect(readFileSync(config, 'utf8')).toBe(text);
    }
  });

  it('unknown server, unreadable key file, unreachable host', async () => {
    const { dir, env, config } = await freshHome();
    await cofre(['init'], { env });
    pointAtHarness(config);
    const unknown = await cofre(['trust', 'nope', '--yes'], { env });
    expectCleanFailure(unknown, '"nope" is not a server in the config; known: clinica');

    const key = join(dir, 'no-such-key');
    pointAtHarness(config);
    writeFileSync(config, readFileSync(config, 'utf8').replace(h.ssh.privateKeyPath, key));
    const unreadable = await cofre(['trust', 'clinica', '--yes'], { env });
    expectCleanFailure(unreadable, `cannot read ${key}`);

    const closed = await freePort();
    writeFileSync(config, readFileSync(config, 'utf8').replace(key, h.ssh.privateKeyPath).replace(`port: ${h.ssh.port}`, `port: ${closed}`));
    const before = readFileSync(config, 'utf8');
    const unreachable = await cofre(['trust', 'clinica', '--yes'], { env });
    expectCleanFailure(unreachable, /127\.0\.0\.1:\d+/);
    expect(readFileSync(config, 'utf8')).toBe(before);
    expect(existsSync(config)).toBe(true);
  });

  it('an identity file readable by others is refused before anything runs', async () => {
    const { env } = await freshHome();
    const r = await cofre(['init', '--json'], { env });
    const id = (r.json as { identityFile: string }).identityFile;
    chmodSync(id, 0o644);
    const v = await cofre(['verify', '20260101T000000Z-abcdef', '--deep'], { env });
    expect(v.code).not.toBe(0);
  });
});

describe('backup, sets and prune through the CLI (JSON contract)', () => {
  it('backup --json, sets --json, prune --dry-run --json', async () => {
    const fx = await makeFixture(h, { largeBytes: 1024 * 1024 });
    const b = await cofre(['backup', '--plan', 'local', '--json'], { env: fx.env });
    expect(b.stderr).toMatch(/backup .*(B|KB|MB)/); // progress on stderr
    expect(b.code).toBe(0);
    const backup = b.json as { setId: string; status: string; sources: Array<{ name: string; bytes: number; sha256: string }>; durationMs: number };
    expect(backup.status).toBe('succeeded');
    expect(backup.setId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(backup.sources).toHaveLength(3);
    for (const s of backup.sources) expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(backup.durationMs).toBeGreaterThan(0);

    const s = await cofre(['sets', '--plan', 'local', '--json'], { env: fx.env });
    expect(s.code).toBe(0);
    expect(s.json).toEqual([
      expect.objectContaining({ setId: backup.setId, complete: true, createdAt: expect.any(String), sources: expect.arrayContaining([expect.objectContaining({ name: 'banco', type: 'postgres' })]) }),
    ]);

    const p = await cofre(['prune', '--plan', 'local', '--dry-run', '--json'], { env: fx.env });
    expect(p.code).toBe(0);
    expect(p.json).toMatchObject({ keep: [backup.setId], delete: [] });

    const st = await cofre(['status', '--json'], { env: fx.env });
    expect(st.json).toMatchObject({ plans: expect.arrayContaining([expect.objectContaining({ plan: 'local', rpoState: 'ok', lastGoodSet: expect.objectContaining({ setId: backup.setId }) })]) });
  });
});
