import { useEffect, useRef } from 'react';
import { useDrills, useT, useDate, useLanguage } from '../hooks.js';
import { Badge, Button, Card, EmptyState, ErrorNote, ProgressBar, Table } from '../components/ui.js';
import { formatBytes, formatDuration } from '../../../shared/format.js';
import type { DrillBrief } from '../../../shared/rpc/contracts/status.js';
import { reportHref } from '../../../shared/report-href.js';
import { KeptAfterRestore } from '../components/kept-copies.js';

/**
 * A report as a link to the console server's /reports route (same session as the console; the
 * desktop app opens the file through the shell); the path on the engine's machine is shown too.
 */
export function ReportLink({ path, label }: { path: string; label: string }) {
  const href = reportHref(path);
  return (
    <span className="report-link">
      <a href={href} target="_blank" rel="noreferrer" data-testid="drill-report">
        {label}
      </a>{' '}
      <code className="muted small">{path}</code>
    </span>
  );
}

/** Why a drill failed, its report and its run. */
export function DrillOutcome({ drill }: { drill: DrillBrief }) {
  const t = useT();
  return (
    <div className="drill-outcome" data-testid="drill-outcome" data-ok={String(drill.ok)}>
      {!drill.ok && drill.error ? (
        <>
          <h3>{t('testes.reason')}</h3>
          <ErrorNote error={drill.error} />
        </>
      ) : null}
      <p className="row">
        {drill.reportPath ? <ReportLink path={drill.reportPath} label={t('testes.report')} /> : null}
        {drill.runId ? <a href={`#/execucoes?run=${encodeURIComponent(drill.runId)}`}>{t('testes.openRun')}</a> : null}
      </p>
    </div>
  );
}

/** Asks before a drill starts and shows where it restores. */
function ConfirmDrill({ target, names }: { target: string | undefined; names: 'original' | 'side-by-side' | undefined }) {
  const t = useT();
  const { confirm, cancel } = useDrills();
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="drill-confirm-title" data-testid="drill-confirm" onKeyDown={(e) => e.key === 'Escape' && cancel()}>
        <h2 id="drill-confirm-title">{t('testes.confirmTitle')}</h2>
        <p>{names === 'original' ? t('staging.drill.confirmOriginal') : t('testes.confirmBody')}</p>
        {target ? (
          <p>
            {t('testes.confirmTarget')}: <strong data-testid="drill-confirm-target">{target}</strong>
          </p>
        ) : (
          <p className="warn-text">{t('testes.noTarget')}</p>
        )}
        <div className="row">
          <Button onClick={cancel}>{t('common.cancel')}</Button>
          <button ref={first} type="button" className="btn btn-primary" disabled={!target} onClick={() => void confirm()}>
            {t('testes.confirmStart')}
          </button>
        </div>
      </div>
    </div>
  );
}

export function Testes() {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  const { drills, running, ask, confirming, error, finished } = useDrills();
  const overdue = drills?.nextDue !== undefined && Date.parse(drills.nextDue) < Date.now();
  const last = drills?.lastResult;
  return (
    <>
      <p>{t('testes.intro')}</p>
      <ErrorNote error={error} />
      {confirming ? <ConfirmDrill target={drills?.target} names={drills?.targetNames} /> : null}
      <Card
        title={t('testes.last')}
        tone={last ? (last.ok ? (overdue ? 'late' : 'ok') : 'failing') : 'unknown'}
        actions={
          <Button variant="primary" busy={running !== undefined} onClick={ask}>
            {running ? t('testes.running') : t('testes.start')}
          </Button>
        }
      >
        {last ? (
          <>
            <p>
              <Badge tone={last.ok ? 'ok' : 'failing'}>{last.ok ? t('testes.passed') : t('testes.failed')}</Badge> {date(last.at)} · {last.target} · {t('testes.rto')}{' '}
              {last.rtoMs === undefined ? '—' : formatDuration(last.rtoMs)}
            </p>
            <DrillOutcome drill={last} />
            {/* a drill under the production names keeps what was there: said as after a restore */}
            {finished?.restoreId === last.restoreId ? <KeptAfterRestore kept={finished.kept} /> : null}
          </>
        ) : (
          <EmptyState title={t('testes.emptyTitle')} body={`${t('testes.emptyBody')} ${t('testes.emptyHint')}`} />
        )}
        {drills?.nextDue ? <p className={overdue ? 'warn-text' : 'muted'}>{overdue ? t('testes.overdue', { when: date(drills.nextDue) }) : t('testes.nextDue', { when: date(drills.nextDue) })}</p> : null}
        {running ? (
          <>
            <ProgressBar value={running.progress?.bytes ?? 0} max={running.progress?.totalBytes} label={t('testes.running')} />
            <p className="muted" aria-live="polite">
              {running.progress ? `${formatBytes(running.progress.bytes, lang)} / ${formatBytes(running.progress.totalBytes, lang)}` : t('app.loading')}
            </p>
          </>
        ) : null}
      </Card>
      {drills && drills.drills.length > 0 ? (
        <Card title={t('testes.history')}>
          <Table caption={t('testes.history')} head={[t('testes.when'), t('testes.target'), t('testes.rto'), t('testes.result'), t('execucoes.report')]}>
            {drills.drills.map((d) => (
              <tr key={d.restoreId}>
                <td>{d.runId ? <a href={`#/execucoes?run=${encodeURIComponent(d.runId)}`}>{date(d.at)}</a> : date(d.at)}</td>
                <td>{d.target}</td>
                <td>{d.rtoMs === undefined ? '—' : formatDuration(d.rtoMs)}</td>
                <td>
                  <Badge tone={d.ok ? 'ok' : 'failing'}>{d.ok ? t('testes.passed') : t('testes.failed')}</Badge>
                </td>
                <td>{d.reportPath ? <ReportLink path={d.reportPath} label={t('execucoes.report')} /> : '—'}</td>
              </tr>
            ))}
          </Table>
        </Card>
      ) : null}
    </>
  );
}
