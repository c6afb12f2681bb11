/**
 * The audit log in words: who (one identity whatever the channel: "console:maria",
 * "maria@cli" and "desktop:maria" are all maria), the action in the console's language,
 * details as key/value pairs, filters and the CSV export. Pure functions (unit-tested).
 */
import type { AuditEntry } from '../../../shared/rpc/contracts/settings.js';
import { isMessageKey, type Translate } from '../../../shared/i18n/index.js';
import { formatBytes, formatDuration } from '../../../shared/format.js';

export interface Actor {
  /** the person or service */
  who: string;
  /** how they acted: console, cli, desktop… ('' when the log does not say) */
  via: string;
}

export function actorOf(actor: string): Actor {
  const prefixed = /^(console|cli|desktop|daemon|demo):(.+)$/.exec(actor);
  if (prefixed?.[1] && prefixed[2]) return { who: prefixed[2], via: prefixed[1] };
  const suffixed = /^(.+)@(console|cli|desktop|daemon|demo)$/.exec(actor);
  if (suffixed?.[1] && suffixed[2]) return { who: suffixed[1], via: suffixed[2] };
  return { who: actor, via: '' };
}

/** The action in words; an action this console does not know yet is shown as recorded. */
export function describeAction(action: string, t: Translate): string {
  const key = `audit.${action}`;
  return isMessageKey(key) ? t(key) : action;
}

function valueText(v: unknown, key = ''): string {
  if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) return '—';
  if (Array.isArray(v)) return v.map((x) => valueText(x)).join(', ');
  // durations and sizes in human units: rtoMs 8622 → "9 s", bytes 1048576 → "1 MB"
  if (typeof v === 'number' && /Ms$/.test(key)) return formatDuration(v);
  if (typeof v === 'number' && /^bytes$|Bytes$/.test(key)) return formatBytes(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The details as key/value pairs: a JSON object's fields, else the text as one value. */
export function detailPairs(details: string): Array<[string, string]> {
  const text = details.trim();
  if (text === '') return [];
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return Object.entries(parsed as Record<string, unknown>).filter(([, v]) => v !== undefined).map(([k, v]) => [k, valueText(v, k)]);
      }
    } catch {
      // not JSON: shown as text
    }
  }
  return [['', text]];
}

export interface AuditFilter {
  /** an identity from actorOf().who, '' for everyone */
  who: string;
  /** an exact action, '' for all */
  action: string;
  /** YYYY-MM-DD in the clinic's zone, '' for no limit */
  since: string;
}

/** Newest first, narrowed by the filter. `sinceIso` is the start of the `since` day in the clinic's zone. */
export function filterEntries(entries: readonly AuditEntry[], filter: AuditFilter, sinceIso?: string): AuditEntry[] {
  return entries
    .filter((e) => (filter.who === '' || actorOf(e.actor).who === filter.who) && (filter.action === '' || e.action === filter.action) && (sinceIso === undefined || Date.parse(e.at) >= Date.parse(sinceIso)))
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

/** Distinct identities and actions present, for the filter lists. */
export function filterChoices(entries: readonly AuditEntry[]): { who: string[]; actions: string[] } {
  const who = [...new Set(entries.map((e) => actorOf(e.actor).who))].sort((a, b) => a.localeCompare(b));
  const actions = [...new Set(entries.map((e) => e.action))].sort((a, b) => a.localeCompare(b));
  return { who, actions };
}

/** One CSV cell: quoted, quotes doubled, and a leading = + - @ defused so a spreadsheet never runs it. */
function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/**
 * The entries as CSV (RFC 4180, CRLF, UTF-8 with a BOM so spreadsheets read the accents):
 * when (clinic's zone), who, via, action in words, the recorded action, target, details as key=value.
 */
export function auditCsv(entries: readonly AuditEntry[], t: Translate, date: (iso: string) => string): string {
  const head = [t('auditoria.when'), t('auditoria.actor'), 'via', t('auditoria.action'), 'action', t('auditoria.target'), t('auditoria.details')];
  const rows = entries.map((e) => {
    const a = actorOf(e.actor);
    const details = detailPairs(e.details).map(([k, v]) => (k ? `${k}=${v}` : v)).join('; ');
    return [date(e.at), a.who, a.via, describeAction(e.action, t), e.action, e.target, details];
  });
  return `\uFEFF${[head, ...rows].map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}
