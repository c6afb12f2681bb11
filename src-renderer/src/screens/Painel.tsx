import { useState } from 'react';
import { useStatus, useRuns, useConfig, useT, useDate, useLanguage } from '../hooks.js';
import { Badge, Button, Card, EmptyState, ErrorNote, ErrorText, Table, TechDetail } from '../components/ui.js';
import { describeGeo } from '../../../shared/i18n/index.js';
import { formatBytes, formatDuration } from '../../../shared/format.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { PlanStatus } from '../../../shared/rpc/contracts/status.js';
import { navigate } from '../navigation.js';
import { DemoNotices } from '../components/demo.js';
import { DrillOutcome } from './Testes.js';
import { runLabel } from './run-label.js';
import { PackGcBlocked } from '../components/pack-gc.js';

function PlanCard({ plan }: { plan: PlanStatus }) {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  const { runNow, starting } = useStatus();
  const { live } = useRuns();
  const [error, setError] = useState<RpcError>();
  const geo = describeGeo(plan.geo.separated, t);
  const running = Object.values(live).some((p) => plan.lastRun?.id === p.runId) || plan.lastRun?.status === 'running';
  const start = async (): Promise<void> => {
    const res = await runNow(plan.plan);
    setError('code' in res ? res : undefined);
  };
  return (
    <Card tone={plan.rpoState} title={plan.plan} actions={<Badge tone={plan.rpoState}>{t(`state.${plan.rpoState}`)}</Badge>}>
      <p className={`rpo-reason rpo-${plan.rpoState}`}>{t(`rpo.${plan.rpoState}`, { rpo: `${plan.rpoHours} h` })}</p>
      <dl className="facts">
        <dt>{t('painel.lastGood')}</dt>
        <dd>
          {plan.lastGoodSet ? (
            <>
              {date(plan.lastGoodSet.createdAt)}
              <br />
              <span className="muted">{t('painel.age', { age: formatDuration(plan.ageMs ?? 0), rpo: `${plan.rpoHours} h` })}</span>
            </>
          ) : (
            t('painel.noGood')
          )}
        </dd>
        <dt>{t('painel.nextRun')}</dt>
        <dd>{date(plan.nextRunAt)}</dd>
        <dt>{t('painel.storage')}</dt>
        <dd>{t('painel.storageUsed', { name: plan.storageName, bytes: formatBytes(plan.storageBytes ?? 0, lang) })}</dd>
        <dt>{t('painel.geo')}</dt>
        <dd>
          <span className={geo.tone === 'ok' ? undefined : geo.tone === 'failing' ? 'error-text' : 'warn-text'} data-geo={String(plan.geo.separated)}>
            {geo.text}
          </span>
          {geo.action ? <span className="muted small-block">{t('common.whatToDo', { hint: geo.action })}</span> : null}
          {plan.geo.message ? <TechDetail>{plan.geo.message}</TechDetail> : null}
        </dd>
        {plan.localServer ? (
          <>
            <dt>{t('painel.localServer')}</dt>
            <dd data-testid="local-server-notice" data-level={plan.localServer.level}>
              <span className={plan.localServer.level === 'warning' ? 'warn-text' : 'muted'}>
                {t(plan.localServer.level === 'warning' ? 'painel.localServerWarning' : 'painel.localServerInfo', { servers: plan.localServer.servers.join(', '), storage: plan.localServer.storage })}
              </span>
              {plan.localServer.level === 'warning' ? <span className="muted small-block">{t('common.whatToDo', { hint: t('painel.localServerWarningAction') })}</span> : null}
            </dd>
          </>
        ) : null}
        {plan.lastRun ? (
          <>
            <dt>{t('painel.lastRun')}</dt>
            <dd>
              <a href={`#/execucoes?run=${encodeURIComponent(plan.lastRun.id)}`}>
                {t(`run.${plan.lastRun.status}`)} · {date(plan.lastRun.startedAt)}
              </a>
              {plan.lastRun.error ? (
                <div className="error-cell" data-error-code={plan.lastRun.error.code}>
                  <ErrorText error={plan.lastRun.error} />
                </div>
              ) : null}
            </dd>
          </>
        ) : null}
      </dl>
      {plan.packsBlocked ? <PackGcBlocked gc={plan.packsBlocked} /> : null}
      <ErrorNote error={error} />
      <Button variant="primary" busy={starting[plan.plan] === true} disabled={running} onClick={() => void start()}>
        {running ? t('painel.running') : t('painel.runNow')}
      </Button>
    </Card>
  );
}

export function Painel() {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  const { status, error } = useStatus();
  const { runs } = useRuns();
  const { servers } = useConfig();
  if (!status) return <ErrorNote error={error} />;
  if (status.plans.length === 0) {
    const hasServers = servers.length > 0;
    return (
      <EmptyState
        title={t('painel.emptyTitle')}
        body={hasServers ? t('painel.noPlansWithServers') : t('painel.emptyBody')}
        action={
          hasServers ? (
            <Button variant="primary" onClick={() => navigate('planos')}>{t('painel.createPlan')}</Button>
          ) : (
            <Button variant="primary" onClick={() => navigate('servidores')}>{t('painel.emptyAction')}</Button>
          )
        }
      />
    );
  }
  const recent = runs.slice(0, 6);
  const label = runLabel(t);
  return (
    <>
      <DemoNotices />
      <ErrorNote error={error} />
      <div className="grid">
        {status.plans.map((p) => (
          <PlanCard key={p.plan} plan={p} />
        ))}
      </div>
      {status.lastDrill && !status.lastDrill.ok ? (
        <div data-testid="drill-failed-card">
          <Card tone="failing" title={t('painel.drillFailedTitle')} actions={<Badge tone="failing">{t('testes.failed')}</Badge>}>
            <p>{t('painel.drillFailedBody', { when: date(status.lastDrill.at), target: status.lastDrill.target })}</p>
            <DrillOutcome drill={status.lastDrill} />
            <Button onClick={() => navigate('testes')}>{t('painel.drillOpen')}</Button>
          </Card>
        </div>
      ) : (
        <p className="drill-line">
          {status.lastDrill ? t('painel.lastDrill', { when: date(status.lastDrill.at), result: t('testes.passed') }) : t('painel.noDrill')}
        </p>
      )}
      <Card title={t('painel.recentRuns')}>
        {recent.length === 0 ? <p className="muted">{t('painel.noRuns')}</p> : null}
        {recent.length === 0 ? null : <Table caption={t('painel.recentRuns')} head={[t('execucoes.plan'), t('execucoes.started'), t('execucoes.status'), t('execucoes.size'), t('execucoes.duration')]}>
          {recent.map((r) => (
            <tr key={r.id}>
              <td>{label(r)}</td>
              <td>
                <a href={`#/execucoes?run=${encodeURIComponent(r.id)}`}>{date(r.startedAt)}</a>
              </td>
              <td>
                <Badge tone={r.status === 'succeeded' ? 'ok' : r.status === 'failed' ? 'failing' : 'info'}>{t(`run.${r.status}`)}</Badge>
              </td>
              <td>{formatBytes(r.bytes, lang)}</td>
              <td>{r.durationMs === undefined ? '—' : formatDuration(r.durationMs)}</td>
            </tr>
          ))}
        </Table>}
      </Card>
    </>
  );
}
