/**
 * Webhook alerts: one JSON POST, retried with back-off on network errors, timeouts, 408, 429
 * and 5xx. Messages name the endpoint by origin only: webhook URLs often carry a token in their
 * path or query (Slack, Teams, Google Chat), and headers may hold credentials, so neither the
 * full URL nor the headers ever appear in an error.
 */
import { CofreError } from '../errors.js';

export interface WebhookConfig {
  url: string;
  headers?: Record<string, string>;
  /** per-attempt timeout in ms (default 5000) */
  timeoutMs?: number;
  /** total attempts (default 3) */
  attempts?: number;
  /** delay before the 2nd attempt; then ×3 (default 1000 ms) */
  baseDelayMs?: number;
}

export interface WebhookDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** `https://hooks.example.org/…` — enough to recognise the endpoint, nothing secret. */
export function describeEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname === '/' && u.search === '' ? u.origin : `${u.origin}/…`;
  } catch {
    return '(invalid URL)';
  }
}

const sleepReal = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export async function sendWebhook(cfg: WebhookConfig, payload: unknown, deps: WebhookDeps = {}): Promise<void> {
  const endpoint = describeEndpoint(cfg.url);
  let url: URL;
  try {
    url = new URL(cfg.url);
  } catch {
    throw new CofreError('ALERT_DELIVERY', 'webhook URL is not valid', { hint: 'Set alerts.webhook.url to an http(s) address.' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CofreError('ALERT_DELIVERY', `webhook ${endpoint}: only http and https are supported`, {
      hint: 'Set alerts.webhook.url to an http(s) address.',
    });
  }
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? sleepReal;
  const attempts = Math.max(1, cfg.attempts ?? 3);
  const timeoutMs = cfg.timeoutMs ?? 5000;
  const body = JSON.stringify(payload);
  let delay = cfg.baseDelayMs ?? 1000;
  let lastReason = '';
  let lastStatus: number | undefined;

  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'cofre', ...cfg.headers },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Drain the body so the connection can be reused or closed.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return;
      lastStatus = response.status;
      lastReason = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      if (!retryable(response.status)) break;
    } catch (err) {
      lastStatus = undefined;
      lastReason = networkReason(err, timeoutMs);
    }
    if (attempt < attempts) {
      await sleep(delay);
      delay *= 3;
    }
  }

  const tried = lastStatus !== undefined && !retryable(lastStatus) ? '' : ` after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
  throw new CofreError('ALERT_DELIVERY', `webhook POST to ${endpoint} failed: ${lastReason}${tried}`, {
    hint:
      lastStatus !== undefined && lastStatus >= 400 && lastStatus < 500
        ? 'The endpoint refused the request: check alerts.webhook.url and any token or headers it needs.'
        : 'Check that the webhook endpoint is up and reachable from this machine.',
  });
}

function networkReason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `timed out after ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  const code = cause?.code ?? '';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection closed by the server';
  if (code !== '') return code;
  return err instanceof Error ? err.message : String(err);
}
