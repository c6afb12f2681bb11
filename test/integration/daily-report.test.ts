/**
 * The optional daily report: one e-mail a day per plan with the previous day's sets, sent
 * through a real SMTP server, never twice for the same day.
 */
import { describe, it, expect, inject, afterAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { SMTPServer } from 'smtp-server';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { sendDailyReports } from '../../src-main/daemon/daily-report.js';
import { makeFixture } from '../support/backup-fixture.js';

const h = inject('harness');
const mails: string[] = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, cb) {
    let raw = '';
    stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    stream.on('end', () => {
      mails.push(raw);
      cb();
    });
  },
});
afterAll(() => new Promise<void>((r) => smtp.close(() => r())));

describe('daily report', () => {
  it("e-mails yesterday's sets once per day", async () => {
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const addr = smtp.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const fx = await makeFixture(h, {
      largeBytes: 1024,
      extraYaml: `alerts:\n  email: { host: 127.0.0.1, port: ${port}, requireTLS: false, from: cofre@clinica.test, to: [ti@clinica.test] }\n`,
    });
    writeFileSync(fx.configPath, readFileSync(fx.configPath, 'utf8').replace('    schedule: "0 3 * * *"', '    schedule: "0 3 * * *"\n    dailyReport: true'));
    const ctx = new AppContext({ env: fx.env });
    const backup = await runBackup(ctx, 'local');
    expect(backup.status).toBe('succeeded');
    const tomorrow = new Date(Date.now() + 86_400_000);
    const lines: string[] = [];
    const sent = await sendDailyReports(ctx, tomorrow, (l) => lines.push(l));
    expect(sent.map((r) => r.plan)).toEqual(['local']);
    expect(sent[0]?.text).toContain(backup.setId);
    expect(sent[0]?.subject).toMatch(/local .* 1 c.pia\(s\) boa\(s\), 0 falha\(s\)/);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toContain(backup.setId);
    expect(await sendDailyReports(ctx, tomorrow, (l) => lines.push(l))).toEqual([]);
    expect(mails).toHaveLength(1);
    expect(lines).toEqual([]);
    ctx.close();
  });
});
