/**
 * The desktop app's start decision (electron/startup.ts): a broken or missing config opens a
 * page naming the file and the problem, never a stand-in engine.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppContext } from '../../src-main/app/context.js';
import { configErrorPage, decideDesktopStart } from '../../src-main/electron/startup.js';

function ctxFor(configText: string | undefined): AppContext {
  const dir = mkdtempSync(join(tmpdir(), 'cofre-desk-'));
  const configPath = join(dir, 'cofre.yaml');
  if (configText !== undefined) writeFileSync(configPath, configText);
  return new AppContext({ env: { COFRE_HOME: join(dir, 'home'), COFRE_CONFIG: configPath } });
}

describe('desktop start', () => {
  it('a config with an error: the page names the file, the line and what to do, pt-BR first; no engine', () => {
    const ctx = ctxFor('servers:\n  clinica:\n    host: 10.0.0.1\n    user: backup\n    privateKeyFile: /k\n    pasword: x\n');
    const start = decideDesktopStart(ctx);
    expect(start.kind).toBe('config-error');
    if (start.kind !== 'config-error') return;
    expect(start.configPath).toBe(ctx.configPath);
    expect(start.error.code).toBe('CONFIG_INVALID');
    const page = configErrorPage(start);
    expect(page).toContain(ctx.configPath);
    expect(page).toContain('O Cofre não conseguiu ler a configuração');
    expect(page).toContain('Cofre could not read its configuration');
    expect(page.indexOf('lang="pt-BR"')).toBeLessThan(page.indexOf('<section lang="en"'));
    expect(page).toMatch(/cofre\.yaml:6: servers\.clinica: unknown key &#34;pasword&#34;/);
    expect(page).not.toMatch(/<script/i);
  });

  it('a missing config: the page says to run cofre init', () => {
    const start = decideDesktopStart(ctxFor(undefined));
    expect(start.kind).toBe('config-error');
    if (start.kind !== 'config-error') return;
    expect(start.error.code).toBe('CONFIG_MISSING');
    expect(configErrorPage(start)).toContain('Crie um com `cofre init`');
  });

  it('a name with markup in the path is shown as text', () => {
    const page = configErrorPage({ kind: 'config-error', configPath: '/tmp/<img src=x>.yaml', error: { code: 'CONFIG_INVALID', message: 'bad <b>' } });
    expect(page).toContain('/tmp/&#60;img src=x&#62;.yaml');
    expect(page).not.toContain('<img');
  });

  it('a good config starts the engine, and the shell no longer imports the in-memory engine', () => {
    const ctx = ctxFor(`servers: {}\nsources: {}\nstorage: {}\nencryption: { recipients: ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"] }\nplans: {}\n`);
    expect(() => ctx.config).not.toThrow();
    expect(decideDesktopStart(ctx)).toEqual({ kind: 'engine' });
    const main = readFileSync(join(import.meta.dirname, '../../src-main/electron/main.ts'), 'utf8');
    expect(main).not.toMatch(/memory-services|createMemoryServices/);
  });
});
