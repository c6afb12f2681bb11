/**
 * How the console shows what the engine reports: always the text of its catalog key (what
 * happened, what to do) in the console's language; the engine's English words only folded
 * under "Detalhe técnico". Screens use these instead of printing engine strings.
 */
import { Badge, TechDetail } from './ui.js';
import { useDate, useT } from '../hooks.js';
import { describeCheckResult, describeLogLine, describeValidation } from '../../../shared/i18n/index.js';
import type { Check } from '../../../shared/rpc/contracts/sets.js';
import type { Validation } from '../../../shared/rpc/contracts/restore.js';
import type { LogLine } from '../../../shared/rpc/contracts/runs.js';

/** One check (preflight, verification, connection test): ✓/✕ with its ok or failed text, what to do, the error behind it. */
export function CheckText({ check }: { check: Omit<Check, 'name'> & { name?: string } }) {
  const t = useT();
  const d = describeCheckResult({ name: '', ...check }, t);
  return (
    <>
      <Badge tone={check.ok ? 'ok' : check.status === 'unchecked' ? 'late' : 'failing'}>{d.text}</Badge>
      {d.cause ? <span className="check-cause"> {t('check.because', { reason: d.cause.title })}</span> : null}
      {d.action ? <span className="check-action muted"> {t('common.whatToDo', { hint: d.action })}</span> : null}
      <TechDetail>
        {check.name ? <code>{check.name}</code> : null} {check.message}
        {check.cause?.hint ? <> — {check.cause.hint}</> : null}
        {check.cause ? <code> [{check.cause.code}]</code> : null}
      </TechDetail>
    </>
  );
}

export function CheckList({ checks }: { checks: Check[] }) {
  return (
    <ul className="checks">
      {checks.map((c, i) => (
        <li key={`${c.name}-${i}`} data-ok={c.ok} data-status={c.status ?? (c.ok ? 'ok' : 'failed')}>
          <CheckText check={c} />
        </li>
      ))}
    </ul>
  );
}

/** A validation line after a restore, as a table row: the check in words, the numbers, the result. */
export function ValidationRow({ v }: { v: Validation }) {
  const t = useT();
  const keyed = v.key !== undefined && v.params !== undefined;
  const expected = keyed ? v.params?.['expected'] : undefined;
  const actual = keyed ? v.params?.['actual'] : undefined;
  return (
    <tr data-ok={v.ok}>
      <th scope="row">
        {describeValidation(v, t)}
        <TechDetail>
          {v.name}: expected {v.expected}, found {v.actual}
        </TechDetail>
      </th>
      <td>{expected ?? '—'}</td>
      <td>{actual ?? '—'}</td>
      <td>
        <Badge tone={v.ok ? 'ok' : 'failing'}>{v.ok ? t('common.ok') : t('common.failed')}</Badge>
      </td>
    </tr>
  );
}

/** A run's log in the console's language, with the engine's full English log folded beneath. */
export function RunLog({ lines }: { lines: LogLine[] }) {
  const t = useT();
  const date = useDate();
  return (
    <>
      <ol className="log-lines">
        {lines.map((l, i) => (
          <li key={i} className={`log-${l.level}`}>
            <span className="muted">{date(l.at)}</span> {l.level === 'error' ? <Badge tone="failing">{t('common.error')}</Badge> : l.level === 'warn' ? <Badge tone="late">{t('log.level.warn')}</Badge> : null}{' '}
            {l.source ? `[${l.source}] ` : ''}
            {describeLogLine(l, t)}
          </li>
        ))}
      </ol>
      <TechDetail>
        <pre className="log" tabIndex={0}>
          {lines.map((l) => `${l.at} ${l.level.toUpperCase()} ${l.source ? `[${l.source}] ` : ''}${l.message}`).join('\n')}
        </pre>
      </TechDetail>
    </>
  );
}
