/** Adapters from the configured alert destinations to dispatcher channels. */
import type { AlertChannel } from './dispatcher.js';
import { sendEmail } from './email.js';
import type { EmailConfig } from './email.js';
import { sendWebhook } from './webhook.js';
import type { WebhookConfig, WebhookDeps } from './webhook.js';

export function emailChannel(cfg: EmailConfig): AlertChannel {
  return { name: 'email', send: (msg) => sendEmail(cfg, msg) };
}

/** Posts the alert's JSON form. */
export function webhookChannel(cfg: WebhookConfig, deps: WebhookDeps = {}): AlertChannel {
  return { name: 'webhook', send: (msg) => sendWebhook(cfg, msg.json, deps) };
}
