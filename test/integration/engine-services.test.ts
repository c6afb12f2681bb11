/**
 * createEngineServices against the harness: config edits keep comments, probe/trust use the
 * real sshd, and backup.start pushes progress and finished events, after which the set is
 * listed from storage.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { AppContext } from '../../src-main/app/context.js';
import { editConfig } from '../../src-main/config/edit.js';
import { createEngineServices, type RealEngineServices } from '../../src-main/rpc/engine-services.js';
import type { EngineEvent } from '../../src-main/rpc/services.js';
import { makeFixture, type Fixture } from '../support/backup-fixture.js';

const h = inject('harness');
const call = { actor: 'console:test' };
let fx: Fixture;
let ctx: AppContext;
let services: RealEngineServices;

beforeAll(async () => {
  fx = await makeFixture(h, { largeBytes: 4 * 1024 * 1024 });
  editConfig(fx.configPath, (doc) => doc.deleteIn(['servers', 'clinica', 'hostKey']));
  ctx = new AppContext({ env: fx.env, actor: 'test' });
  services = createEngineServices(ctx, { pollMs: 0 });
});

afterAll(() => {
  services?.close();
  ctx?.close();
});

describe('createEngineServices (real sshd, PostgreSQL, MariaDB, folder storage)', () => {
  it('saves a server into cofre.yaml keeping the comments, and audits it', async () => {
    await services.servers.save({ name: 'homolog', host: '127.0.0.1', port: h.ssh.port, user: h.ssh.user, privateKeyFile: h.ssh.privateKeyPath }, call);
    const yaml = readFileSync(fx.configPath, 'utf8');
    expect(yaml).toContain('# test config');
    expect(yaml).toMatch(/homolog:\n\s+host: 127\.0\.0\.1\n\s+port: \d+/);
    const servers = await services.servers.list();
    expect(servers.find((s) => s.name === 'homolog')).toMatchObject({ host: '127.0.0.1', trusted: false });
    const audit = await services.audit.list({ limit: 10, action: 'config.servers' });
    expect(audit[0]).toMatchObject({ actor: 'console:test', action: 'config.servers.add', target: 'homolog' });
  });

  it('probes the harness sshd fingerprint, pins it, and the login test works', async () => {
    expect((await services.servers.test('clinica')).ok).toBe(false); // not pinned yet
    const probe = await services.servers.probe(h.ssh.host, h.ssh.port);
    expect(probe.fingerprint).toBe(h.ssh.hostKeyFingerprint);
    await services.servers.trust('clinica', probe.fingerprint, call);
    expect(readFileSync(fx.configPath, 'utf8')).toContain(`hostKey: ${h.ssh.hostKeyFingerprint}`);
    const test = await services.servers.test('clinica');
    expect(test).toMatchObject({ ok: true });
    expect(test.message).toContain(`login as ${h.ssh.user}`);
  });

  it('refuses to pin a fingerprint the server does not present', async () => {
    const wrong = `SHA256:${'A'.repeat(43)}`;
    await expect(services.servers.trust('clinica', wrong, call)).rejects.toMatchObject({ code: 'HOST_KEY_MISMATCH' });
    expect(readFileSync(fx.configPath, 'utf8')).toContain(`hostKey: ${h.ssh.hostKeyFingerprint}`);
  });

  it('replaces a pinned host key only with the old pin shown and the server name typed, and audits it', async () => {
    const old = `SHA256:${'B'.repeat(43)}`;
    const other = `SHA256:${'C'.repeat(43)}`;
    await services.servers.save({ name: 'trocada', host: h.ssh.host, port: h.ssh.port, user: h.ssh.user, privateKeyFile: h.ssh.privateKeyPath, hostKey: old }, call);
    const pinned = (): string => readFileSync(fx.configPath, 'utf8');
    // a plain save cannot swap the pin either
    await expect(services.servers.save({ name: 'trocada', host: h.ssh.host, port: h.ssh.port, user: h.ssh.user, privateKeyFile: h.ssh.privateKeyPath, hostKey: other }, call))
      .rejects.toMatchObject({ code: 'CONFIRMATION_REQUIRED' });
    const now = h.ssh.hostKeyFingerprint;
    const refused = [
      () => services.servers.trust('trocada', now, call),
      () => services.servers.trust('trocada', now, call, { previous: other, confirmName: 'trocada' }),
      () => services.servers.trust('trocada', now, call, { previous: old, confirmName: 'Trocada' }),
    ];
    const errors: unknown[] = [];
    for (const attempt of refused) {
      errors.push(await attempt().then(() => undefined, (e: unknown) => e));
      expect(errors.at(-1)).toMatchObject({ code: 'CONFIRMATION_REQUIRED' });
      expect(pinned()).toContain(`hostKey: ${old}`);
    }
    expect((errors[0] as Error).message).toContain(old);
    expect((errors[0] as Error).message).toContain(now);
    await services.servers.trust('trocada', now, call, { previous: old, confirmName: 'trocada' });
    expect(pinned()).toContain(`hostKey: ${now}`);
    const audit = await services.audit.list({ limit: 10, action: 'config.servers.replaceHostKey' });
    expect(audit[0]).toMatchObject({ actor: 'console:test', action: 'config.servers.replaceHostKey', target: 'trocada' });
    expect(JSON.stringify(audit[0])).toContain(old);
    expect(audit.filter((a) => a.action === 'config.servers.replaceHostKey.refused' && a.target === 'trocada').length).toBe(3);
  });

  it('backup.start emits progress and finished events, refuses a second run, and the set is listed', async () => {
    const events: EngineEvent[] = [];
    const finished = new Promise<EngineEvent>((resolve) => {
      services.events.subscribe((e) => {
        events.push(e);
        if (e.event === 'run.finished') resolve(e);
      });
    });
    const { runId } = await services.backup.start('local', call);
    await expect(services.backup.start('local', call)).rejects.toMatchObject({ code: 'REMOTE_BUSY' });
    const done = await finished;
    expect(done.payload).toMatchObject({ runId, plan: 'local', status: 'succeeded' });
    const progress = events.filter((e) => e.event === 'run.progress');
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.some((e) => e.event === 'run.progress' && e.payload.bytes > 0 && e.payload.source !== undefined)).toBe(true);
    const setId = done.event === 'run.finished' ? done.payload.setId : undefined;
    expect(setId).toBeDefined();
    const { sets, unreachable } = await services.sets.list({ plan: 'local' });
    expect(unreachable).toEqual([]);
    expect(sets[0]).toMatchObject({ setId, complete: true, state: 'complete' });
    expect(sets[0]?.sources.map((s) => s.name).sort()).toEqual(['arquivos', 'banco', 'prontuarios']);
    const run = await services.runs.get(runId);
    expect(run?.status).toBe('succeeded');
    expect(run?.log.some((l) => l.message.includes('complete'))).toBe(true);
    const status = await services.status.get();
    expect(status.plans.find((p) => p.plan === 'local')).toMatchObject({ rpoState: 'ok', lastGoodSet: { setId } });
    const verify = await services.sets.verify(setId ?? '', { deep: true }, call);
    expect(verify.ok).toBe(true);
  });

  it('saves a plan with an invalid schedule: refused, file unchanged', async () => {
    const before = readFileSync(fx.configPath, 'utf8');
    await expect(services.plans.save({ name: 'novo', sources: ['banco'], storage: 'nas', schedule: '99 2 * * *', timezone: 'America/Sao_Paulo', retention: { keepDays: 30, keepMin: 7 } }, call))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(services.plans.save({ name: 'novo', sources: ['nao-existe'], storage: 'nas', schedule: '0 2 * * *', timezone: 'America/Sao_Paulo', retention: { keepDays: 30, keepMin: 7 } }, call))
      .rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(readFileSync(fx.configPath, 'utf8')).toBe(before);
    const saved = await services.plans.save({ name: 'novo', sources: ['banco'], storage: 'nas', schedule: '30 1 * * *', timezone: 'America/Sao_Paulo', retention: { keepDays: 30, keepMin: 7 } }, call);
    expect(saved.nextRunAt).toBeDefined();
    expect((await services.plans.list()).map((p) => p.name)).toContain('novo');
  });
});
