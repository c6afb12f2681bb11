/**
 * Fail closed under storage faults (issue 14): on BOTH real backends (a folder, and S3 on s3rver),
 * the fault-injecting wrapper makes chosen keys/operations fail with EIO, a 5xx beyond retries, a
 * timeout, a truncated read or a corrupted read. For each fault: prune deletes nothing it should
 * not (nothing at all when a manifest or the listing cannot be read), the sets listing hides no
 * good set of the other storage and names the faulty one, restore selection never picks a doubtful
 * set and refuses a guess, and verify fails with a message naming storage, set and object.
 * The sets are written through the real backends (encrypted SQL dumps + format-1 manifests).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect, inject, beforeAll } from 'vitest';
import { AppContext } from '../../src-main/app/context.js';
import { storageFromConfig } from '../../src-main/app/storage.js';
import { listStorages } from '../../src-main/backup/storage-sets.js';
import { manifestKey, newSetId, setIdTime } from '../../src-main/backup/layout.js';
import { deleteSet, prunePlan } from '../../src-main/retention/prune.js';
import { createAlerter } from '../../src-main/alerts/dispatcher.js';
import { alertOnPlanStates } from '../../src-main/daemon/alerting.js';
import { forgetSet } from '../../src-main/retention/forget.js';
import { planFindings } from '../../src-main/status/findings.js';
import { computeStatus } from '../../src-main/status/status.js';
import { selectSet } from '../../src-main/restore/select.js';
import { verifySet } from '../../src-main/backup/verify.js';
import { encryptBuffer, generateIdentity } from '../../src-main/crypto/age.js';
import type { Manifest } from '../../shared/domain.js';
import type { Storage } from '../../src-main/storage/types.js';
import { createBucket, uniqueName } from '../support/backup-fixture.js';
import { generateSigningKey, parseSigningKey } from '../../src-main/crypto/ssh-key-file.js';
import { setAuthenticator, signManifest } from '../../src-main/app/signing.js';
import { FAULT_KINDS, FaultyStorage, type Fault, type FaultKind } from '../support/faulty-storage.js';
import { tempDir } from '../harness/index.js';

const h = inject('harness');
const DAY = 86_400_000;
const { identity, recipient } = generateIdentity();
const signing = generateSigningKey('cofre-faults-test');
const signingKey = parseSigningKey(signing.privateText, 'test signing key');

interface World {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** set ids per storage, oldest first */
  ids: Record<'nas' | 'nuvem', string[]>;
}

async function putSet(storage: Storage, plan: string, at: Date): Promise<string> {
  const setId = newSetId(at);
  const sql = Buffer.from(`-- MariaDB dump 10.19\n${randomBytes(96 * 1024).toString('hex')}\n-- Dump completed on ${at.toISOString()}\n`);
  const stored = await encryptBuffer(sql, [recipient]);
  const key = `sets/${setId}/prontuarios.clinica.sql.age`;
  await storage.putBytes(key, stored);
  const manifest: Manifest = {
    format: 'cofre-set/2', setId, plan, createdAt: at.toISOString(), finishedAt: new Date(at.getTime() + 60_000).toISOString(),
    recipients: [recipient], cofreVersion: 'test',
    sources: [{ name: 'prontuarios', type: 'mysql', server: 'clinica', objects: [{ part: 'clinica', format: 'sql', key, bytes: stored.length, plainBytes: sql.length, sha256: createHash('sha256').update(stored).digest('hex') }] }],
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  await storage.putBytes(`${manifestKey(setId)}.sig`, signManifest(bytes, signingKey));
  await storage.putBytes(manifestKey(setId), bytes);
  return setId;
}

/** Two storages, each with 8 daily complete sets of its own plan (the newest an hour old). */
async function makeWorld(): Promise<World> {
  const dir = await tempDir('cofre-faults-');
  const folder = join(dir, 'storage');
  mkdirSync(folder);
  mkdirSync(join(dir, 'home'));
  const bucket = uniqueName('faults').replace(/_/g, '-');
  await createBucket(h, bucket);
  writeFileSync(join(dir, 'cofre.yaml'), `servers:
  clinica: { host: ${h.ssh.host}, port: ${h.ssh.port}, user: ${h.ssh.user}, privateKeyFile: ${h.ssh.privateKeyPath}, hostKey: "${h.ssh.hostKeyFingerprint}" }
sources:
  prontuarios: { server: clinica, type: mysql, host: 127.0.0.1, port: ${h.mariadb.port}, user: root, databases: [clinica] }
storage:
  nuvem: { type: s3, endpoint: ${h.s3.endpoint}, region: ${h.s3.region}, bucket: ${bucket}, prefix: cofre, forcePathStyle: true, accessKeyIdEnv: TEST_S3_KEY, secretAccessKeyEnv: TEST_S3_SECRET, timeoutSeconds: 3 }
  nas: { type: folder, path: ${folder}, timeoutSeconds: 3 }
encryption:
  recipients: ["${recipient}"]
  signers: ["${signing.publicLine}"]
plans:
  diario: { sources: [prontuarios], storage: nuvem, schedule: "0 * * * *", retention: { keepDays: 3, keepMin: 2 } }
  local: { sources: [prontuarios], storage: nas, schedule: "30 * * * *", retention: { keepDays: 3, keepMin: 2 } }
`);
  const env = { ...process.env, COFRE_HOME: join(dir, 'home'), COFRE_CONFIG: join(dir, 'cofre.yaml'), TEST_S3_KEY: h.s3.accessKeyId, TEST_S3_SECRET: h.s3.secretAccessKey };
  const plain = new AppContext({ env });
  const ids: World['ids'] = { nas: [], nuvem: [] };
  const now = Date.now();
  for (const [name, plan] of [['nas', 'local'], ['nuvem', 'diario']] as const) {
    const storage = plain.storage(name);
    try {
      for (let d = 7; d >= 0; d--) ids[name].push(await putSet(storage, plan, new Date(now - d * DAY - 3_600_000 - (name === 'nas' ? 0 : 1000))));
    } finally {
      storage.close();
    }
  }
  plain.close();
  return { dir, env, ids };
}

/** A context whose storage `faulty` goes through the fault-injecting wrapper; the wrappers it made are kept. */
function contextWith(w: World, faulty: 'nas' | 'nuvem', faults: Fault[]): { ctx: AppContext; opened: FaultyStorage[] } {
  const opened: FaultyStorage[] = [];
  const ctx = new AppContext({
    env: w.env,
    actor: 'test',
    openStorage: (config, name, env) => {
      const real = storageFromConfig(config, name, env);
      if (name !== faulty) return real;
      const f = new FaultyStorage(real, faults);
      opened.push(f);
      return f;
    },
  });
  return { ctx, opened };
}

async function keysOf(w: World, name: 'nas' | 'nuvem'): Promise<string[]> {
  const ctx = new AppContext({ env: w.env });
  const s = ctx.storage(name);
  const keys: string[] = [];
  try {
    for await (const o of s.list('sets/')) keys.push(o.key);
  } finally {
    s.close();
    ctx.close();
  }
  return keys.sort();
}

const READ_FAULTS: FaultKind[] = ['eio', '5xx', 'timeout'];
const BODY_FAULTS: FaultKind[] = ['truncated', 'corrupted'];

describe.each(['nas', 'nuvem'] as const)('storage %s under injected faults', (name) => {
  const other = name === 'nas' ? 'nuvem' : 'nas';
  const plan = name === 'nas' ? 'local' : 'diario';
  let w: World;
  beforeAll(async () => {
    w = await makeWorld();
  });

  it.each(READ_FAULTS)('manifest read fails (%s): prune deletes nothing on that storage and names the set; the listing shows it doubtful, the rest intact', async (kind) => {
    const victim = w.ids[name][0] as string; // the oldest: retention would delete it
    const before = await keysOf(w, name);
    const { ctx, opened } = contextWith(w, name, [{ kind, ops: ['get'], key: manifestKey(victim) }]);
    try {
      if (kind === 'timeout') {
        // the manifest never answers: the listing times out, prune stops with the storage named
        await expect(prunePlan(ctx, plan, { dryRun: false })).rejects.toThrow(new RegExp(`prune stopped: storage ${name} could not be listed .*did not answer the listing within 3 s.*nothing was deleted`));
      } else {
        const r = await prunePlan(ctx, plan, { dryRun: false });
        expect(r.delete).toEqual([]);
        expect(r.aborted).toContain(`the manifest of set ${victim} could not be read`);
        expect(r.aborted).toContain(`storage ${name}`);
        // what the policy alone would delete is kept
        expect(r.keep.find((d) => d.setId === w.ids[name][1])?.reason).toBe('older than 3 days; kept by the safety stop');
      }
      expect(opened.flatMap((o) => o.deleted)).toEqual([]); // not one delete call was made
      expect(await keysOf(w, name)).toEqual(before);

      const listing = await listStorages(ctx);
      const otherIds = listing.sets.filter((s) => s.storage === other && s.state === 'complete').map((s) => s.setId);
      expect(otherIds).toEqual(w.ids[other]); // nothing good hidden on the other storage
      if (kind === 'timeout') {
        expect(listing.unreachable).toEqual([{ storage: name, error: expect.objectContaining({ code: 'STORAGE_UNREACHABLE', message: expect.stringContaining(`storage ${name}`) }) }]);
      } else {
        const v = listing.sets.find((s) => s.setId === victim);
        expect(v).toMatchObject({ storage: name, state: 'doubtful', unreadable: true, complete: false });
        expect(v?.problem).toMatch(kind === 'eio' ? /EIO/ : /HTTP 503/);
        expect(listing.sets.filter((s) => s.storage === name && s.state === 'complete').map((s) => s.setId)).toEqual(w.ids[name].slice(1));
      }
    } finally {
      ctx.close();
    }
  });

  it.each(BODY_FAULTS)('manifest read %s: the set is doubtful, never deleted nor chosen; good sets stay', async (kind) => {
    const victim = w.ids[name][0] as string;
    const { ctx, opened } = contextWith(w, name, [{ kind, ops: ['get'], key: manifestKey(victim) }]);
    try {
      const r = await prunePlan(ctx, plan, { dryRun: true });
      expect(r.doubtful.map((d) => d.setId)).toEqual([victim]);
      expect(r.delete.map((d) => d.setId)).not.toContain(victim);
      expect(r.keep.find((d) => d.setId === victim)?.reason).toMatch(/^doubtful \(the manifest is not valid JSON \(corrupted\)\); never deleted by retention$/);
      // the newest keepMin good sets are still kept: the doubtful one does not count
      for (const id of w.ids[name].slice(-2)) expect(r.keep.find((d) => d.setId === id)?.reason).toContain('keepMin 2');
      expect(opened.flatMap((o) => o.deleted)).toEqual([]);
      // --at exactly when the victim finished: it is not chosen, and no older guess is made silently
      const at = new Date(setIdTime(victim).getTime() + 120_000).toISOString();
      await expect(selectSet(ctx, { at, storage: name })).rejects.toThrow(/no complete set finished at or before/);
      await expect(selectSet(ctx, { setId: victim })).rejects.toThrow(new RegExp(`set ${victim} on storage ${name} is doubtful`));
    } finally {
      ctx.close();
    }
  });

  it.each(FAULT_KINDS)('listing fails (%s): prune stops, sets names the storage beside the other one, --at refuses to guess', async (kind) => {
    const before = await keysOf(w, name);
    const { ctx, opened } = contextWith(w, name, [{ kind, ops: ['list'], key: 'sets/' }]);
    try {
      await expect(prunePlan(ctx, plan, { dryRun: false })).rejects.toThrow(new RegExp(`prune stopped: storage ${name} could not be listed.*nothing was deleted`));
      expect(opened.flatMap((o) => o.deleted)).toEqual([]);
      expect(await keysOf(w, name)).toEqual(before);
      const listing = await listStorages(ctx);
      expect(listing.unreachable.map((u) => u.storage)).toEqual([name]);
      expect(listing.unreachable[0]?.error.message).toContain(`storage ${name}`);
      expect(listing.sets.filter((s) => s.state === 'complete').map((s) => s.setId)).toEqual(w.ids[other]);
      // the down storage's plan (hourly) was due after the other storage's newest set: refuse, ask for --storage
      const err = await selectSet(ctx, { at: new Date().toISOString() }).catch((e: unknown) => e as Error & { hint?: string });
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(new RegExp(`storage ${name} did not answer .* and may hold a newer one`));
      expect((err as { hint?: string }).hint).toMatch(/--storage/);
      // naming the storage on purpose accepts the older point
      const chosen = await selectSet(ctx, { at: new Date().toISOString(), storage: other });
      expect(chosen).toMatchObject({ storage: other, setId: w.ids[other].at(-1) });
    } finally {
      ctx.close();
    }
  });

  it.each(FAULT_KINDS)('verify with the object read failing (%s) fails and names the set and object', async (kind) => {
    const target = w.ids[name].at(-1) as string;
    const { ctx } = contextWith(w, name, [{ kind, ops: ['get'], key: `sets/${target}/prontuarios` }]);
    const storage = ctx.storage(name);
    try {
      const run = verifySet(storage, target, { deep: true, authenticate: setAuthenticator(ctx.config, ctx.now), identities: [identity] });
      const r = kind === 'timeout' ? await Promise.race([run, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3000))]) : await run;
      if (r === 'timeout') return; // a read that never answers never yields "ok"
      expect(r.ok).toBe(false);
      const failed = r.checks.find((c) => !c.ok);
      expect(failed?.name).toBe('prontuarios.clinica.sql.age');
      expect(failed?.message).toMatch(kind === 'eio' ? /EIO/ : kind === '5xx' ? /503/ : /SHA-256 mismatch|decrypt|truncat|authentic|unexpected end|invalid|failed/i);
    } finally {
      storage.close();
      ctx.close();
    }
  });

  it('a good storage verifies and prunes normally (the faults above are what made the difference)', async () => {
    const { ctx, opened } = contextWith(w, name, []);
    const storage = ctx.storage(name);
    try {
      const v = await verifySet(storage, w.ids[name].at(-1) as string, { deep: true, authenticate: setAuthenticator(ctx.config, ctx.now), identities: [identity] });
      expect(v.ok).toBe(true);
      const r = await prunePlan(ctx, plan, { dryRun: true });
      expect(r.aborted).toBeUndefined();
      expect(r.delete.map((d) => d.setId)).toEqual(expect.arrayContaining(w.ids[name].slice(0, 3)));
      for (const id of w.ids[name].slice(-3)) expect(r.delete.map((d) => d.setId)).not.toContain(id);
      expect(opened.flatMap((o) => o.deleted)).toEqual([]);
    } finally {
      storage.close();
      ctx.close();
    }
  });
});

describe('forget, doubtful and vanished sets', () => {
  it('forget deletes one set on purpose (confirmation, newest-complete guard, audit); status flags doubtful and vanished sets', async () => {
    const w = await makeWorld();
    const { ctx, opened } = contextWith(w, 'nas', []);
    try {
      const newest = w.ids.nas.at(-1) as string;
      const older = w.ids.nas[2] as string;
      await expect(forgetSet(ctx, older, {})).rejects.toMatchObject({ code: 'CONFIRMATION_REQUIRED' });
      await expect(forgetSet(ctx, newest, { yes: true })).rejects.toThrow(new RegExp(`set ${newest} is the newest complete set of plan local`));
      expect(opened.flatMap((o) => o.deleted)).toEqual([]);
      const r = await forgetSet(ctx, older, { yes: true });
      expect(r).toMatchObject({ setId: older, storage: 'nas', state: 'complete', deleted: true });
      const deleted = opened.flatMap((o) => o.deleted);
      expect(deleted.slice(0, 2)).toEqual([manifestKey(older), `${manifestKey(older)}.sig`]); // manifest first
      expect((await keysOf(w, 'nas')).some((k) => k.includes(older))).toBe(false);
      expect(ctx.catalog.listAudit({ action: 'set.forget' }).map((a) => a.target)).toEqual([`local/${older}`]);

      // a set this Cofre made (audited backup.create) that someone removed from the bucket is flagged;
      // the one forgotten on purpose is not
      const victim = w.ids.nas[4] as string;
      for (const id of [victim, older]) ctx.catalog.audit('test', 'backup.create', `local/${id}`, { storage: 'nas', bytes: 1 });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const s = ctx.storage('nas');
      try {
        await deleteSet(s, victim); // "rollback by someone with bucket access": no audit entry
        // and the newest set's manifest gets corrupted: doubtful, the plan's RPO is failing
        await s.putBytes(manifestKey(newest), Buffer.from('{ "format": "cofre-set/1", "setId": '));
      } finally {
        s.close();
      }
      await listStorages(ctx);
      const f = planFindings(ctx, 'local');
      expect(f.missing.map((m) => m.setId)).toEqual([victim]);
      expect(f.doubtful.map((d) => d.setId)).toEqual([newest]);
      const status = computeStatus(ctx).plans.find((p) => p.plan === 'local');
      expect(status?.rpoState).toBe('failing');
      expect(status?.reason).toContain(`the newest set ${newest} is doubtful`);
      // the watchdog alerts the doubtful set once
      const sent: string[] = [];
      const alerter = createAlerter({
        channels: [{ name: 'probe', send: async (m) => void sent.push(`${m.json.kind}:${m.json.setId ?? ''}`) }],
        now: () => new Date(),
        state: { get: (k) => ctx.catalog.getState(`alert:${k}`), set: (k, v) => ctx.catalog.setState(`alert:${k}`, v) },
        record: () => undefined,
      });
      await alertOnPlanStates(ctx, alerter);
      await alertOnPlanStates(ctx, alerter);
      expect(sent.filter((k) => k.startsWith('set_doubtful'))).toEqual([`set_doubtful:${newest}`]);
      // forget clears a doubtful set too (even though it is the newest), and closes its alert
      await forgetSet(ctx, newest, { yes: true });
      await listStorages(ctx);
      expect(planFindings(ctx, 'local').doubtful).toEqual([]);
      expect(alerter.isFailing(`plan:local:doubtful:${newest}`)).toBe(false);
    } finally {
      ctx.close();
    }
  });
});
