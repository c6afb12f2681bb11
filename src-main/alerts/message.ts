/**
 * Alert messages for the technical team: what happened, to which plan, when (in the clinic's
 * time zone) and what to do next. Brazilian Portuguese by default, English on request.
 * The same alert comes out as a plain-text e-mail body, a small HTML body and a JSON payload
 * for webhooks. Nothing secret goes in: error texts are already secret-free by contract, and
 * anything that still looks like a credential is masked here as a second line of defence.
 */
import type { ErrorInfo } from '../errors.js';
import { formatInstant } from '../scheduler/timezone.js';

export type AlertKind = 'backup_failed' | 'backup_late' | 'recovered' | 'drill_failed' | 'drill_overdue' | 'set_doubtful' | 'set_missing' | 'test';
export type AlertLocale = 'pt-BR' | 'en';

export interface AlertEvent {
  kind: AlertKind;
  plan: string;
  setId?: string;
  error?: ErrorInfo;
  at: Date;
  timezone: string;
  locale?: AlertLocale;
  /** last complete set (late / recovered alerts) */
  lastGoodAt?: Date;
  /** the plan RPO, for late alerts */
  rpoHours?: number;
  /** name of the machine running Cofre, so the team knows where to look */
  origin?: string;
}

export interface AlertJson {
  source: 'cofre';
  kind: AlertKind;
  severity: 'critical' | 'warning' | 'info';
  plan: string;
  setId?: string;
  at: string;
  timezone: string;
  title: string;
  summary: string;
  action: string;
  error?: ErrorInfo;
  lastGoodAt?: string;
  origin?: string;
}

export interface AlertMessage {
  subject: string;
  text: string;
  html: string;
  json: AlertJson;
}

interface Texts {
  title: (plan: string) => string;
  summary: (plan: string, when: string) => string;
  action: string;
}

const TEXTS: Record<AlertLocale, Record<AlertKind, Texts>> = {
  'pt-BR': {
    backup_failed: {
      title: (p) => `Backup falhou: plano ${p}`,
      summary: (p, w) => `O backup do plano "${p}" falhou em ${w}.`,
      action: 'Corrija a causa acima e rode "cofre backup --plan <plano>" para criar um conjunto novo hoje.',
    },
    backup_late: {
      title: (p) => `Backup atrasado: plano ${p}`,
      summary: (p, w) => `O plano "${p}" está sem backup completo recente (verificado em ${w}).`,
      action: 'Veja "cofre status" e o último erro do plano; rode "cofre backup --plan <plano>" assim que possível.',
    },
    recovered: {
      title: (p) => `Backup normalizado: plano ${p}`,
      summary: (p, w) => `O plano "${p}" voltou a funcionar: backup completo em ${w}.`,
      action: 'Nenhuma ação necessária.',
    },
    drill_failed: {
      title: (p) => `Teste de restauração falhou: plano ${p}`,
      summary: (p, w) => `O teste de restauração do plano "${p}" em homologação falhou em ${w}.`,
      action: 'Leia o relatório do teste, corrija a causa e rode "cofre drill" de novo.',
    },
    drill_overdue: {
      title: (p) => `Teste de restauração atrasado: plano ${p}`,
      summary: (p, w) => `O plano "${p}" está sem teste de restauração no último trimestre (verificado em ${w}).`,
      action: 'Agende e rode "cofre drill" em homologação (exigência trimestral RF-BACK-003).',
    },
    set_doubtful: {
      title: (p) => `Cópia duvidosa: plano ${p}`,
      summary: (p, w) => `Uma cópia do plano "${p}" tem manifesto ilegível, corrompido ou aponta objetos ausentes (verificado em ${w}). Ela não é apagada nem usada para restaurar.`,
      action: 'Rode "cofre sets" para ver o motivo; verifique o armazenamento. Se a cópia não tiver conserto, apague-a de propósito com "cofre forget <id> --yes".',
    },
    set_missing: {
      title: (p) => `Cópia sumiu do armazenamento: plano ${p}`,
      summary: (p, w) => `Uma cópia feita com sucesso pelo plano "${p}" não está mais no armazenamento e não foi apagada pelo Cofre (verificado em ${w}).`,
      action: 'Alguém com acesso ao bucket/pasta pode ter apagado cópias. Revise os acessos e os logs do armazenamento e rode um backup novo.',
    },
    test: {
      title: (p) => `Alerta de teste: plano ${p}`,
      summary: (p, w) => `Mensagem de teste do Cofre para o plano "${p}", enviada em ${w}.`,
      action: 'Nenhuma ação necessária: os alertas chegam a este destino.',
    },
  },
  en: {
    backup_failed: {
      title: (p) => `Backup failed: plan ${p}`,
      summary: (p, w) => `The backup of plan "${p}" failed at ${w}.`,
      action: 'Fix the cause above, then run "cofre backup --plan <plan>" to create a new set today.',
    },
    backup_late: {
      title: (p) => `Backup late: plan ${p}`,
      summary: (p, w) => `Plan "${p}" has no recent complete backup (checked at ${w}).`,
      action: 'Check "cofre status" and the plan\'s last error; run "cofre backup --plan <plan>" as soon as possible.',
    },
    recovered: {
      title: (p) => `Backup recovered: plan ${p}`,
      summary: (p, w) => `Plan "${p}" is working again: complete backup at ${w}.`,
      action: 'No action needed.',
    },
    drill_failed: {
      title: (p) => `Restore drill failed: plan ${p}`,
      summary: (p, w) => `The restore drill of plan "${p}" in staging failed at ${w}.`,
      action: 'Read the drill report, fix the cause and run "cofre drill" again.',
    },
    drill_overdue: {
      title: (p) => `Restore drill overdue: plan ${p}`,
      summary: (p, w) => `Plan "${p}" has had no restore drill this quarter (checked at ${w}).`,
      action: 'Schedule and run "cofre drill" in staging (quarterly requirement RF-BACK-003).',
    },
    set_doubtful: {
      title: (p) => `Doubtful backup set: plan ${p}`,
      summary: (p, w) => `A set of plan "${p}" has a manifest that cannot be read, is corrupt or names missing objects (checked at ${w}). It is never deleted nor used to restore.`,
      action: 'Run "cofre sets" to see why; check the storage. If the set cannot be repaired, delete it on purpose with "cofre forget <id> --yes".',
    },
    set_missing: {
      title: (p) => `Backup set gone from storage: plan ${p}`,
      summary: (p, w) => `A set made by a successful backup of plan "${p}" is no longer in storage and was not deleted by Cofre (checked at ${w}).`,
      action: 'Someone with access to the bucket/folder may have deleted sets. Review the storage access and logs, and run a new backup.',
    },
    test: {
      title: (p) => `Test alert: plan ${p}`,
      summary: (p, w) => `Test message from Cofre for plan "${p}", sent at ${w}.`,
      action: 'No action needed: alerts reach this destination.',
    },
  },
};

const LABELS: Record<AlertLocale, { what: string; todo: string; code: string; set: string; lastGood: string; rpo: string; origin: string; never: string }> = {
  'pt-BR': {
    what: 'O que aconteceu',
    todo: 'O que fazer',
    code: 'Código',
    set: 'Conjunto',
    lastGood: 'Último backup completo',
    rpo: 'RPO',
    origin: 'Enviado por',
    never: 'nenhum',
  },
  en: {
    what: 'What happened',
    todo: 'What to do',
    code: 'Code',
    set: 'Set',
    lastGood: 'Last complete backup',
    rpo: 'RPO',
    origin: 'Sent by',
    never: 'none',
  },
};

const SEVERITY: Record<AlertKind, AlertJson['severity']> = {
  backup_failed: 'critical',
  backup_late: 'critical',
  drill_failed: 'warning',
  drill_overdue: 'warning',
  set_doubtful: 'critical',
  set_missing: 'critical',
  recovered: 'info',
  test: 'info',
};

/** Masks things that look like credentials: `password=…`, `user:pass@host`, bearer tokens, AWS keys. */
export function redactSecrets(text: string): string {
  return text
    .replace(/(\b\w*?(?:password|passwd|pwd|secret|token|api_?key|access_?key)\w*\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi, '$1***')
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, '$1***@')
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 ***')
    .replace(/\bAKIA[0-9A-Z]{16}\b/g, 'AKIA***');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function buildAlert(event: AlertEvent): AlertMessage {
  const locale = event.locale ?? 'pt-BR';
  const t = TEXTS[locale][event.kind];
  const l = LABELS[locale];
  const when = formatInstant(event.at, event.timezone, locale);
  const error: ErrorInfo | undefined =
    event.error === undefined
      ? undefined
      : {
          code: event.error.code,
          message: redactSecrets(event.error.message),
          ...(event.error.hint === undefined ? {} : { hint: redactSecrets(event.error.hint) }),
        };
  const title = t.title(event.plan);
  const summary = t.summary(event.plan, when);
  const action = error?.hint !== undefined && event.kind !== 'recovered' ? error.hint : t.action;

  const rows: Array<[string, string]> = [];
  if (error !== undefined) rows.push([l.what, error.message]);
  rows.push([l.todo, action]);
  if (error !== undefined) rows.push([l.code, error.code]);
  if (event.setId !== undefined) rows.push([l.set, event.setId]);
  if (event.lastGoodAt !== undefined) rows.push([l.lastGood, formatInstant(event.lastGoodAt, event.timezone, locale)]);
  else if (event.kind === 'backup_late') rows.push([l.lastGood, l.never]);
  if (event.rpoHours !== undefined) rows.push([l.rpo, `${event.rpoHours} h`]);
  if (event.origin !== undefined) rows.push([l.origin, event.origin]);

  const text = [summary, '', ...rows.map(([k, v]) => `${k}: ${v}`), '', '— Cofre', ''].join('\n');
  const html =
    `<!doctype html><html lang="${locale}"><body style="font-family:sans-serif">` +
    `<h2>${escapeHtml(title)}</h2><p>${escapeHtml(summary)}</p><table>` +
    rows.map(([k, v]) => `<tr><th align="left" valign="top">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('') +
    `</table><p style="color:#666">Cofre</p></body></html>`;

  const json: AlertJson = {
    source: 'cofre',
    kind: event.kind,
    severity: SEVERITY[event.kind],
    plan: event.plan,
    at: event.at.toISOString(),
    timezone: event.timezone,
    title,
    summary,
    action,
  };
  if (event.setId !== undefined) json.setId = event.setId;
  if (error !== undefined) json.error = error;
  if (event.lastGoodAt !== undefined) json.lastGoodAt = event.lastGoodAt.toISOString();
  if (event.origin !== undefined) json.origin = event.origin;

  return { subject: `[Cofre] ${title}`, text, html, json };
}
