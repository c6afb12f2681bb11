/**
 * Alerts end to end: a backup made to fail for real (a database that does not exist on the
 * harness PostgreSQL), the watchdog check, an SMTP server (smtp-server, STARTTLS + AUTH, a
 * self-signed certificate trusted through alerts.email.caFile) and a webhook receiver on
 * 127.0.0.1. Exactly one alert per channel per state change, one recovery after a good run,
 * one "late" alert, every delivery in the catalog, a dead SMTP server visible in `cofre status`,
 * and the SMTP password nowhere.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { parseDocument } from 'yaml';
import { freePort, tempDir } from '../harness/index.js';
import { makeFixture, ownServerName, type Fixture } from '../support/backup-fixture.js';
import { cofre } from '../support/cli.js';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { alerterFromConfig, alertOnPlanStates } from '../../src-main/daemon/alerting.js';
import type { AlertJson } from '../../src-main/alerts/message.js';

const h = inject('harness');
const SMTP_USER = 'cofre@clinica.example';
const SMTP_PASSWORD = 'Senha-SMTP-n40-vaza-9931';

// ---- a minimal MIME reader (nodemailer: multipart/alternative, quoted-printable or base64) ----

function headerBlock(raw: string): { headers: Map<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: raw.slice(split + 4) };
}

function decodeQp(text: string): string {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(soft[i] ?? '', 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function decode(body: string, enc: string | undefined): string {
  const e = (enc ?? '7bit').toLowerCase();
  if (e === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return e === 'quoted-printable' ? decodeQp(body) : body;
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_m, k: string, d: string) => (k.toUpperCase() === 'B' ? Buffer.from(d, 'base64').toString('utf8') : decodeQp(d.replace(/_/g, ' '))));
}

function parseMail(raw: string): { subject: string; text: string } {
  const { headers, body } = headerBlock(raw);
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  let text = '';
  if (boundary === undefined) text = decode(body, headers.get('content-transfer-encoding'));
  else {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      const part = headerBlock(chunk.replace(/^\r\n/, ''));
      if ((part.headers.get('content-type') ?? '').startsWith('text/plain')) {
        text = decode(part.body, part.headers.get('content-transfer-encoding'));
        break;
      }
    }
  }
  return { subject: decodeWords(headers.get('subject') ?? ''), text };
}

// ---- servers ----

interface Mail {
  subject: string;
  text: string;
  user: string | undefined;
  secure: boolean;
}

let dir: string;
let certFile: string;
let smtp: SMTPServer;
let smtpPort: number;
const mails: Mail[] = [];
let hookServer: Server;
let hookUrl: string;
const hooks: AlertJson[] = [];

beforeAll(async () => {
  dir = await tempDir('cofre-alerts-flow-');
  const keyFile = join(dir, 'key.pem');
  certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', keyFile, '-out', certFile,
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  smtpPort = await freePort();
  smtp = new SMTPServer({
    key: readFileSync(keyFile),
    cert: readFileSync(certFile),
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ ...parseMail(Buffer.concat(chunks).toString('utf8')), user: typeof session.user === 'string' ? session.user : undefined, secure: session.secure });
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(smtpPort, '127.0.0.1', () => resolve());
  });
  hookServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as AlertJson);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', () => resolve()));
  const address = hookServer.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  hookUrl = `http://127.0.0.1:${address.port}/hooks/cofre`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await new Promise<void>((resolve) => hookServer.close(() => resolve()));
});

function alertsYaml(port: number): string {
  return `alerts:
  email:
    host: 127.0.0.1
    port: ${port}
    requireTLS: true
    from: cofre@clinica.example
    to: [ti@clinica.example]
    user: ${SMTP_USER}
    passwordEnv: TEST_SMTP_PASSWORD
    caFile: ${certFile}
  webhook:
    url: ${hookUrl}
`;
}

/** Edits the fixture config: only plan diario, its database, the SMTP port. */
function editConfig(fx: Fixture, edit: { database?: string; smtpPort?: number }): void {
  const doc = parseDocument(readFileSync(fx.configPath, 'utf8'));
  doc.deleteIn(['plans', 'local']);
  ownServerName(doc);
  if (edit.database !== undefined) doc.setIn(['sources', 'banco', 'databases'], doc.createNode([edit.database], { flow: true }));
  if (edit.smtpPort !== undefined) doc.setIn(['alerts', 'email', 'port'], edit.smtpPort);
  writeFileSync(fx.configPath, doc.toString());
}

function catalogBytes(home: string): string {
  return readdirSync(home)
    .filter((f) => f.startsWith('catalog.sqlite'))
    .map((f) => readFileSync(join(home, f)).toString('latin1'))
    .join('');
}

describe('alerts flow: failure, silence, recovery, late, broken channel', () => {
  it('sends exactly one alert per channel per change, records each, and shows a dead SMTP server in status', async () => {
    const fx = await makeFixture(h, { pgDatabase: 'nao_existe', largeBytes: 64 * 1024, extraYaml: alertsYaml(smtpPort) });
    fx.env['TEST_SMTP_PASSWORD'] = SMTP_PASSWORD;
    editConfig(fx, {});
    const ctx = new AppContext({ configFlag: fx.configPath, env: fx.env, actor: 'test@alerts-flow' });
    try {
      const alerter = alerterFromConfig(ctx);

      // 1. a run that really fails: the database does not exist on the harness PostgreSQL
      const failed = await runBackup(ctx, 'diario', { trigger: 'schedule' });
      expect(failed.status).toBe('failed');
      expect(failed.error?.message).toMatch(/nao_existe/);
      await alertOnPlanStates(ctx, alerter);
      expect(mails).toHaveLength(1);
      expect(hooks).toHaveLength(1);
      const mail = mails[0]!;
      expect(mail.secure).toBe(true); // upgraded with STARTTLS, trusting the CA file
      expect(mail.user).toBe(SMTP_USER);
      expect(mail.subject).toBe('[Cofre] Backup falhou: plano diario');
      expect(mail.text).toContain('O backup do plano "diario" falhou');
      expect(mail.text).toContain(`O que aconteceu: ${failed.error?.message ?? '?'}`);
      expect(mail.text).toMatch(/nao_existe/);
      expect(mail.text).toMatch(/O que fazer: \S+/);
      if (failed.error?.hint) expect(mail.text).toContain(failed.error.hint);
      expect(hooks[0]).toMatchObject({ source: 'cofre', kind: 'backup_failed', severity: 'critical', plan: 'diario', error: { message: failed.error?.message } });

      // 2. still failing: another check and another failed run send nothing new
      await alertOnPlanStates(ctx, alerter);
      expect((await runBackup(ctx, 'diario', { trigger: 'retry' })).status).toBe('failed');
      await alertOnPlanStates(ctx, alerter);
      expect(mails).toHaveLength(1);
      expect(hooks).toHaveLength(1);

      // 3. fixed: the right database, a good backup → one recovery per channel
      editConfig(fx, { database: fx.pgDb });
      ctx.reloadConfig();
      const good = await runBackup(ctx, 'diario', { trigger: 'manual' });
      expect(good.error).toBeUndefined();
      expect(good.status).toBe('succeeded');
      await alertOnPlanStates(ctx, alerter);
      await alertOnPlanStates(ctx, alerter);
      expect(mails.map((m) => m.subject)).toEqual(['[Cofre] Backup falhou: plano diario', '[Cofre] Backup normalizado: plano diario']);
      expect(hooks.map((x) => x.kind)).toEqual(['backup_failed', 'recovered']);
      expect(hooks[1]).toMatchObject({ plan: 'diario', setId: good.setId });

      // every delivery is in the catalog's events table
      const events = ctx.catalog.listEvents({ plan: 'diario' }).reverse();
      expect(events.map((e) => [e.kind, e.channel, e.ok])).toEqual([
        ['backup_failed', 'email', true], ['backup_failed', 'webhook', true],
        ['recovered', 'email', true], ['recovered', 'webhook', true],
      ]);

      // 4. late: 30 h later with no new set (RPO 24 h + 2 h grace) → one late alert, once
      const later = new Date(Date.now() + 30 * 3_600_000);
      const lateCtx = new AppContext({ configFlag: fx.configPath, env: fx.env, now: () => later });
      try {
        const lateAlerter = alerterFromConfig(lateCtx);
        const states = await alertOnPlanStates(lateCtx, lateAlerter);
        expect(states[0]).toMatchObject({ plan: 'diario', rpoState: 'late' });
        await alertOnPlanStates(lateCtx, lateAlerter);
      } finally {
        lateCtx.close();
      }
      expect(mails).toHaveLength(3);
      expect(mails[2]?.subject).toBe('[Cofre] Backup atrasado: plano diario');
      expect(mails[2]?.text).toContain(`Último backup completo:`);
      expect(hooks.map((x) => x.kind)).toEqual(['backup_failed', 'recovered', 'backup_late']);

      // 5. the SMTP server is gone: the webhook still alerts, the failed e-mail shows in status
      const deadPort = await freePort();
      editConfig(fx, { database: 'nao_existe', smtpPort: deadPort });
      ctx.reloadConfig();
      const broken = alerterFromConfig(ctx);
      expect((await runBackup(ctx, 'diario', { trigger: 'schedule' })).status).toBe('failed');
      await alertOnPlanStates(ctx, broken);
      expect(mails).toHaveLength(3);
      expect(hooks.map((x) => x.kind)).toEqual(['backup_failed', 'recovered', 'backup_late', 'backup_failed']);
      const failedDelivery = ctx.catalog.listEvents({ plan: 'diario', limit: 2 }).find((e) => e.channel === 'email');
      expect(failedDelivery).toMatchObject({ kind: 'backup_failed', ok: false });
      expect(failedDelivery?.error).toMatch(/connection refused/);

      const status = await cofre(['status', '--json'], { env: fx.env });
      expect(status.code).toBe(0);
      const plan = (status.json as { plans: Array<{ plan: string; rpoState: string; alertFailures: Array<{ channel: string; error: string }> }> }).plans[0];
      expect(plan).toMatchObject({ plan: 'diario', rpoState: 'failing' });
      expect(plan?.alertFailures).toHaveLength(1);
      expect(plan?.alertFailures[0]).toMatchObject({ channel: 'email' });
      expect(plan?.alertFailures[0]?.error).toContain(`127.0.0.1:${deadPort}`);
      const human = await cofre(['status'], { env: fx.env });
      expect(human.stdout).toMatch(/WARNING alert via email failed/);

      // the SMTP password appears nowhere
      for (const text of [status.stdout, status.stderr, human.stdout, human.stderr, catalogBytes(fx.home), JSON.stringify(hooks), mails.map((m) => m.text).join('\n')]) {
        expect(text).not.toContain(SMTP_PASSWORD);
      }
    } finally {
      ctx.close();
    }
  });

  it('a login the SMTP server rejects is a clear, password-free failure in status', async () => {
    const fx = await makeFixture(h, { pgDatabase: 'nao_existe', largeBytes: 1024, extraYaml: alertsYaml(smtpPort) });
    fx.env['TEST_SMTP_PASSWORD'] = 'wrong-Passw0rd-xyz';
    editConfig(fx, {});
    const before = mails.length;
    const ctx = new AppContext({ configFlag: fx.configPath, env: fx.env });
    try {
      expect((await runBackup(ctx, 'diario')).status).toBe('failed');
      await alertOnPlanStates(ctx, alerterFromConfig(ctx));
    } finally {
      ctx.close();
    }
    expect(mails.length).toBe(before);
    const status = await cofre(['status', '--json'], { env: fx.env });
    const failures = (status.json as { plans: Array<{ alertFailures: Array<{ channel: string; error: string }> }> }).plans[0]?.alertFailures ?? [];
    expect(failures.map((f) => f.channel)).toEqual(['email']);
    expect(failures[0]?.error).toMatch(/login rejected/);
    expect(status.stdout + status.stderr + catalogBytes(fx.home)).not.toContain('wrong-Passw0rd-xyz');
  });
});
