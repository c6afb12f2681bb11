/**
 * Issue 4 performance: a backup asks the server everything it needs before dumping (tool
 * versions, databases, size estimates, path checks) in the SSH channel that takes the server
 * lock, so it opens few channels (each costs a round trip plus the login shell's start-up),
 * and still reports what it learnt: versions in the manifest, an estimate for the ETA, a clear
 * error for a missing path. Uses an sshd of its own, whose log counts the sessions opened.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { listSetsOf } from '../../src-main/backup/sets.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { connect } from '../../src-main/remote/ssh.js';
import { withRemoteLock } from '../../src-main/remote/lock.js';
import type { Progress } from '../../shared/domain.js';
import { pgCreateDatabase, pgPsql, startSshd, type SshServerHandle } from '../harness/index.js';
import { makeFixture, uniqueName, type Fixture } from '../support/backup-fixture.js';

const h = inject('harness');
let fx: Fixture;
let sshd: SshServerHandle;
const contexts: AppContext[] = [];

type Section = Record<string, Record<string, unknown>>;

function variant(name: string, edit: (doc: { servers: Section; sources: Section; plans: Section }) => void): AppContext {
  const doc = parse(readFileSync(fx.configPath, 'utf8')) as { servers: Section; sources: Section; plans: Section };
  doc.servers['clinica'] = { host: sshd.host, port: sshd.port, user: sshd.user, privateKeyFile: sshd.privateKeyPath, hostKey: sshd.hostKeyFingerprint, location: { provider: 'clinica', region: 'sala' } };
  edit(doc);
  const dir = join(fx.dir, name);
  mkdirSync(join(dir, 'home'), { recursive: true });
  const configPath = join(dir, 'cofre.yaml');
  writeFileSync(configPath, stringify(doc));
  const ctx = new AppContext({ env: { ...fx.env, COFRE_HOME: join(dir, 'home'), COFRE_CONFIG: configPath } });
  contexts.push(ctx);
  return ctx;
}

/** SSH sessions (exec channels) sshd has started so far. */
function sessions(): number {
  return readFileSync(sshd.logPath, 'utf8').split('\n').filter((l) => l.includes('Starting session: command')).length;
}

beforeAll(async () => {
  [fx, sshd] = await Promise.all([makeFixture(h), startSshd()]);
});

afterAll(async () => {
  for (const c of contexts) c.close();
  await sshd?.stop();
});

describe('backup probes in one channel', () => {
  it('dumps postgres, mysql and files with one channel per dump plus one for lock and probes; versions and estimates reported', async () => {
    const ctx = variant('all', (doc) => {
      doc.plans['todos'] = { sources: ['banco', 'prontuarios', 'arquivos'], storage: 'nas', schedule: '0 2 * * *' };
    });
    const before = sessions();
    const progress: Progress[] = [];
    const r = await runBackup(ctx, 'todos', { onProgress: (p) => progress.push(p) });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('succeeded');
    // lock+probes 1, postgres 2 (snapshot session, pg_dump), mysql 3 (table list, row counts, dump), files 1
    // (13 before the probes were combined)
    expect(sessions() - before).toBeLessThanOrEqual(7);
    const storage = storageFromConfig(ctx.config, 'nas', ctx.env);
    const set = (await listSetsOf(ctx, storage)).find((s) => s.setId === r.setId);
    const bySource = new Map((set?.manifest?.sources ?? []).map((s) => [s.name, s]));
    expect(bySource.get('banco')?.toolVersion).toMatch(/^pg_dump \(PostgreSQL\) 15\./);
    expect(bySource.get('banco')?.serverVersion).toMatch(/^15\./);
    expect(bySource.get('prontuarios')?.toolVersion).toMatch(/mysqldump/i);
    expect(bySource.get('prontuarios')?.serverVersion).toMatch(/MariaDB/);
    expect(bySource.get('arquivos')?.toolVersion).toMatch(/^tar \(GNU tar\)/);
    expect(bySource.get('arquivos')?.objects[0]?.fileCount).toBeGreaterThan(3);
    storage.close();
  });

  it('a files-only backup opens two channels and knows its size up front on the first run (ETA)', async () => {
    const ctx = variant('files', (doc) => {
      doc.plans['arquivos'] = { sources: ['arquivos'], storage: 'nas', schedule: '0 2 * * *' };
    });
    const before = sessions();
    const progress: Progress[] = [];
    const r = await runBackup(ctx, 'arquivos', { onProgress: (p) => progress.push(p) });
    expect(r.status).toBe('succeeded');
    expect(sessions() - before).toBe(2);
    const total = progress.find((p) => p.totalBytes !== undefined)?.totalBytes;
    const plain = r.sources[0]?.bytes ?? 0;
    expect(total).toBeGreaterThan(plain * 0.8);
    expect(total).toBeLessThan(plain * 1.2);
  });

  it('a missing path fails the run before any dump, naming the path; nothing stored', async () => {
    const missing = join(fx.dir, 'does-not-exist', 'ação');
    const ctx = variant('missing', (doc) => {
      (doc.sources['arquivos'] as Record<string, unknown>)['paths'] = [join(fx.filesDir, 'uploads'), missing];
      doc.plans['arquivos'] = { sources: ['arquivos'], storage: 'nas', schedule: '0 2 * * *' };
    });
    const r = await runBackup(ctx, 'arquivos');
    expect(r.status).toBe('failed');
    expect(r.error?.message).toContain(`not found on the server: ${missing}`);
    expect(r.sources).toHaveLength(0);
  });

  it('a wrong database password fails with the client tool named, the password nowhere in the message', async () => {
    const ctx = variant('badpw', (doc) => {
      doc.plans['pront'] = { sources: ['prontuarios'], storage: 'nas', schedule: '0 2 * * *' };
    });
    const env = ctx.env as NodeJS.ProcessEnv;
    env['TEST_MYSQL_PASSWORD'] = 'wrong-Secret-123';
    const r = await runBackup(ctx, 'pront');
    expect(r.status).toBe('failed');
    expect(r.error?.message).toMatch(/^mysql on clinica .*exited with code 1: .*Access denied/);
    expect(r.error?.message).not.toContain('wrong-Secret-123');
  });

  it('a database session opened while the lock is busy and then ended by the server is replaced: the backup succeeds', async () => {
    // The backup opens the first database's session beside the lock; a server with
    // idle_session_timeout ends it while another run holds the lock. pg_dump and the counts run
    // inside transactions, where that timeout does not apply.
    const db = uniqueName('idle');
    await pgCreateDatabase(h.postgres, db);
    await pgPsql(h.postgres, `CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 500); ALTER DATABASE ${db} SET idle_session_timeout = '300ms';`, db);
    const ctx = variant('idle', (doc) => {
      (doc.sources['banco'] as Record<string, unknown>)['databases'] = [db];
      doc.plans['banco'] = { sources: ['banco'], storage: 'nas', schedule: '0 2 * * *' };
    });
    const holder = await connect({ name: 'clinica', host: sshd.host, port: sshd.port, user: sshd.user, privateKeyFile: sshd.privateKeyPath, hostKey: sshd.hostKeyFingerprint });
    try {
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const held = withRemoteLock(holder, 'backup-clinica', async () => {
        locked();
        await new Promise((resolve) => setTimeout(resolve, 1500));
      });
      await isLocked;
      const r = await runBackup(ctx, 'banco');
      await held;
      expect(r.error).toBeUndefined();
      expect(r.status).toBe('succeeded');
      const storage = storageFromConfig(ctx.config, 'nas', ctx.env);
      const set = (await listSetsOf(ctx, storage)).find((s) => s.setId === r.setId);
      expect(set?.manifest?.sources[0]?.objects[0]?.rowCounts?.['public.t']).toBe(500);
      storage.close();
    } finally {
      holder.close();
    }
  });

  it('withRemoteLock hands the prelude output to fn exactly, and the prelude cannot read the lock stdin', async () => {
    const host = await connect({ name: 'clinica', host: sshd.host, port: sshd.port, user: sshd.user, privateKeyFile: sshd.privateKeyPath, hostKey: sshd.hostKeyFingerprint });
    try {
      const name = uniqueName('prelude');
      const out = await withRemoteLock(host, name, async (_signal, prelude) => prelude, {
        prelude: 'echo "cofre-locked fake"; printf "%s" "$SECRET_X"; cat; echo end',
        env: { SECRET_X: "a b'c" },
      });
      expect(out).toBe("cofre-locked fake\na b'cend\n");
      await host.runChecked(`rm -f "\${TMPDIR:-/tmp}/cofre-${name}.lock"`);
    } finally {
      host.close();
    }
  });
});
