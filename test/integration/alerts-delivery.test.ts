/**
 * Alert delivery against real servers on 127.0.0.1: an SMTP server (smtp-server) with STARTTLS
 * on a certificate made by openssl for this run and AUTH PLAIN/LOGIN, and plain node:http
 * servers for webhooks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emailChannel, webhookChannel } from '../../src-main/alerts/channels.js';
import { createAlerter, memoryStateStore } from '../../src-main/alerts/dispatcher.js';
import type { DeliveryRecord } from '../../src-main/alerts/dispatcher.js';
import { sendEmail } from '../../src-main/alerts/email.js';
import type { EmailConfig } from '../../src-main/alerts/email.js';
import { buildAlert } from '../../src-main/alerts/message.js';
import { sendWebhook } from '../../src-main/alerts/webhook.js';
import { CofreError } from '../../src-main/errors.js';
import { freePort, removeDir, tempDir } from '../harness/util.js';

const USER = 'cofre@example.org';
const PASSWORD = 'S3nha-Muito-Secreta-42';

interface ReceivedMail {
  raw: string;
  user: string | undefined;
  secure: boolean;
  rcpt: string[];
}

// ---------------------------------------------------------------------------------------------
// A tiny MIME reader, enough for what nodemailer writes (multipart/alternative, QP or base64).

function headerBlock(raw: string): { headers: Map<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: raw.slice(split + 4) };
}

function decodeQp(text: string): string {
  const bytes: number[] = [];
  const soft = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const ch = soft[i]!;
    if (ch === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(body: string, encoding: string | undefined): string {
  const enc = (encoding ?? '7bit').toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') return decodeQp(body);
  return body;
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_m, kind: string, data: string) =>
      kind.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQp(data.replace(/_/g, ' ')),
    );
}

/** Subject and the decoded text/plain and text/html parts of a raw message. */
function parseMail(raw: string): { subject: string; text: string; html: string } {
  const { headers, body } = headerBlock(raw);
  const subject = decodeWords(headers.get('subject') ?? '');
  const type = headers.get('content-type') ?? 'text/plain';
  const parts: Array<{ type: string; text: string }> = [];
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (boundary === undefined) {
    parts.push({ type, text: decodeBody(body, headers.get('content-transfer-encoding')) });
  } else {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      const part = headerBlock(chunk.replace(/^\r\n/, ''));
      parts.push({
        type: part.headers.get('content-type') ?? 'text/plain',
        text: decodeBody(part.body, part.headers.get('content-transfer-encoding')),
      });
    }
  }
  return {
    subject,
    text: parts.find((p) => p.type.startsWith('text/plain'))?.text ?? '',
    html: parts.find((p) => p.type.startsWith('text/html'))?.text ?? '',
  };
}

// ---------------------------------------------------------------------------------------------
// Servers

let dir: string;
let smtp: SMTPServer;
let smtpPort: number;
let cert: string | undefined;
const mails: ReceivedMail[] = [];

function makeCert(into: string): { key: string; cert: string } | undefined {
  if (!existsSync('/usr/bin/openssl')) return undefined;
  const keyFile = join(into, 'key.pem');
  const certFile = join(into, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-keyout', keyFile, '-out', certFile,
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  return { key: keyFile, cert: certFile };
}

beforeAll(async () => {
  dir = await tempDir('alerts');
  const files = makeCert(dir);
  const tls = files === undefined ? undefined : { key: await readFile(files.key), cert: await readFile(files.cert) };
  cert = tls?.cert.toString('utf8');
  smtpPort = await freePort();
  smtp = new SMTPServer({
    ...(tls ?? {}),
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: tls === undefined,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          raw: Buffer.concat(chunks).toString('utf8'),
          user: typeof session.user === 'string' ? session.user : undefined,
          secure: session.secure,
          rcpt: session.envelope.rcptTo.map((r) => r.address),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(smtpPort, '127.0.0.1', () => resolve());
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await removeDir(dir);
});

afterEach(() => {
  mails.length = 0;
});

function emailConfig(overrides: Partial<EmailConfig> = {}): EmailConfig {
  return {
    host: '127.0.0.1',
    port: smtpPort,
    startTls: cert !== undefined,
    from: 'cofre@example.org',
    to: ['ti@clinica.example'],
    user: USER,
    password: PASSWORD,
    ...(cert === undefined ? {} : { ca: cert }),
    timeoutMs: 3000,
    ...overrides,
  };
}

interface HttpHit {
  body: string;
  headers: IncomingMessage['headers'];
}

async function httpServer(handler: (hit: HttpHit, res: ServerResponse, n: number) => void): Promise<{ url: string; hits: HttpHit[]; server: Server }> {
  const hits: HttpHit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit = { body: Buffer.concat(chunks).toString('utf8'), headers: req.headers };
      hits.push(hit);
      handler(hit, res, hits.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}/hooks/T0KEN-secreto`, hits, server };
}

const closeServer = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

const failure = buildAlert({
  kind: 'backup_failed',
  plan: 'diario',
  error: {
    code: 'HOST_UNREACHABLE',
    message: 'could not connect to clinica (203.0.113.10:22): connection timed out',
    hint: 'Check that the clinic server is on and that port 22 is open to this machine.',
  },
  at: new Date('2026-11-25T05:00:00Z'),
  timezone: 'America/Sao_Paulo',
});

const recovery = buildAlert({
  kind: 'recovered',
  plan: 'diario',
  setId: '20261126T050000Z-a1b2c3',
  at: new Date('2026-11-26T05:12:00Z'),
  lastGoodAt: new Date('2026-11-26T05:12:00Z'),
  timezone: 'America/Sao_Paulo',
});

function caughtAsync(p: Promise<unknown>): Promise<CofreError> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => {
      if (err instanceof CofreError) return err;
      throw err;
    },
  );
}

// ---------------------------------------------------------------------------------------------

describe('e-mail alerts', () => {
  it('delivers the failure e-mail over STARTTLS with a login, in Portuguese, with the hint', async () => {
    await sendEmail(emailConfig(), failure);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.user).toBe(USER);
    expect(mail.rcpt).toEqual(['ti@clinica.example']);
    if (cert !== undefined) expect(mail.secure).toBe(true);
    const parsed = parseMail(mail.raw);
    expect(parsed.subject).toBe('[Cofre] Backup falhou: plano diario');
    expect(parsed.text).toContain('O backup do plano "diario" falhou em 25/11/2026 02:00 (America/Sao_Paulo).');
    expect(parsed.text).toContain('O que aconteceu: could not connect to clinica (203.0.113.10:22): connection timed out');
    expect(parsed.text).toContain('O que fazer: Check that the clinic server is on and that port 22 is open to this machine.');
    expect(parsed.text).toContain('Código: HOST_UNREACHABLE');
    expect(parsed.html).toContain('<h2>Backup falhou: plano diario</h2>');
    expect(mail.raw).not.toContain(PASSWORD);
  });

  it('a rejected login is ALERT_DELIVERY with a clear message and no password', async () => {
    const wrong = 'Senha-Errada-123';
    const err = await caughtAsync(sendEmail(emailConfig({ password: wrong }), failure));
    expect(err.code).toBe('ALERT_DELIVERY');
    expect(err.message).toBe(`e-mail to ti@clinica.example via 127.0.0.1:${smtpPort} failed: login rejected`);
    expect(err.hint).toContain('alerts.email.user');
    expect(`${err.message} ${err.hint}`).not.toContain(wrong);
    expect(mails).toHaveLength(0);
  });

  it('an unreachable server is ALERT_DELIVERY "connection refused", quickly and without the password', async () => {
    const deadPort = await freePort();
    const started = Date.now();
    const err = await caughtAsync(sendEmail(emailConfig({ port: deadPort }), failure));
    expect(err.code).toBe('ALERT_DELIVERY');
    expect(err.message).toBe(`e-mail to ti@clinica.example via 127.0.0.1:${deadPort} failed: connection refused`);
    expect(err.message + (err.hint ?? '')).not.toContain(PASSWORD);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it.runIf(existsSync('/usr/bin/openssl'))('refuses an untrusted certificate unless told otherwise', async () => {
    const err = await caughtAsync(sendEmail(emailConfig({ ca: undefined }), failure));
    expect(err.code).toBe('ALERT_DELIVERY');
    expect(err.message).toContain('TLS failed');
    expect(err.hint).toContain('alerts.email.ca');
    expect(mails).toHaveLength(0);
  });
});

describe('webhook alerts', () => {
  it('posts the alert JSON', async () => {
    const hook = await httpServer((_hit, res) => res.writeHead(204).end());
    try {
      await sendWebhook({ url: hook.url, headers: { authorization: 'Bearer abc' } }, failure.json);
      expect(hook.hits).toHaveLength(1);
      expect(hook.hits[0]!.headers['content-type']).toBe('application/json');
      expect(hook.hits[0]!.headers.authorization).toBe('Bearer abc');
      const body = JSON.parse(hook.hits[0]!.body) as typeof failure.json;
      expect(body).toMatchObject({
        source: 'cofre',
        kind: 'backup_failed',
        severity: 'critical',
        plan: 'diario',
        at: '2026-11-25T05:00:00.000Z',
        error: { code: 'HOST_UNREACHABLE' },
      });
      expect(body.action).toContain('port 22');
    } finally {
      await closeServer(hook.server);
    }
  });

  it('retries after a failure and succeeds on the second attempt', async () => {
    const hook = await httpServer((_hit, res, n) => res.writeHead(n === 1 ? 503 : 200).end('ok'));
    try {
      await sendWebhook({ url: hook.url, baseDelayMs: 20 }, failure.json);
      expect(hook.hits).toHaveLength(2);
      expect(hook.hits[1]!.body).toBe(hook.hits[0]!.body);
    } finally {
      await closeServer(hook.server);
    }
  });

  it('gives up after 3 attempts with the status, never showing the URL token', async () => {
    const hook = await httpServer((_hit, res) => res.writeHead(500, 'Internal Server Error').end());
    try {
      const err = await caughtAsync(sendWebhook({ url: hook.url, baseDelayMs: 10 }, failure.json));
      expect(hook.hits).toHaveLength(3);
      expect(err.code).toBe('ALERT_DELIVERY');
      expect(err.message).toMatch(/^webhook POST to http:\/\/127\.0\.0\.1:\d+\/… failed: HTTP 500 Internal Server Error after 3 attempts$/);
      expect(err.message).not.toContain('T0KEN');
    } finally {
      await closeServer(hook.server);
    }
  });

  it('does not retry a 4xx refusal', async () => {
    const hook = await httpServer((_hit, res) => res.writeHead(403).end());
    try {
      const err = await caughtAsync(sendWebhook({ url: hook.url, baseDelayMs: 10 }, failure.json));
      expect(hook.hits).toHaveLength(1);
      expect(err.message).toContain('HTTP 403');
      expect(err.hint).toContain('token');
    } finally {
      await closeServer(hook.server);
    }
  });

  it('times out a server that never answers', async () => {
    const hook = await httpServer(() => undefined);
    try {
      const err = await caughtAsync(sendWebhook({ url: hook.url, timeoutMs: 200, attempts: 2, baseDelayMs: 10 }, failure.json));
      expect(err.message).toContain('timed out after 200 ms after 2 attempts');
      expect(hook.hits).toHaveLength(2);
    } finally {
      hook.server.closeAllConnections();
      await closeServer(hook.server);
    }
  });
});

describe('alert dispatcher', () => {
  it('sends one alert per channel for repeated failures and one recovery alert', async () => {
    const hook = await httpServer((_hit, res) => res.writeHead(200).end());
    const deadPort = await freePort();
    const records: DeliveryRecord[] = [];
    const state = memoryStateStore();
    const alerter = createAlerter({
      channels: [
        emailChannel(emailConfig()),
        { ...emailChannel(emailConfig({ port: deadPort })), name: 'email-backup' },
        webhookChannel({ url: hook.url, baseDelayMs: 10 }),
      ],
      record: (r) => records.push(r),
      now: () => new Date('2026-11-25T05:00:00Z'),
      state,
    });
    const key = 'plan:diario:failing';
    try {
      // Three checks in a row find the plan failing, two of them at the same time.
      const first = await alerter.raise(key, failure);
      const [second, third] = await Promise.all([alerter.raise(key, failure), alerter.raise(key, failure)]);
      expect(first.sent).toBe(true);
      expect(second.sent).toBe(false);
      expect(third.sent).toBe(false);
      expect(mails).toHaveLength(1);
      expect(hook.hits).toHaveLength(1);
      expect(alerter.isFailing(key)).toBe(true);

      // One channel down does not stop the others, and every outcome is recorded.
      expect(records.map((r) => [r.channel, r.ok])).toEqual([
        ['email', true],
        ['email-backup', false],
        ['webhook', true],
      ]);
      expect(records[1]!.error?.code).toBe('ALERT_DELIVERY');
      expect(records[1]!.error?.message).toContain('connection refused');
      expect(JSON.stringify(records)).not.toContain(PASSWORD);

      // A restarted host with the same state does not alert again.
      const restarted = createAlerter({ channels: [emailChannel(emailConfig())], record: () => undefined, now: () => new Date(), state });
      expect((await restarted.raise(key, failure)).sent).toBe(false);
      expect(mails).toHaveLength(1);

      // Recovery: one message per channel, once.
      const recovered = await alerter.resolve(key, recovery);
      expect(recovered.sent).toBe(true);
      expect((await alerter.resolve(key, recovery)).sent).toBe(false);
      expect(mails).toHaveLength(2);
      expect(hook.hits).toHaveLength(2);
      expect(parseMail(mails[1]!.raw).subject).toBe('[Cofre] Backup normalizado: plano diario');
      expect(JSON.parse(hook.hits[1]!.body)).toMatchObject({ kind: 'recovered', setId: '20261126T050000Z-a1b2c3' });
      expect(alerter.isFailing(key)).toBe(false);

      // Failing again later is a new state change: one new alert.
      expect((await alerter.raise(key, failure)).sent).toBe(true);
      expect(mails).toHaveLength(3);
    } finally {
      await closeServer(hook.server);
    }
  });

  it('keeps trying while no channel could deliver the alert', async () => {
    const deadPort = await freePort();
    const state = memoryStateStore();
    const alerter = createAlerter({
      channels: [emailChannel(emailConfig({ port: deadPort }))],
      record: () => undefined,
      now: () => new Date(),
      state,
    });
    const result = await alerter.raise('plan:diario:failing', failure);
    expect(result.outcomes).toEqual([{ channel: 'email', ok: false, error: expect.objectContaining({ code: 'ALERT_DELIVERY' }) }]);
    expect(alerter.isFailing('plan:diario:failing')).toBe(false);
    expect((await alerter.raise('plan:diario:failing', failure)).sent).toBe(true);
  });
});
