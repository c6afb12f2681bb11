import { describe, it, expect, afterEach } from 'vitest';
import { createConsoleRpc, createRpcServer } from '../../src-main/rpc/index.js';
import { createHandlers } from '../../src-main/rpc/handlers/index.js';
import { createMemoryServices, type MemoryServices } from '../support/memory-services.js';
import { createMemoryTransportPair } from '../../shared/rpc/transport.js';
import { createRpcClient } from '../../shared/rpc/client.js';
import type { EventPayload } from '../../shared/rpc/contract.js';
import { CofreError } from '../../src-main/errors.js';

const ctx = { actor: 'test' };
let services: MemoryServices;
afterEach(() => services?.close());

function setup() {
  services = createMemoryServices({ tickMs: 2, ticks: 4 });
  const rpc = createConsoleRpc(services, { validateOutputs: true });
  return { rpc, services };
}

describe('RPC server dispatch', () => {
  it('answers malformed messages with INVALID_ARGUMENT instead of crashing', async () => {
    const { rpc } = setup();
    for (const raw of ['{not json', '42', 'null', JSON.stringify({ t: 'req' }), JSON.stringify({ t: 'req', id: 7 }), { t: 'req', id: {}, method: 'status.get' }, [1, 2]]) {
      const res = await rpc.handle(raw, ctx);
      expect(res?.t).toBe('res');
      expect(res?.result.ok).toBe(false);
      if (res && !res.result.ok) expect(res.result.error.code).toBe('INVALID_ARGUMENT');
    }
    // the id is echoed when it could be read
    const withId = await rpc.handle({ t: 'req', id: 7 }, ctx);
    expect(withId?.id).toBe(7);
  });

  it('rejects an unknown method by name', async () => {
    const { rpc } = setup();
    const res = await rpc.handle({ t: 'req', id: 1, method: 'sets.delete', input: {} }, ctx);
    expect(res?.result).toEqual({ ok: false, error: { code: 'INVALID_ARGUMENT', message: 'Unknown method "sets.delete".' } });
    const proto = await rpc.handle({ t: 'req', id: 2, method: 'toString', input: {} }, ctx);
    expect(proto?.result.ok).toBe(false);
  });

  it('validates input before the handler runs, naming the bad field', async () => {
    let called = false;
    const handlers = createHandlers(createMemoryServices());
    const server = createRpcServer({ ...handlers, 'servers.save': async () => { called = true; return { saved: true }; } });
    const res = await server.handle({ t: 'req', id: 1, method: 'servers.save', input: { name: 'x y', host: '', user: 'u', privateKeyFile: 'k' } }, ctx);
    expect(called).toBe(false);
    expect(res?.result.ok).toBe(false);
    if (res && !res.result.ok) {
      expect(res.result.error.code).toBe('INVALID_ARGUMENT');
      expect(res.result.error.message).toContain('name');
      expect(res.result.error.message).toContain('host');
    }
  });

  it('turns a CofreError thrown by the engine into an error value with code and hint', async () => {
    const { rpc } = setup();
    const res = await rpc.handle({ t: 'req', id: 'a', method: 'backup.start', input: { plan: 'nope' } }, ctx);
    expect(res).toEqual({ t: 'res', id: 'a', result: { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'There is no plan named "nope".', hint: 'Create it in Planos.' } } });
  });

  it('refuses a production restore without the typed confirmation', async () => {
    const { rpc, services } = setup();
    const [set] = (await services.sets.list({})).sets.filter((s) => s.complete);
    const res = await rpc.handle({ t: 'req', id: 1, method: 'restore.start', input: { setId: set?.setId, target: 'producao' } }, ctx);
    expect(res?.result.ok).toBe(false);
    if (res && !res.result.ok) expect(res.result.error.code).toBe('CONFIRMATION_REQUIRED');
    const ok = await rpc.handle({ t: 'req', id: 2, method: 'restore.start', input: { setId: set?.setId, target: 'producao', confirmName: 'producao' } }, ctx);
    expect(ok?.result.ok).toBe(true);
  });

  it('reports a handler whose output breaks the contract (dev/test)', async () => {
    const base = createHandlers(createMemoryServices());
    const errors: string[] = [];
    const server = createRpcServer(
      { ...base, 'servers.test': async () => ({ ok: 'yes' }) as unknown as { ok: boolean; message: string } },
      { validateOutputs: true, onInternalError: (m) => errors.push(m) },
    );
    const res = await server.handle({ t: 'req', id: 1, method: 'servers.test', input: { name: 'clinica' } }, ctx);
    expect(res?.result.ok).toBe(false);
    if (res && !res.result.ok) expect(res.result.error.code).toBe('INTERNAL');
    expect(errors).toEqual(['servers.test']);
  });

  it('maps an unexpected exception to INTERNAL without crashing', async () => {
    const base = createHandlers(createMemoryServices());
    const server = createRpcServer({ ...base, 'status.get': async () => { throw new TypeError('boom'); } });
    const res = await server.handle({ t: 'req', id: 1, method: 'status.get' }, ctx);
    expect(res?.result).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'boom' } });
    const cofre = createRpcServer({ ...base, 'status.get': async () => { throw new CofreError('CONFIG_MISSING', 'No cofre.yaml.', { hint: 'Run cofre init.' }); } });
    const res2 = await cofre.handle({ t: 'req', id: 1, method: 'status.get' }, ctx);
    expect(res2?.result).toEqual({ ok: false, error: { code: 'CONFIG_MISSING', message: 'No cofre.yaml.', hint: 'Run cofre init.' } });
  });
});

describe('RPC client over the in-memory transport', () => {
  it('calls typed methods and receives values', async () => {
    const { rpc } = setup();
    const pair = createMemoryTransportPair();
    rpc.connect(pair.server, ctx);
    const client = createRpcClient(pair.client);
    const status = await client.call('status.get');
    expect(status.ok).toBe(true);
    if (status.ok) expect(status.value.plans.map((p) => p.plan)).toEqual(['diario', 'local']);
    const runs = await client.call('runs.list', { plan: 'local', limit: 5 });
    expect(runs.ok && runs.value.runs[0]?.status).toBe('failed');
  });

  it('delivers pushed events in order: progress, then finished', async () => {
    const { rpc } = setup();
    const pair = createMemoryTransportPair();
    rpc.connect(pair.server, ctx);
    const client = createRpcClient(pair.client);
    const progress: EventPayload<'run.progress'>[] = [];
    client.on('run.progress', (p) => progress.push(p));
    const finished = new Promise<EventPayload<'run.finished'>>((ok) => client.on('run.finished', ok));
    const started = await client.call('backup.start', { plan: 'diario' });
    expect(started.ok).toBe(true);
    const done = await finished;
    expect(started.ok && done.runId).toBe(started.ok && started.value.runId);
    expect(done.status).toBe('succeeded');
    expect(progress.length).toBe(4);
    expect(progress.map((p) => p.bytes)).toEqual([...progress.map((p) => p.bytes)].sort((a, b) => a - b));
    const sets = await client.call('sets.list', { plan: 'diario' });
    expect(sets.ok && sets.value.sets[0]?.setId).toBe(done.setId);
  });

  it('fails pending calls with DISCONNECTED when the transport closes', async () => {
    const pair = createMemoryTransportPair();
    const client = createRpcClient(pair.client);
    const pending = client.call('status.get');
    pair.close();
    const res = await pending;
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('DISCONNECTED');
  });
});
