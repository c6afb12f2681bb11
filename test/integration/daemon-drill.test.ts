/**
 * The daemon keeps the quarterly drill (RF-BACK-003): when due it restores the latest set into
 * staging by itself, records it and stays quiet until the next quarter; without a staging
 * target it alerts once that the drill cannot happen.
 */
import { describe, it, expect, inject } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { alerterFromConfig } from '../../src-main/daemon/alerting.js';
import { keepDrills } from '../../src-main/daemon/drills.js';
import { drillStatus } from '../../src-main/restore/drill.js';
import { makeFixture, stagingTargetYaml } from '../support/backup-fixture.js';

const h = inject('harness');

async function webhookReceiver(): Promise<{ server: Server; url: string; bodies: Array<{ kind: string; plan: string }> }> {
  const bodies: Array<{ kind: string; plan: string }> = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(data) as { kind: string; plan: string });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { server, url: `http://127.0.0.1:${port}/hook`, bodies };
}

describe('quarterly drill kept by the daemon', () => {
  it('runs the drill when due, then not again until the next quarter', async () => {
    const hook = await webhookReceiver();
    const restoreRoot = join(h.ssh.dir, '..', `drill-${Date.now()}`);
    mkdirSync(restoreRoot, { recursive: true });
    const fx = await makeFixture(h, {
      largeBytes: 256 * 1024,
      extraYaml: stagingTargetYaml(h, restoreRoot, '', `alerts:
  webhook: { url: "${hook.url}" }
`),
    });
    const ctx = new AppContext({ env: fx.env });
    expect((await runBackup(ctx, 'local')).status).toBe('succeeded');
    expect(drillStatus(ctx).overdue).toBe(true);
    const alerter = alerterFromConfig(ctx);
    const lines: string[] = [];
    await keepDrills(ctx, alerter, (l) => lines.push(l));
    const drills = ctx.catalog.listRuns({ kind: 'drill' });
    expect(drills.map((r) => [r.status, r.target])).toEqual([['succeeded', 'homologacao']]);
    const st = drillStatus(ctx);
    expect(st.overdue).toBe(false);
    expect(Date.parse(st.nextDue ?? '')).toBeGreaterThan(Date.now() + 80 * 86_400_000);
    await keepDrills(ctx, alerter, (l) => lines.push(l));
    expect(ctx.catalog.listRuns({ kind: 'drill' })).toHaveLength(1);
    expect(hook.bodies).toEqual([]);
    ctx.close();
    hook.server.close();
  });

  it('alerts once when no staging target exists', async () => {
    const hook = await webhookReceiver();
    const fx = await makeFixture(h, { largeBytes: 1024, extraYaml: `alerts:\n  webhook: { url: "${hook.url}" }\n` });
    const ctx = new AppContext({ env: fx.env });
    const alerter = alerterFromConfig(ctx);
    await keepDrills(ctx, alerter, () => undefined);
    await keepDrills(ctx, alerter, () => undefined);
    expect(hook.bodies.map((b) => b.kind)).toEqual(['drill_overdue']);
    expect(ctx.catalog.listRuns({ kind: 'drill' })).toEqual([]);
    ctx.close();
    hook.server.close();
  });
});

describe('before the first backup', () => {
  it('does not attempt a drill while no complete set exists', async () => {
    const fx = await makeFixture(h, {
      largeBytes: 1024,
      extraYaml: `restoreTargets:\n  homologacao:\n    kind: staging\n    server: clinica\n    filesRoot: /tmp\n`,
    });
    const ctx = new AppContext({ env: fx.env });
    await keepDrills(ctx, alerterFromConfig(ctx), () => undefined);
    expect(ctx.catalog.listRuns({ kind: 'drill' })).toEqual([]);
    ctx.close();
  });
});
