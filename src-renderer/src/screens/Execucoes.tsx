import { useRuns, useT, useDate, useLanguage } from '../hooks.js';
import { Badge, Button, Card, EmptyState, ErrorNote, ProgressBar, Table } from '../components/ui.js';
import { formatBytes, formatDuration, formatRate } from '../../../shared/format.js';
import type { RunProgress } from '../../../shared/rpc/contracts/runs.js';

function Live({ p, plan }: { p: RunProgress; plan: string }) {
  const t = useT();
  const lang = useLanguage();
  return (
    <div className="live">
      <p>
        <strong>{plan}</strong> · {p.source ?? ''} · {p.phase}
      </p>
      <ProgressBar value={p.bytes} max={p.totalBytes} label={`${plan} ${p.source ?? ''}`} />
      <p className="muted" aria-live="polite">
        {t('execucoes.progress', { done: formatBytes(p.bytes, lang), total: p.totalBytes === undefined ? '?' : formatBytes(p.totalBytes, lang) })} · {formatRate(p.bytesPerSecond, lang)}
        {p.etaSeconds === undefined ? '' : ` · ${t('execucoes.eta', { eta: formatDuration(p.etaSeconds * 1000) })}`}
      </p>
    </div>
  );
}

export function Execucoes() {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  const { runs, live, selected, open, close, error } = useRuns();
  const liveList = Object.values(live);
  return (
    <>
      <ErrorNote error={error} />
      <Card title={t('execucoes.live')}>
        {liveList.length === 0 ? <p className="muted">{t('execucoes.noLive')}</p> : liveList.map((p) => <Live key={p.runId} p={p} plan={runs.find((r) => r.id === p.runId)?.plan ?? ''} />)}
      </Card>
      {selected ? (
        <Card title={`${selected.plan} · ${date(selected.startedAt)}`} actions={<Button onClick={close}>{t('common.back')}</Button>}>
          {selected.error ? <ErrorNote error={selected.error} /> : null}
          <Table caption={t('copias.source')} head={[t('copias.source'), t('execucoes.size'), t('execucoes.status')]}>
            {selected.sources.map((s) => (
              <tr key={s.name}>
                <th scope="row">{s.name}</th>
                <td>{formatBytes(s.bytes, lang)}</td>
                <td>{t(`run.${s.status}`)}</td>
              </tr>
            ))}
          </Table>
          <h3>{t('execucoes.log')}</h3>
          <pre className="log">{selected.log.map((l) => `${date(l.at)} ${l.level.toUpperCase()} ${l.source ? `[${l.source}] ` : ''}${l.message}`).join('\n')}</pre>
        </Card>
      ) : null}
      <Card title={t('execucoes.history')}>
        {runs.length === 0 ? (
          <EmptyState title={t('execucoes.emptyTitle')} body={t('execucoes.emptyBody')} />
        ) : (
          <Table caption={t('execucoes.history')} head={[t('execucoes.plan'), t('execucoes.started'), t('execucoes.status'), t('execucoes.size'), t('execucoes.duration'), t('execucoes.details')]}>
            {runs.map((r) => (
              <tr key={r.id}>
                <td>{r.plan}</td>
                <td>{date(r.startedAt)}</td>
                <td>
                  <Badge tone={r.status === 'succeeded' ? 'ok' : r.status === 'failed' ? 'failing' : 'info'}>{t(`run.${r.status}`)}</Badge>
                  {r.error ? (
                    <p className="error-text small">
                      {r.error.message}
                      {r.error.hint ? <span className="muted"> {t('common.whatToDo', { hint: r.error.hint })}</span> : null}
                    </p>
                  ) : null}
                </td>
                <td>{formatBytes(r.bytes, lang)}</td>
                <td>{r.durationMs === undefined ? '—' : formatDuration(r.durationMs)}</td>
                <td>
                  <Button onClick={() => void open(r.id)}>{t('execucoes.details')}</Button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
    </>
  );
}
