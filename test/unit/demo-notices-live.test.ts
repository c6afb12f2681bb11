/**
 * The demo's notices reach an open console without a reload: the real engine services of a
 * (files-only) demo home push `demo.changed`, and the console's demo store (wired as in the
 * renderer) takes it.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppContext } from '../../src-main/app/context.js';
import { demoRestoreRoot, prepareDemo } from '../../src-main/demo/home.js';
import { notice } from '../../src-main/demo/notices.js';
import { createEngineServices, type RealEngineServices } from '../../src-main/rpc/engine-services.js';
import { createConsoleRpc } from '../../src-main/rpc/index.js';
import { createMemoryTransportPair } from '../../shared/rpc/transport.js';
import { createRpcClient } from '../../shared/rpc/client.js';
import { createStores } from '../../src-renderer/src/stores/index.js';
import { wireEvents } from '../../src-renderer/src/stores/wire-events.js';
import type { DemoInfo } from '../../shared/rpc/contracts/demo.js';
import { until } from '../support/console-stores.js';

let dir: string | undefined;
let ctx: AppContext | undefined;
let services: RealEngineServices | undefined;

afterAll(() => {
  try {
    services?.close();
    ctx?.close();
  } finally {
    if (dir !== undefined) {
      // the demo's staging folder lives in the temp folder, named after the home
      rmSync(demoRestoreRoot(join(dir, 'home')), { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

describe('demo notices, live', () => {
  it('a notice that changes in the engine shows in the console store without reloading', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cofre-demo-live-'));
    const setup = await prepareDemo(join(dir, 'home'), { noDatabase: true });
    ctx = new AppContext({ configFlag: setup.configPath, env: { ...process.env, COFRE_HOME: setup.home }, actor: 'test' });
    let info: DemoInfo = { demo: true, home: setup.home, databases: ['postgres', 'mysql'], notices: [notice('dbStarting', 'info', 'the demo databases are being prepared')] };
    services = createEngineServices(ctx, { pollMs: 0, demo: () => info });
    const rpc = createConsoleRpc(services, { validateOutputs: true });
    const pair = createMemoryTransportPair();
    rpc.connect(pair.server, { actor: 'console:test' });
    const client = createRpcClient(pair.client);
    const stores = createStores(client);
    wireEvents(client, stores);
    await stores.demo.getState().load();
    expect(stores.demo.getState().info?.notices.map((n) => n.code)).toEqual(['dbStarting']);

    // the MariaDB did not start: the engine says so, the store follows (no load() called)
    info = { ...info, databases: ['postgres'], notices: [notice('myFailed', 'warning', 'the demo MariaDB server did not start', { dir: '/tmp/x', detail: 'boom' })] };
    services.demoChanged();
    const after = await until(stores.demo, (s) => s.info?.notices.some((n) => n.code === 'myFailed') === true);
    expect(after.info?.databases).toEqual(['postgres']);
    expect(after.info?.notices.map((n) => n.code)).toEqual(['myFailed']);
    // let the engine's start-up listing of the storage settle before the catalog is closed
    await services.sets.list({});
  });
});
