/** The console's small set of components. They draw what they are given; no data fetching here. */
import { useId, type ReactNode, type ButtonHTMLAttributes, type InputHTMLAttributes } from 'react';
import type { RpcError } from '../../../shared/rpc/define.js';
import { useT } from '../hooks.js';
import { describeEngineError } from '../../../shared/i18n/index.js';

export function Button({ variant = 'secondary', busy = false, children, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: 'primary' | 'secondary' | 'danger'; busy?: boolean }) {
  return (
    <button type="button" className={`btn btn-${variant}`} aria-busy={busy || undefined} disabled={busy || rest.disabled} {...rest}>
      {children}
    </button>
  );
}

export function Card({ title, actions, children, tone, labelledBy }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; tone?: 'ok' | 'late' | 'failing' | 'unknown'; labelledBy?: string }) {
  const id = useId();
  return (
    <section className={`card${tone ? ` card-${tone}` : ''}`} aria-labelledby={title ? (labelledBy ?? id) : undefined}>
      {title || actions ? (
        <header className="card-head">
          {title ? <h2 id={labelledBy ?? id}>{title}</h2> : null}
          {actions ? <div className="card-actions">{actions}</div> : null}
        </header>
      ) : null}
      {children}
    </section>
  );
}

export function Field({ label, error, hint, children, ...input }: InputHTMLAttributes<HTMLInputElement> & { label: string; error?: string | undefined; hint?: string | undefined; children?: ReactNode }) {
  const id = useId();
  const msgId = `${id}-msg`;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children ?? <input id={id} aria-invalid={error ? true : undefined} aria-describedby={error || hint ? msgId : undefined} {...input} />}
      {error ? (
        <p className="field-error" id={msgId} role="alert">
          {error}
        </p>
      ) : hint ? (
        <p className="field-hint" id={msgId}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

export function Table({ caption, head, children }: { caption: string; head: ReactNode[]; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** Previous / next for a paged list, with "page 2 of 7 · 130 items". */
export function Pager({ page, pages, total, onPage, testId }: { page: number; pages: number; total: number; onPage: (page: number) => void; testId?: string }) {
  const t = useT();
  if (pages <= 1) return null;
  return (
    <nav className="pager row" aria-label={t('pager.label')} data-testid={testId}>
      <Button disabled={page <= 1} onClick={() => onPage(page - 1)}>
        {t('pager.prev')}
      </Button>
      <span className="muted" aria-live="polite">
        {t('pager.status', { page, pages, total })}
      </span>
      <Button disabled={page >= pages} onClick={() => onPage(page + 1)}>
        {t('pager.next')}
      </Button>
    </nav>
  );
}

/** A labelled select whose options are given as value/label pairs. */
export function SelectField({ label, value, options, onChange, hint, testId }: { label: string; value: string; options: ReadonlyArray<{ value: string; label: string }>; onChange: (value: string) => void; hint?: string; testId?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {hint ? <p className="field-hint">{hint}</p> : null}
    </div>
  );
}

export type BadgeTone = 'ok' | 'late' | 'failing' | 'unknown' | 'info';

export function Badge({ tone, children }: { tone: BadgeTone; children: ReactNode }) {
  const icon = tone === 'ok' ? '✓' : tone === 'failing' ? '✕' : tone === 'late' ? '!' : tone === 'info' ? '•' : '?';
  return (
    <span className={`badge badge-${tone}`}>
      <span aria-hidden="true">{icon}</span> {children}
    </span>
  );
}

export function ProgressBar({ value, max, label }: { value: number; max: number | undefined; label: string }) {
  const pct = max && max > 0 ? Math.min(100, Math.round((value / max) * 100)) : undefined;
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
      <div className={`progress-fill${pct === undefined ? ' progress-indeterminate' : ''}`} style={pct === undefined ? undefined : { width: `${pct}%` }} />
    </div>
  );
}

export function EmptyState({ title, body, action }: { title: string; body: string; action?: ReactNode }) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      <p>{body}</p>
      {action}
    </div>
  );
}

/**
 * An error value from the engine, in the console's language: a title and what to do chosen by
 * the error's code, then the engine's own words (English) as a technical detail.
 */
export function ErrorNote({ error, compact = false }: { error: RpcError | undefined; compact?: boolean }) {
  if (!error) return null;
  return (
    <div className={`error-note${compact ? ' error-note-compact' : ''}`} role="alert" data-error-code={error.code}>
      <ErrorText error={error} />
    </div>
  );
}

/** The same text as ErrorNote without the box, for table cells and cards. */
export function ErrorText({ error }: { error: RpcError }) {
  const t = useT();
  const e = describeEngineError(error, t);
  return (
    <>
      <p className="error-title">
        <strong>{e.title}</strong>
      </p>
      {e.action ? <p className="error-action">{t('common.whatToDo', { hint: e.action })}</p> : null}
      <div className="error-detail">
        <p>
          <span className="error-detail-label">{t('error.detail')}:</span>{' '}
          <span lang="en">
            {e.detail} <code>[{error.code}]</code>
          </span>
        </p>
        {e.hint ? (
          <p>
            <span className="error-detail-label">{t('error.engineHint')}:</span> <span lang="en">{e.hint}</span>
          </p>
        ) : null}
      </div>
    </>
  );
}
