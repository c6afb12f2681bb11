/**
 * The console's side of the copies restores keep (Restaurar → Cópias guardadas): the real engine
 * services behind the real RPC server, driven through the console's own stores. A restore started
 * from the console into a staging target under the production names ends with `restore.finished`
 * naming the copy it kept; `kept.list` shows it with size and state; a target that does not answer
 * is named and hides nothing else; removal needs the confirmation, the newest copy the second one,
 * and goes on the target, audited as the console's caller. Real sshd and PostgreSQL clusters.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { AppContext } from '../../src-main/app/context.js';
import { editConfig } from '../../src-main/config/edit.js';
import { runBackup } from '../../src-main/backup/run.js';
import { createEngineServices, type RealEngineServices } from '../../src-main/rpc/engine-services.js';
import { createConsoleRpc } from '../../src-main/rpc/index.js';
import { createMemoryTransportPair } from '../../shared/rpc/transport.js';
import { createRpcClient, type RpcClient } from '../../shared/rpc/client.js';
import type { RestoreFinished } from '../../shared/rpc/contracts/restore.js';
import { createStores, type Stores } from '../../src-renderer/src/stores/index.js';
import { wireEvents } from '../../src-renderer/src/stores/wire-events.js';
import { pgCreateDatabase, pgPsql } from '../harness/index.js';
import { makeFixture, type Fixture } from '../support/backup-fixture.js';

const h = inject('harness');
let fx: Fixture;
let ctx: AppContext;
let services: RealEngineServices;
let client: RpcClient;
let stores: Stores;
let setId: string;
const dbs = async (): Promise<string[]> => (await pgPsql(h.postgresStaging, 'SELECT datname FROM pg_database ORDER BY 1')).split('\n');

beforeAll(async () => {
  fx = await makeFixture(h, {
    largeBytes: 1024,
    extraYaml: `restoreTargets:
  homolog_orig:
    kind: staging
    names: original
    server: clinica
    postgres: { host: 127.0.0.1, port: ${h.postgresStaging.port}, user: postgres }
`,
  });
  ctx = new AppContext({ env: fx.env, actor: 'test' });
  const r = await runBackup(ctx, 'local');
  expect(r.error).toBeUndefined();
  setId = r.setId;
  // staging already holds a database under the production name: the restore moves it aside
  await pgCreateDatabase(h.postgresStaging, fx.pgDb);
  services = createEngineServices(ctx, { pollMs: 0 });
  const rpc = createConsoleRpc(services, { validateOutputs: true });
  const pair = createMemoryTransportPair();
  rpc.connect(pair.server, { actor: 'console:tecnico' });
  client = createRpcClient(pair.client);
  stores = createStores(client);
  wireEvents(client, stores);
}, 240_000);

afterAll(async () => {
  services?.close();
  ctx?.close();
  for (const d of (await dbs().catch(() => [] as string[])).filter((n) => fx && n.startsWith(fx.pgDb))) await pgPsql(h.postgresStaging, `DROP DATABASE "${d}" WITH (FORCE)`).catch(() => undefined);
});

describe('kept copies in the console (real engine services, RPC and stores)', () => {
  it('a console restore names what it kept; the list shows it; removal needs the confirmations and happens on the target', async () => {
    const finished = new Promise<RestoreFinished>((resolve) => client.on('restore.finished', resolve));
    const started = await client.call('restore.start', { setId, target: 'homolog_orig', sources: ['banco'] });
    expect(started.ok).toBe(true);
    const f = await finished;
    expect(f.status, JSON.stringify(f.error)).toBe('succeeded');
    const aside = (await dbs()).find((d) => d.startsWith(`${fx.pgDb}_antes_`));
    expect(aside).toMatch(/_antes_\d{14}$/);
    expect(f.kept).toEqual([{ target: 'homolog_orig', name: aside, kind: 'postgres', of: fx.pgDb }]);

    const k = stores.kept;
    await k.getState().load();
    expect(k.getState().unreachable).toEqual([]);
    const [copy] = k.getState().copies;
    expect(k.getState().copies).toHaveLength(1);
    expect(copy).toMatchObject({ target: 'homolog_orig', name: aside, kind: 'postgres', of: fx.pgDb, exists: true, newest: true, setId });
    expect(copy!.bytes).toBeGreaterThan(1_000_000);
    expect(Date.parse(copy!.madeAt)).toBeGreaterThan(Date.now() - 600_000);

    // the boundary refuses an unconfirmed removal, and the newest copy without force
    const unconfirmed = await client.call('kept.remove', { target: 'homolog_orig', name: aside!, force: true } as never);
    expect(unconfirmed).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    const notForced = await client.call('kept.remove', { target: 'homolog_orig', name: aside!, confirmed: true });
    expect(notForced).toMatchObject({ ok: false, error: { code: 'CONFIRMATION_REQUIRED', key: 'drill.kept.newest' } });
    expect(await dbs()).toContain(aside);

    // the store's dialog: not confirmable until the newest copy is confirmed a second time
    k.getState().ask(copy!);
    expect(k.getState().canConfirm()).toBe(false);
    await k.getState().confirm();
    expect(await dbs()).toContain(aside);
    k.getState().setForce(true);
    expect(k.getState().canConfirm()).toBe(true);
    await k.getState().confirm();
    expect(k.getState().removeError).toBeUndefined();
    expect(k.getState().removed?.name).toBe(aside);
    expect(k.getState().pending).toBeUndefined();
    expect(await dbs()).not.toContain(aside);
    expect(k.getState().copies).toEqual([]);
    const audit = ctx.catalog.listAudit({ action: 'kept.remove' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'console:tecnico', target: 'homolog_orig', details: { name: aside, kind: 'postgres', of: fx.pgDb, forced: true } });

    // gone since: the catalog's message says so, nothing else happens
    k.getState().ask(copy!);
    k.getState().setForce(true);
    await k.getState().confirm();
    expect(k.getState().removeError).toMatchObject({ code: 'PRECONDITION', key: 'drill.kept.gone', params: { name: aside, target: 'homolog_orig' } });
    expect(ctx.catalog.listAudit({ action: 'kept.remove' })).toHaveLength(1);
  }, 240_000);

  it('a target that does not answer is named with why; the others are still listed', async () => {
    // a second kept copy, then the first target's server made unreachable
    await pgCreateDatabase(h.postgresStaging, fx.pgDb).catch(() => undefined);
    const finished = new Promise<RestoreFinished>((resolve) => client.on('restore.finished', resolve));
    expect((await client.call('restore.start', { setId, target: 'homolog_orig', sources: ['banco'] })).ok).toBe(true);
    expect((await finished).kept).toHaveLength(1);
    editConfig(fx.configPath, (doc) => {
      const server = doc.getIn(['servers', 'clinica']) as { toJSON(): Record<string, unknown> };
      doc.setIn(['servers', 'fora'], doc.createNode({ ...server.toJSON(), port: 1 }));
      doc.setIn(['restoreTargets', 'homolog_fora'], doc.createNode({ kind: 'staging', names: 'original', server: 'fora', postgres: { host: '127.0.0.1', port: h.postgresStaging.port, user: 'postgres' } }));
    });
    // a restore recorded on the unreachable target (as if it answered back then)
    const run = ctx.catalog.startRun({ kind: 'restore', target: 'homolog_fora', setId });
    ctx.catalog.finishRun(run, { status: 'succeeded', details: { setId, movedAside: [{ item: 'banco.x', destination: 'x', aside: 'x_antes_20240101000000', kind: 'postgres' }] } });
    await stores.kept.getState().load();
    const s = stores.kept.getState();
    expect(s.unreachable.map((u) => u.target)).toEqual(['homolog_fora']);
    expect(s.unreachable[0]?.error.code).toBe('HOST_UNREACHABLE');
    expect(s.copies.map((c) => c.target)).toEqual(['homolog_orig']);
  }, 240_000);
});
