/**
 * E-mail alerts over SMTP (nodemailer). Short timeouts, so a dead mail server delays a check by
 * seconds, not minutes. Failures become ALERT_DELIVERY errors that name the recipients and the
 * server and never contain the password.
 */
import { CofreError } from '../errors.js';
import type { AlertMessage } from './message.js';

export interface EmailConfig {
  host: string;
  port: number;
  /** TLS from the first byte (port 465) */
  secure?: boolean;
  /** refuse to send unless the server upgrades with STARTTLS */
  startTls?: boolean;
  from: string;
  to: string[];
  user?: string;
  password?: string;
  /** extra trusted CA certificates (PEM), e.g. a clinic's internal mail server */
  ca?: string | string[];
  /** default true; false only for a lab server with a self-signed certificate */
  rejectUnauthorized?: boolean;
  /** per-phase timeout in ms (connect, greeting, each command); default 5000 */
  timeoutMs?: number;
}

type EmailContent = Pick<AlertMessage, 'subject' | 'text'> & { html?: string };

interface MailError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

function describeFailure(err: MailError): { reason: string; hint: string } {
  const code = err.code ?? '';
  const raw = String(err.message ?? '');
  if (code === 'EAUTH' || err.responseCode === 535) {
    return { reason: 'login rejected', hint: 'Check alerts.email.user and the password it refers to.' };
  }
  if (code === 'ENOAUTH') {
    return { reason: 'the server requires a login', hint: 'Set alerts.email.user and a password reference.' };
  }
  if (code === 'ETLS' || /certificate|self[- ]signed|TLS|SSL/i.test(raw)) {
    return {
      reason: `TLS failed (${raw.replace(/\s+/g, ' ').slice(0, 160)})`,
      hint: 'Check alerts.email.secure / startTls and that the server certificate is trusted (alerts.email.ca).',
    };
  }
  if (/ECONNREFUSED/.test(raw) || code === 'ECONNREFUSED') {
    return { reason: 'connection refused', hint: 'Check alerts.email.host and port, and that the mail server is running and reachable.' };
  }
  if (code === 'ETIMEDOUT' || /timeout|timed out/i.test(raw)) {
    return { reason: 'timed out', hint: 'Check alerts.email.host and port and any firewall between this machine and the mail server.' };
  }
  if (code === 'EDNS' || /ENOTFOUND|EAI_AGAIN/.test(raw)) {
    return { reason: 'host name not found', hint: 'Check the spelling of alerts.email.host.' };
  }
  if (code === 'EENVELOPE') {
    return {
      reason: `sender or recipient rejected (${(err.response ?? raw).slice(0, 160)})`,
      hint: 'Check alerts.email.from and alerts.email.to; the server may not relay for this sender.',
    };
  }
  const detail = (err.response ?? raw).replace(/\s+/g, ' ').trim().slice(0, 200);
  return { reason: detail === '' ? 'unknown error' : detail, hint: 'Check the alerts.email settings and the mail server log.' };
}

function scrub(text: string, secret: string | undefined): string {
  return secret === undefined || secret === '' ? text : text.split(secret).join('***');
}

/** Sends one alert e-mail; throws CofreError ALERT_DELIVERY when the server does not accept it. */
export async function sendEmail(cfg: EmailConfig, msg: EmailContent): Promise<void> {
  const where = `e-mail to ${cfg.to.join(', ')} via ${cfg.host}:${cfg.port}`;
  if (cfg.to.length === 0) {
    throw new CofreError('ALERT_DELIVERY', `${where} failed: no recipients`, { hint: 'Add at least one address to alerts.email.to.' });
  }
  const timeout = cfg.timeoutMs ?? 5000;
  const tls: { rejectUnauthorized: boolean; ca?: string | string[]; servername?: string } = {
    rejectUnauthorized: cfg.rejectUnauthorized ?? true,
  };
  if (cfg.ca !== undefined) tls.ca = cfg.ca;
  // loaded when an e-mail is sent, not at every `cofre` start (issue 15: start-up time); nodemailer
  // is CommonJS: its module.exports is `default` both under Node and in the bundled CLI
  const { createTransport } = (await import('nodemailer')).default;
  const transport = createTransport({
    host: cfg.host,
    port: cfg.port,
    secure: cfg.secure ?? false,
    requireTLS: cfg.startTls ?? false,
    ignoreTLS: false,
    auth: cfg.user === undefined ? undefined : { user: cfg.user, pass: cfg.password ?? '' },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 2,
    dnsTimeout: timeout,
    tls,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  try {
    await transport.sendMail({
      from: cfg.from,
      to: cfg.to,
      subject: msg.subject,
      text: msg.text,
      ...(msg.html === undefined ? {} : { html: msg.html }),
    });
  } catch (err) {
    const { reason, hint } = describeFailure((err ?? {}) as MailError);
    throw new CofreError('ALERT_DELIVERY', scrub(`${where} failed: ${reason}`, cfg.password), { hint });
  } finally {
    transport.close();
  }
}
