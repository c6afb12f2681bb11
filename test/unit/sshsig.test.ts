/**
 * SSHSIG interop with the real OpenSSH `ssh-keygen -Y sign / -Y verify`: a Cofre signature
 * verifies with ssh-keygen, an ssh-keygen signature verifies in Cofre, and a flipped byte,
 * another key or another namespace fails in both.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST_NAMESPACE, fingerprint, signSshsig, verifySshsig } from '../../src-main/crypto/sshsig.js';
import { generateSigningKey, parseSigningKey } from '../../src-main/crypto/ssh-key-file.js';
import { thrown } from '../support/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cofre-sshsig-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MANIFEST = Buffer.from(`${JSON.stringify({ format: 'cofre-set/2', setId: '20261201T020000Z-abcdef', plan: 'diario', sources: [] }, null, 2)}\n`);

/** ssh-keygen -Y verify with an allowed_signers file for `lines`; returns its exit status. */
function sshKeygenVerify(message: Buffer, sigFile: string, lines: string[], namespace = MANIFEST_NAMESPACE): number {
  const allowed = join(dir, 'allowed_signers');
  execFileSync('sh', ['-c', `cat > "${allowed}"`], { input: lines.map((l) => `cofre ${l}\n`).join('') });
  const r = spawnSync('ssh-keygen', ['-Y', 'verify', '-f', allowed, '-I', 'cofre', '-n', namespace, '-s', sigFile], { input: message });
  return r.status ?? -1;
}

function flipByte(text: string): string {
  // flip one base64 character inside the signature body (the last line before END holds the signature bytes)
  const lines = text.trimEnd().split('\n');
  const i = lines.length - 2;
  const line = lines[i] as string;
  const pos = Math.floor(line.length / 2);
  lines[i] = line.slice(0, pos) + (line[pos] === 'A' ? 'B' : 'A') + line.slice(pos + 1);
  return `${lines.join('\n')}\n`;
}

describe('SSHSIG', () => {
  it('a Cofre signature verifies with ssh-keygen -Y verify, and fails when altered or for another key', async () => {
    const { privateText, publicLine } = generateSigningKey('cofre@test');
    const key = parseSigningKey(privateText, 'test key');
    expect(key.publicLine).toBe(publicLine);
    const sig = signSshsig(MANIFEST, key);
    expect(sig.startsWith('-----BEGIN SSH SIGNATURE-----\n')).toBe(true);
    const sigFile = join(dir, 'manifest.json.sig');
    await writeFile(sigFile, sig);
    expect(sshKeygenVerify(MANIFEST, sigFile, [publicLine])).toBe(0);
    // other bytes, another key, another namespace: refused by ssh-keygen
    expect(sshKeygenVerify(Buffer.concat([MANIFEST, Buffer.from(' ')]), sigFile, [publicLine])).not.toBe(0);
    expect(sshKeygenVerify(MANIFEST, sigFile, [generateSigningKey('other').publicLine])).not.toBe(0);
    expect(sshKeygenVerify(MANIFEST, sigFile, [publicLine], 'file')).not.toBe(0);
    await writeFile(sigFile, flipByte(sig));
    expect(sshKeygenVerify(MANIFEST, sigFile, [publicLine])).not.toBe(0);
    // and Cofre agrees with itself
    expect(verifySshsig(MANIFEST, sig, [publicLine])).toEqual({ ok: true, signer: publicLine });
  });

  it('an ssh-keygen signature verifies in Cofre (any listed signer, e.g. a retired key), and a flipped byte or another key fails', async () => {
    const keyFile = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'backup-host', '-f', keyFile]);
    const publicLine = (await readFile(`${keyFile}.pub`, 'utf8')).trim();
    const msgFile = join(dir, 'manifest.json');
    await writeFile(msgFile, MANIFEST);
    execFileSync('ssh-keygen', ['-Y', 'sign', '-f', keyFile, '-n', MANIFEST_NAMESPACE, msgFile], { stdio: 'ignore' });
    const sig = await readFile(`${msgFile}.sig`, 'utf8');
    const other = generateSigningKey('new key').publicLine;
    expect(verifySshsig(MANIFEST, sig, [other, publicLine])).toEqual({ ok: true, signer: publicLine });
    const wrongKey = verifySshsig(MANIFEST, sig, [other]);
    expect(wrongKey.ok).toBe(false);
    expect(!wrongKey.ok && wrongKey.problem).toContain(fingerprint(publicLine) as string);
    expect(verifySshsig(MANIFEST, flipByte(sig), [publicLine]).ok).toBe(false);
    const altered = Buffer.from(MANIFEST);
    altered[10] = (altered[10] as number) ^ 1;
    expect(verifySshsig(altered, sig, [publicLine])).toEqual({ ok: false, problem: expect.stringContaining('does not match') });
    expect(verifySshsig(MANIFEST, sig, [publicLine], 'file').ok).toBe(false);
    expect(verifySshsig(MANIFEST, 'garbage', [publicLine]).ok).toBe(false);
    // ssh-keygen's private key file signs in Cofre too, and ssh-keygen verifies that
    const cofreSig = signSshsig(MANIFEST, parseSigningKey(await readFile(keyFile), keyFile));
    await writeFile(join(dir, 'c.sig'), cofreSig);
    expect(sshKeygenVerify(MANIFEST, join(dir, 'c.sig'), [publicLine])).toBe(0);
  });

  it('every key it makes can be read back (ssh2 alone drops a leading zero byte in about 1 key of 256)', () => {
    for (let i = 0; i < 1500; i++) {
      const k = generateSigningKey('cofre-test');
      expect(parseSigningKey(k.privateText, `key ${i}`).publicLine.split(' ').slice(0, 2)).toEqual(k.publicLine.split(' ').slice(0, 2));
    }
  });

  it('reads a passphrase-protected key with its passphrase and names the file without it', () => {
    const { privateText } = generateSigningKey('enc', 'segredo');
    expect(parseSigningKey(privateText, 'k', 'segredo').publicLine).toMatch(/^ssh-ed25519 AAAA/);
    const err = thrown(() => parseSigningKey(privateText, '/keys/signing_key'));
    expect(err).toMatchObject({ code: 'KEY_UNREADABLE' });
    expect(err.message).toContain('/keys/signing_key');
    expect(thrown(() => parseSigningKey('not a key', '/keys/x'))).toMatchObject({ code: 'KEY_UNREADABLE' });
  });
});
