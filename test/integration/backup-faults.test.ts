/**
 * Issue 4 faults: every way a backup can break half-way must give a failed run (catalog
 * status 'failed', an error code and a message that says what broke), leave NO complete-looking
 * set behind (no manifest, partial objects removed), make the CLI exit non-zero, and leave
 * nothing that stops the same plan from succeeding once the cause is fixed.
 *
 * Tests that kill server processes use their OWN sshd, never the shared harness one (other
 * test files stream through it in parallel).
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup, type BackupResult } from '../../src-main/backup/run.js';
import { listSetsOf } from '../../src-main/backup/sets.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import type { ErrorCode } from '../../src-main/errors.js';
import type { Progress } from '../../shared/domain.js';
import { startSshd, pgPsql, pgCreateDatabase, freePort, type SshServerHandle } from '../harness/index.js';
import { cofre as runCli, type CliResult } from '../support/cli.js';
import { makeFixture, createBucket, uniqueName, type Fixture } from '../support/backup-fixture.js';

const h = inject('harness');

type Section = Record<string, Record<string, unknown>>;
interface ConfigDoc {
  servers: Section;
  sources: Section;
  storage: Section;
  plans: Section;
  [key: string]: unknown;
}

interface Variant {
  configPath: string;
  env: NodeJS.ProcessEnv;
  ctx: AppContext;
}


/** `cofre …` as a user runs it, from the sources (so a stale dist/ cannot hide a fix). */
function cofre(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return runCli(args, { env, fromSource: true });
}

let fx: Fixture;
const contexts: AppContext[] = [];

/** A config of its own (and a COFRE_HOME of its own) derived from the fixture's config. */
function variant(name: string, edit: (doc: ConfigDoc) => void): Variant {
  const doc = parse(readFileSync(fx.configPath, 'utf8')) as ConfigDoc;
  edit(doc);
  // The server-side lock is named after the server's config name: give every server a unique
  // name, so runs of other test files through the shared sshd never meet ours (REMOTE_BUSY).
  for (const serverName of Object.keys(doc.servers)) {
    const unique = uniqueName(serverName);
    doc.servers[unique] = doc.servers[serverName] as Record<string, unknown>;
    delete doc.servers[serverName];
    for (const src of Object.values(doc.sources)) if (src['server'] === serverName) src['server'] = unique;
  }
  const dir = join(fx.dir, name);
  mkdirSync(join(dir, 'home'), { recursive: true });
  const configPath = join(dir, 'cofre.yaml');
  writeFileSync(configPath, stringify(doc));
  const env = { ...fx.env, COFRE_HOME: join(dir, 'home'), COFRE_CONFIG: configPath };
  const ctx = new AppContext({ env });
  contexts.push(ctx);
  return { configPath, env, ctx };
}

function plan(doc: ConfigDoc, name: string, sources: string[], storage: string): void {
  doc.plans[name] = { sources, storage, schedule: '0 2 * * *', timezone: 'America/Sao_Paulo' };
}

function serverOf(sshd: SshServerHandle): Record<string, unknown> {
  return { host: sshd.host, port: sshd.port, user: sshd.user, privateKeyFile: sshd.privateKeyPath, hostKey: sshd.hostKeyFingerprint, location: { provider: 'clinica', region: 'sala' } };
}

/** A file of `bytes` random bytes, written in 1 MiB chunks. */
function randomFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  try {
    const chunk = randomBytes(1024 * 1024);
    for (let left = bytes; left > 0; left -= chunk.length) {
      chunk[0] = left & 0xff; // no two chunks alike
      writeSync(fd, chunk, 0, Math.min(left, chunk.length));
    }
  } finally {
    closeSync(fd);
  }
}

/** Every descendant of `root` (pid and command name), read from /proc. */
function descendants(root: number): Array<{ pid: number; comm: string }> {
  const children = new Map<number, Array<{ pid: number; comm: string }>>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push({ pid: Number(entry), comm });
    children.set(ppid, list);
  }
  const out: Array<{ pid: number; comm: string }> = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift() as number) ?? []) {
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * onProgress hook that runs `fault` once, synchronously (the stream waits), at the first progress
 * report showing at least `afterBytes` plaintext bytes (reports come at most every 500 ms, and the
 * first one with the first chunk: over loopback 100 MB can pass between two reports).
 */
function faultAfter(afterBytes: number, fault: () => void): { onProgress: (p: Progress) => void; firedAt: () => number | undefined } {
  let firedAt: number | undefined;
  return {
    onProgress: (p) => {
      if (firedAt === undefined && p.bytes >= afterBytes) {
        firedAt = p.bytes;
        fault();
      }
    },
    firedAt: () => firedAt,
  };
}

/** The failed-run contract: result, catalog row, and storage holding nothing of that set. */
async function expectFailedRun(v: Variant, storageName: string, result: BackupResult, code: ErrorCode, message: RegExp, opts: { storageReachable?: boolean } = {}): Promise<void> {
  expect(result.status).toBe('failed');
  expect(result.error?.code).toBe(code);
  expect(result.error?.message).toMatch(message);
  const run = v.ctx.catalog.getRun(result.runId);
  expect(run?.status).toBe('failed');
  expect(run?.setId).toBe(result.setId);
  expect(run?.error?.code).toBe(code);
  expect(run?.error?.message).toMatch(message);
  expect(run?.finishedAt).not.toBeNull();
  if (opts.storageReachable === false) return;
  const storage = storageFromConfig(v.ctx.config, storageName, v.env);
  try {
    const left: string[] = [];
    for await (const o of storage.list(`sets/${result.setId}/`)) left.push(o.key);
    expect(left).toEqual([]); // partial objects removed, no manifest
    const sets = await listSetsOf(v.ctx, storage);
    expect(sets.filter((s) => s.setId === result.setId)).toEqual([]);
  } finally {
    storage.close();
  }
}

/** The fix worked: the same plan now gives a complete set that `listSets` sees. */
async function expectSucceeds(v: Variant, planName: string, storageName: string): Promise<BackupResult> {
  const result = await runBackup(v.ctx, planName);
  expect(result.error).toBeUndefined();
  expect(result.status).toBe('succeeded');
  expect(v.ctx.catalog.getRun(result.runId)?.status).toBe('succeeded');
  const storage = storageFromConfig(v.ctx.config, storageName, v.env);
  try {
    const set = (await listSetsOf(v.ctx, storage)).find((s) => s.setId === result.setId);
    expect(set?.complete).toBe(true);
  } finally {
    storage.close();
  }
  return result;
}

beforeAll(async () => {
  fx = await makeFixture(h, { largeBytes: 1024 * 1024 });
});

afterAll(() => {
  for (const ctx of contexts) ctx.close();
});

describe('backup faults: the server side breaks mid-stream (own sshd, killed on purpose)', () => {
  let sshd: SshServerHandle;
  let bigTree: string;
  beforeAll(async () => {
    sshd = await startSshd();
    bigTree = join(fx.dir, 'big');
    mkdirSync(bigTree);
    randomFile(join(bigTree, 'exames.bin'), 100 * 1024 * 1024);
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  const bigFilesVariant = (name: string): Variant =>
    variant(name, (doc) => {
      doc.servers['proprio'] = serverOf(sshd);
      doc.sources['grandes'] = { server: 'proprio', type: 'files', paths: [bigTree], format: 'tar' }; // these faults hit format 1's one tar stream
      plan(doc, 'grande', ['grandes'], 'nas');
    });

  it('SSH connection dropped mid-stream → failed run HOST_UNREACHABLE, no set; the retry succeeds', async () => {
    const v = bigFilesVariant('ssh-drop');
    let killed: Array<{ pid: number; comm: string }> = [];
    const hook = faultAfter(1, () => {
      // only sshd's own per-connection processes: the TCP connection dies, tar is left alone
      killed = descendants(sshd.pid).filter((p) => p.comm === 'sshd');
      killAll(killed.map((p) => p.pid));
    });
    const result = await runBackup(v.ctx, 'grande', { onProgress: hook.onProgress });
    expect(hook.firedAt()).toBeGreaterThan(0);
    expect(killed.length).toBeGreaterThan(0);
    await expectFailedRun(v, 'nas', result, 'HOST_UNREACHABLE', /SSH connection .* (ended|closed)|lost the (SSH )?connection/i);
    expect(result.bytes).toBeLessThan(100 * 1024 * 1024);
    // the server master survived (only sessions died): the same plan now goes through
    const ok = await expectSucceeds(v, 'grande', 'nas');
    expect(ok.sources[0]?.bytes).toBeGreaterThan(100 * 1024 * 1024);
  });

  it('remote dump killed by a signal mid-way (stream cut short) → failed run, no set; the retry succeeds', async () => {
    const v = bigFilesVariant('tar-killed');
    let killed: number[] = [];
    const hook = faultAfter(1, () => {
      killed = descendants(sshd.pid).filter((p) => p.comm === 'tar').map((p) => p.pid);
      killAll(killed);
    });
    const result = await runBackup(v.ctx, 'grande', { onProgress: hook.onProgress });
    expect(killed.length).toBeGreaterThan(0);
    await expectFailedRun(v, 'nas', result, 'REMOTE_COMMAND_FAILED', /tar.*(signal|KILL|exit)/i);
    await expectSucceeds(v, 'grande', 'nas');
  });
});

describe('backup faults: pg_dump fails', () => {
  const role = uniqueName('limited');
  let db: string;
  beforeAll(async () => {
    db = uniqueName('clinica_lim');
    await pgCreateDatabase(h.postgres, db);
    await pgPsql(
      h.postgres,
      `CREATE TABLE public.consultas (id serial PRIMARY KEY, nota text);
       INSERT INTO public.consultas (nota) SELECT md5(g::text) || repeat('x', 200) FROM generate_series(1, 20000) g;
       CREATE SCHEMA financeiro;
       CREATE TABLE financeiro.faturas (id serial PRIMARY KEY, valor numeric);
       INSERT INTO financeiro.faturas (valor) SELECT g FROM generate_series(1, 100) g;
       CREATE TABLE financeiro.segredo (id int PRIMARY KEY, valor numeric);
       INSERT INTO financeiro.segredo VALUES (1, 1), (2, 2);
       CREATE ROLE ${role} LOGIN;
       GRANT USAGE ON SCHEMA financeiro TO ${role};
       GRANT SELECT ON public.consultas, financeiro.faturas TO ${role};
       GRANT SELECT ON ALL SEQUENCES IN SCHEMA public, financeiro TO ${role};`,
      db,
    );
  });

  const limitedVariant = (name: string): Variant =>
    variant(name, (doc) => {
      doc.sources['limitado'] = { server: 'clinica', type: 'postgres', host: '127.0.0.1', port: h.postgres.port, user: role, databases: [db] };
      plan(doc, 'pg', ['limitado'], 'nas');
    });

  it('permission denied on one table → failed run naming it, no set; after the GRANT the retry succeeds', async () => {
    const v = limitedVariant('pg-denied');
    const result = await runBackup(v.ctx, 'pg');
    await expectFailedRun(v, 'nas', result, 'REMOTE_COMMAND_FAILED', /pg_dump.*permission denied for table segredo/is);
    expect(result.error?.hint).toBeTruthy();

    // the CLI says so too, and exits non-zero
    const cli = await cofre(['backup', '--plan', 'pg', '--json'], v.env);
    expect(cli.code).not.toBe(0);
    expect(JSON.stringify(cli.json)).toMatch(/permission denied for table segredo/);

    await pgPsql(h.postgres, `GRANT SELECT ON financeiro.segredo TO ${role};`, db);
    await expectSucceeds(v, 'pg', 'nas');
  });

  it('pg_dump failing mid-stream (row-level security hit after data flowed) → failed run, no set', async () => {
    // pg_dump locks every table up front, so a missing GRANT fails before any data; row-level
    // security on a later table makes it fail at that table's COPY, after bytes have flowed.
    const rlsDb = uniqueName('clinica_rls');
    await pgCreateDatabase(h.postgres, rlsDb);
    await pgPsql(
      h.postgres,
      `CREATE TABLE public.a_consultas (id serial PRIMARY KEY, nota text);
       INSERT INTO public.a_consultas (nota) SELECT (SELECT string_agg(md5(random()::text || i || g), '') FROM generate_series(1, 40) s(i)) FROM generate_series(1, 50000) g;
       CREATE TABLE public.z_faturas (id int PRIMARY KEY, valor numeric);
       INSERT INTO public.z_faturas VALUES (1, 10), (2, 20);
       ALTER TABLE public.z_faturas ENABLE ROW LEVEL SECURITY;
       GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role};
       GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};`,
      rlsDb,
    );
    const v = variant('pg-rls', (doc) => {
      doc.sources['rls'] = { server: 'clinica', type: 'postgres', host: '127.0.0.1', port: h.postgres.port, user: role, databases: [rlsDb] };
      plan(doc, 'pg', ['rls'], 'nas');
    });
    let flowed = 0;
    const result = await runBackup(v.ctx, 'pg', { onProgress: (p) => (flowed = Math.max(flowed, p.bytes)) });
    expect(flowed).toBeGreaterThan(64 * 1024); // the dump was under way when it broke
    await expectFailedRun(v, 'nas', result, 'REMOTE_COMMAND_FAILED', /pg_dump.*row-level security.*z_faturas/is);

    await pgPsql(h.postgres, `ALTER TABLE public.z_faturas DISABLE ROW LEVEL SECURITY;`, rlsDb);
    await expectSucceeds(v, 'pg', 'nas');
  });
});

describe('backup faults: wrong host key, storage', () => {
  it('wrong host key pinned → HOST_KEY_MISMATCH naming both fingerprints, nothing stored, CLI exits non-zero', async () => {
    const wrong = `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
    const v = variant('hostkey', (doc) => {
      (doc.servers['clinica'] as Record<string, unknown>)['hostKey'] = wrong;
      plan(doc, 'arq', ['arquivos'], 'nas');
    });
    const result = await runBackup(v.ctx, 'arq');
    await expectFailedRun(v, 'nas', result, 'HOST_KEY_MISMATCH', /mismatch/i);
    expect(result.error?.message).toContain(wrong);
    expect(result.error?.message).toContain(h.ssh.hostKeyFingerprint);

    const cli = await cofre(['backup', '--plan', 'arq', '--json'], v.env);
    expect(cli.code).not.toBe(0);
    const json = cli.json as { status?: string; error?: { code?: string; message?: string } };
    expect(json.status).toBe('failed');
    expect(json.error?.code).toBe('HOST_KEY_MISMATCH');
    expect(json.error?.message).toContain(wrong);
    expect(json.error?.message).toContain(h.ssh.hostKeyFingerprint);

    // pin the right key: the same plan goes through
    const fixed = parse(readFileSync(v.configPath, 'utf8')) as ConfigDoc;
    for (const server of Object.values(fixed.servers)) if (server['hostKey'] === wrong) server['hostKey'] = h.ssh.hostKeyFingerprint;
    writeFileSync(v.configPath, stringify(fixed));
    v.ctx.reloadConfig();
    await expectSucceeds(v, 'arq', 'nas');
  });

  it('S3 endpoint unreachable (closed port) → STORAGE_UNREACHABLE quickly, CLI exits non-zero', async () => {
    const port = await freePort();
    const v = variant('s3-down', (doc) => {
      (doc.storage['nuvem'] as Record<string, unknown>)['endpoint'] = `http://127.0.0.1:${port}`;
      plan(doc, 'arq', ['arquivos'], 'nuvem');
    });
    const t0 = Date.now();
    const result = await runBackup(v.ctx, 'arq');
    expect(Date.now() - t0).toBeLessThan(15_000);
    await expectFailedRun(v, 'nuvem', result, 'STORAGE_UNREACHABLE', new RegExp(`127\\.0\\.0\\.1:${port}`), { storageReachable: false });

    const cli = await cofre(['backup', '--plan', 'arq', '--json'], v.env);
    expect(cli.code).not.toBe(0);
    expect((cli.json as { error?: { code?: string } }).error?.code).toBe('STORAGE_UNREACHABLE');
  });

  it('bucket missing → failed run whose message names the bucket; after creating it the retry succeeds', async () => {
    const bucket = uniqueName('sem-balde').replace(/_/g, '-');
    const v = variant('no-bucket', (doc) => {
      (doc.storage['nuvem'] as Record<string, unknown>)['bucket'] = bucket;
      plan(doc, 'arq', ['arquivos'], 'nuvem');
    });
    const result = await runBackup(v.ctx, 'arq');
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain(bucket);
    await expectFailedRun(v, 'nuvem', result, result.error?.code ?? 'INTERNAL', new RegExp(bucket), { storageReachable: false });
    expect(result.error?.code).not.toBe('INTERNAL');

    await createBucket(h, bucket);
    await expectSucceeds(v, 'arq', 'nuvem');
  });
});

describe('backup faults: disk full on the folder target', () => {
  let mountDir: string;
  let mounted = false;
  beforeAll(() => {
    mountDir = join(fx.dir, 'tiny-disk');
    mkdirSync(mountDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountDir]);
    mounted = true;
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', mountDir]);
  });

  it('ENOSPC → STORAGE_FAILED "disk full", no temp files, no manifest; after making room the retry succeeds', async () => {
    // the fixture's tree plus 4 MiB of random bytes: cannot fit into 1 MiB
    randomFile(join(fx.filesDir, 'uploads', 'grande-2.bin'), 4 * 1024 * 1024);
    const v = variant('disk-full', (doc) => {
      doc.storage['pequeno'] = { type: 'folder', path: mountDir, location: { provider: 'nas', region: 'predio-3' } };
      plan(doc, 'mini', ['banco', 'arquivos'], 'pequeno');
    });
    const result = await runBackup(v.ctx, 'mini');
    await expectFailedRun(v, 'pequeno', result, 'STORAGE_FAILED', /disk full/i);
    const leftover = execFileSync('find', [mountDir, '-type', 'f'], { encoding: 'utf8' }).trim();
    expect(leftover).toBe(''); // no temp file, no object, no manifest

    const cli = await cofre(['backup', '--plan', 'mini', '--json'], v.env);
    expect(cli.code).not.toBe(0);
    expect((cli.json as { error?: { code?: string; message?: string } }).error?.message).toMatch(/disk full/i);
    expect(execFileSync('find', [mountDir, '-type', 'f'], { encoding: 'utf8' }).trim()).toBe('');

    execFileSync('mount', ['-o', 'remount,size=64m', mountDir]);
    await expectSucceeds(v, 'mini', 'pequeno');
  });
});
