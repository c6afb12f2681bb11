/** Console settings, alerts, encryption recipients and the audit log. */
import * as z from 'zod';
import { method, Empty, IsoDate } from '../define.js';

export const LanguageSchema = z.enum(['pt-BR', 'en']);

export const SettingsSchema = z.object({
  language: LanguageSchema,
  timezone: z.string(),
  recipients: z.array(z.string()),
  alerts: z.object({
    email: z.object({ to: z.array(z.string()), host: z.string() }).optional(),
    webhook: z.object({ url: z.string() }).optional(),
    desktop: z.boolean(),
  }),
});

export const AlertTestSchema = z.object({
  results: z.array(z.object({
    channel: z.enum(['email', 'webhook', 'desktop']),
    ok: z.boolean(),
    message: z.string(),
    /** where it went: the addresses, the webhook host; absent when nothing was sent */
    destination: z.string().optional(),
    /** why nothing was sent on this channel (not configured, only the desktop app shows notifications) */
    skipped: z.enum(['notConfigured', 'desktopOnly']).optional(),
  })),
});

export const AuditEntrySchema = z.object({
  at: IsoDate,
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  details: z.string(),
});

export const AuditQuerySchema = z.object({
  limit: z.number().int().min(1).max(1000).default(100),
  actor: z.string().optional(),
  action: z.string().optional(),
  since: IsoDate.optional(),
});

export const settingsMethods = {
  'settings.get': method(Empty, SettingsSchema),
  'settings.setLanguage': method(z.object({ language: LanguageSchema }), z.object({ saved: z.literal(true) })),
  'settings.setTimezone': method(z.object({ timezone: z.string().min(1) }), z.object({ saved: z.literal(true) })),
  'alerts.test': method(Empty, AlertTestSchema),
  'keys.addRecipient': method(
    z.object({ recipient: z.string().regex(/^age1[02-9ac-hj-np-z]{58}$/, 'an age public key "age1…"') }),
    z.object({ recipients: z.array(z.string()) }),
  ),
  'audit.list': method(AuditQuerySchema, z.object({ entries: z.array(AuditEntrySchema) })),
};

export type Language = z.infer<typeof LanguageSchema>;
export type Settings = z.infer<typeof SettingsSchema>;
export type AlertTest = z.infer<typeof AlertTestSchema>;
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
export type AuditQuery = z.infer<typeof AuditQuerySchema>;
