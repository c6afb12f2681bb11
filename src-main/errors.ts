import type { CatalogKey, MessageParams } from '../shared/i18n/catalog.js';

/**
 * Errors that cross a boundary (CLI, RPC, catalog) carry a stable code, a message that says
 * what happened, and a hint that says what to do next. Messages never contain secrets.
 * `key`/`params` name the console's pt-BR/en text for it (shared/i18n/catalog.ts); the English
 * message and hint stay as the technical detail and what the CLI prints.
 */
export type ErrorCode =
  | 'CONFIG_MISSING'
  | 'CONFIG_INVALID'
  | 'CONFIG_REFERENCE'
  | 'SECRET_MISSING'
  | 'KEY_UNREADABLE'
  | 'HOST_UNREACHABLE'
  | 'HOST_KEY_MISMATCH'
  | 'HOST_KEY_UNPINNED'
  | 'AUTH_FAILED'
  | 'REMOTE_COMMAND_FAILED'
  | 'REMOTE_BUSY'
  | 'STORAGE_UNREACHABLE'
  | 'STORAGE_FAILED'
  | 'SET_NOT_FOUND'
  | 'SET_INCOMPLETE'
  | 'INTEGRITY'
  | 'DECRYPT_FAILED'
  | 'PRECONDITION'
  | 'CONFIRMATION_REQUIRED'
  | 'CANCELLED'
  | 'INVALID_ARGUMENT'
  | 'ALERT_DELIVERY'
  | 'INTERNAL'
  | 'LOCAL_TOOLS_MISSING'
  | 'DEMO_UNAVAILABLE';

export class CofreError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly key: CatalogKey | undefined;
  readonly params: MessageParams | undefined;

  constructor(code: ErrorCode, message: string, options?: { hint?: string | undefined; cause?: unknown; key?: CatalogKey; params?: MessageParams }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CofreError';
    this.code = code;
    this.hint = options?.hint;
    this.key = options?.key;
    this.params = options?.params;
  }
}

/** Plain-data form used in JSON output, the catalog and RPC responses. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  hint?: string;
  /** the console's text for it (shared/i18n/catalog.ts) */
  key?: CatalogKey;
  params?: MessageParams;
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof CofreError) {
    return {
      code: err.code,
      message: err.message,
      ...(err.hint === undefined ? {} : { hint: err.hint }),
      ...(err.key === undefined ? {} : { key: err.key }),
      ...(err.params === undefined ? {} : { params: err.params }),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}

/** One line for a human: "message (what to do: hint)". */
export function describeError(err: unknown): string {
  const info = toErrorInfo(err);
  return info.hint ? `${info.message}\n  → ${info.hint}` : info.message;
}
