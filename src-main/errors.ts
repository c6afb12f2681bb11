/**
 * Errors that cross a boundary (CLI, RPC, catalog) carry a stable code, a message that says
 * what happened, and a hint that says what to do next. Messages never contain secrets.
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

  constructor(code: ErrorCode, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CofreError';
    this.code = code;
    this.hint = options?.hint;
  }
}

/** Plain-data form used in JSON output, the catalog and RPC responses. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  hint?: string;
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof CofreError) {
    return err.hint === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, hint: err.hint };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}

/** One line for a human: "message (what to do: hint)". */
export function describeError(err: unknown): string {
  const info = toErrorInfo(err);
  return info.hint ? `${info.message}\n  → ${info.hint}` : info.message;
}
