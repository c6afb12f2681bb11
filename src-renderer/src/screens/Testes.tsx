import { useDrills, useT, useDate, useLanguage } from '../hooks.js';
import { Badge, Button, Card, EmptyState, ErrorNote, ProgressBar, Table } from '../components/ui.js';
import { formatBytes, formatDuration } from '../../../shared/format.js';

export function Testes() {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  const { drills, running, start, error } = useDrills();
  const overdue = drills?.nextDue !== undefined && Date.parse(drills.nextDue) < Date.now();
  return (
    <>
      <p>{t('testes.intro')}</p>
      <ErrorNote error={error} />
      <Card
        title={t('testes.last')}
        tone={drills?.lastResult ? (drills.lastResult.ok ? (overdue ? 'late' : 'ok') : 'failing') : 'unknown'}
        actions={
          <Button variant="primary" busy={running !== undefined} onClick={() => void start()}>
            {running ? t('testes.running') : t('testes.start')}
          </Button>
        }
      >
        {drills?.lastResult ? (
          <p>
            <Badge tone={drills.lastResult.ok ? 'ok' : 'failing'}>{drills.lastResult.ok ? t('testes.passed') : t('testes.failed')}</Badge> {date(drills.lastResult.at)} ·{' '}
            {drills.lastResult.target} · {t('testes.rto')} {drills.lastResult.rtoMs === undefined ? '—' : formatDuration(drills.lastResult.rtoMs)}
          </p>
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
          <Table caption={t('testes.history')} head={[t('testes.when'), t('testes.target'), t('testes.rto'), t('testes.result')]}>
            {drills.drills.map((d) => (
              <tr key={d.restoreId}>
                <td>{date(d.at)}</td>
                <td>{d.target}</td>
                <td>{d.rtoMs === undefined ? '—' : formatDuration(d.rtoMs)}</td>
                <td>
                  <Badge tone={d.ok ? 'ok' : 'failing'}>{d.ok ? t('testes.passed') : t('testes.failed')}</Badge>
                </td>
              </tr>
            ))}
          </Table>
        </Card>
      ) : null}
    </>
  );
}
