import { useEffect, useRef, useState } from 'react';
import { useRuns, useT, useDate, useLanguage, useClockTime } from '../hooks.js';
import { Badge, Button, Card, EmptyState, ErrorNote, ErrorText, Pager, ProgressBar, Table } from '../components/ui.js';
import { formatBytes, formatDuration, formatRate } from '../../../shared/format.js';
import { describePhase } from '../../../shared/i18n/index.js';
import type { Run } from '../../../shared/rpc/contracts/runs.js';
import type { SourceProgress } from '../stores/runs.js';
import { RunLog } from '../components/messages.js';
import { PackGcFacts } from '../components/pack-gc.js';
import { navigate, useHashParam } from '../navigation.js';
import { pageOf } from '../stores/paging.js';
import { runLabel } from './run-label.js';
import { ReportLink } from './Testes.js';

function statusTone(status: string): 'ok' | 'failing' | 'info' | 'unknown' {
  return status === 'succeeded' ? 'ok' : status === 'failed' ? 'failing' : status === 'running' ? 'info' : 'unknown';
}

/** One running run: a row per source with bytes, rate, ETA and the projected end (clinic time). */
function Live({ runId, run, sources }: { runId: string; run: Run | undefined; sources: Record<string, SourceProgress> }) {
  const t = useT();
  const lang = useLanguage();
  const clock = useClockTime();
  const plan = run?.plan ?? '';
  const names = [...new Set([...(run?.sources.map((s) => s.name) ?? []), ...Object.keys(sources).filter((n) => n !== '')])];
  const total = Object.values(sources).reduce((a, p) => a + p.bytes, 0);
  const rate = Object.values(sources).reduce((a, p) => a + (Date.now() - p.at < 10_000 ? p.bytesPerSecond : 0), 0);
  return (
    <div className="live" data-run={runId}>
      <p className="live-head">
        <strong>{plan}</strong> <Badge tone="info">{t('run.running')}</Badge>{' '}
        <span className="muted">{t('execucoes.totalSoFar', { bytes: formatBytes(total, lang), rate: formatRate(rate, lang) })}</span>
      </p>
      {names.length === 0 ? (
        <p className="muted">{describePhase(sources['']?.phase ?? 'start', t)} · {t('execucoes.waitingData')}</p>
      ) : (
        <Table caption={`${t('execucoes.live')} ${plan}`} head={[t('execucoes.source'), t('execucoes.phase'), t('execucoes.size'), '']}>
          {names.map((name) => {
            const p = sources[name];
            const recorded = run?.sources.find((s) => s.name === name);
            const status = p ? 'running' : (recorded?.status ?? 'pending');
            return (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>{p ? describePhase(p.phase, t) : <Badge tone={statusTone(status)}>{t(`run.${status}`)}</Badge>}</td>
                <td className="live-bar">
                  {p ? (
                    <>
                      <ProgressBar value={p.bytes} max={p.totalBytes} label={`${plan} ${name}`} />
                      <span className="muted small">
                        {t('execucoes.progress', { done: formatBytes(p.bytes, lang), total: p.totalBytes === undefined ? '?' : formatBytes(p.totalBytes, lang) })}
                      </span>
                    </>
                  ) : recorded && recorded.bytes > 0 ? (
                    formatBytes(recorded.bytes, lang)
                  ) : (
                    '—'
                  )}
                </td>
                <td className="muted small">
                  {p ? (
                    <>
                      {formatRate(p.bytesPerSecond, lang)}
                      {p.limitBytesPerSecond === undefined ? null : <> · {t('bandwidth.limited', { rate: formatRate(p.limitBytesPerSecond, lang) })}</>}
                      {p.etaSeconds === undefined ? null : (
                        <>
                          <br />
                          {t('execucoes.eta', { eta: formatDuration(p.etaSeconds * 1000) })} · {t('execucoes.finishAt', { when: clock(p.at + p.etaSeconds * 1000) })}
                        </>
                      )}
                    </>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </Table>
      )}
    </div>
  );
}

function Details() {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  const { selected } = useRuns();
  const heading = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (selected) heading.current?.scrollIntoView({ block: 'start' });
  }, [selected?.id]);
  if (!selected) return null;
  return (
    <div ref={heading} id="run-details" data-run={selected.id}>
      <Card
        tone={selected.status === 'failed' ? 'failing' : selected.status === 'succeeded' ? 'ok' : undefined}
        title={`${runLabel(t)(selected)} · ${date(selected.startedAt)}`}
        actions={
          <>
            <Badge tone={statusTone(selected.status)}>{t(`run.${selected.status}`)}</Badge>
            <Button onClick={() => navigate('execucoes')}>{t('execucoes.close')}</Button>
          </>
        }
      >
        <ErrorNote error={selected.error} />
        {selected.reportPath ? <p><ReportLink path={selected.reportPath} label={t('testes.report')} /></p> : null}
        {selected.sources.length === 0 ? null : <Table caption={t('copias.source')} head={[t('copias.source'), t('execucoes.size'), t('execucoes.status')]}>
          {selected.sources.map((s) => (
            <tr key={s.name}>
              <th scope="row">{s.name}</th>
              <td>{formatBytes(s.bytes, lang)}</td>
              <td>
                <Badge tone={statusTone(s.status)}>{t(`run.${s.status}`)}</Badge>
              </td>
            </tr>
          ))}
        </Table>}
        <p className="muted">
          {t('execucoes.duration')}: {selected.durationMs === undefined ? '—' : formatDuration(selected.durationMs)} · {t('execucoes.size')}: {formatBytes(selected.bytes, lang)}
        </p>
        {selected.packs ? (
          <>
            <h3>{t('packs.title')}</h3>
            <PackGcFacts gc={selected.packs} />
          </>
        ) : null}
        <h3>{t('execucoes.log')}</h3>
        {selected.log.length === 0 ? (
          <p className="muted">{t('execucoes.noLog')}</p>
        ) : (
          <RunLog lines={selected.log} />
        )}
      </Card>
    </div>
  );
}

export function Execucoes() {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  const { runs, liveSources, selected, missing, open, close, error } = useRuns();
  const wanted = useHashParam('run');
  useEffect(() => {
    if (wanted) void open(wanted);
    else close();
  }, [wanted, open, close]);
  const liveIds = Object.keys(liveSources);
  const [page, setPage] = useState(1);
  const current = pageOf(runs, page);
  const label = runLabel(t);
  return (
    <>
      {missing ? <p className="warn-text" role="alert">{t('execucoes.runNotFound', { id: missing })}</p> : <ErrorNote error={error} />}
      {wanted && selected?.id === wanted ? <Details /> : null}
      <Card title={t('execucoes.live')}>
        {liveIds.length === 0 ? (
          <p className="muted">{t('execucoes.noLive')}</p>
        ) : (
          liveIds.map((id) => <Live key={id} runId={id} run={runs.find((r) => r.id === id)} sources={liveSources[id] ?? {}} />)
        )}
      </Card>
      <Card title={t('execucoes.history')}>
        {runs.length === 0 ? (
          <EmptyState title={t('execucoes.emptyTitle')} body={t('execucoes.emptyBody')} action={<Button variant="primary" onClick={() => navigate('painel')}>{t('execucoes.emptyAction')}</Button>} />
        ) : (
          <Table caption={t('execucoes.history')} head={[t('execucoes.plan'), t('execucoes.started'), t('execucoes.status'), t('execucoes.size'), t('execucoes.duration'), t('execucoes.details')]}>
            {current.items.map((r) => (
              <tr key={r.id} aria-current={r.id === wanted ? 'true' : undefined} data-kind={r.kind ?? 'backup'}>
                <td>{label(r)}</td>
                <td>{date(r.startedAt)}</td>
                <td>
                  <Badge tone={statusTone(r.status)}>{t(`run.${r.status}`)}</Badge>
                  {r.error ? (
                    <div className="error-cell" data-error-code={r.error.code}>
                      <ErrorText error={r.error} />
                    </div>
                  ) : null}
                </td>
                <td>{formatBytes(r.bytes, lang)}</td>
                <td>{r.durationMs === undefined ? '—' : formatDuration(r.durationMs)}</td>
                <td>
                  <Button onClick={() => navigate('execucoes', { run: r.id })} aria-label={`${t('execucoes.details')}: ${label(r)} ${date(r.startedAt)}`}>
                    {t('execucoes.details')}
                  </Button>
                </td>
              </tr>
            ))}
          </Table>
        )}
        <Pager page={current.page} pages={current.pages} total={current.total} onPage={setPage} testId="runs-pager" />
      </Card>
    </>
  );
}
