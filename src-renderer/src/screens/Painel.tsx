import { useState } from 'react';
import { useStatus, useRuns, useT, useDate, useLanguage } from '../hooks.js';
import { Badge, Button, Card, EmptyState, ErrorNote, Table } from '../components/ui.js';
import { formatBytes, formatDuration } from '../../../shared/format.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { PlanStatus } from '../../../shared/rpc/contracts/status.js';
import { navigate } from '../navigation.js';

function PlanCard({ plan }: { plan: PlanStatus }) {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  const { runNow, starting } = useStatus();
  const { live } = useRuns();
  const [error, setError] = useState<RpcError>();
  const running = Object.values(live).some((p) => plan.lastRun?.id === p.runId) || plan.lastRun?.status === 'running';
  const start = async (): Promise<void> => {
    const res = await runNow(plan.plan);
    setError('code' in res ? res : undefined);
  };
  return (
    <Card tone={plan.rpoState} title={plan.plan} actions={<Badge tone={plan.rpoState}>{t(`state.${plan.rpoState}`)}</Badge>}>
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
        <dd>{plan.geo.separated ? t('painel.geoOk', { where: plan.geo.message ?? '' }) : <span className="warn-text">{t('painel.geoBad', { why: plan.geo.message ?? '' })}</span>}</dd>
        {plan.lastRun ? (
          <>
            <dt>{t('painel.lastRun')}</dt>
            <dd>
              {t(`run.${plan.lastRun.status}`)} · {date(plan.lastRun.startedAt)}
              {plan.lastRun.error ? <span className="error-text"><br />{plan.lastRun.error.message}</span> : null}
              {plan.lastRun.error?.hint ? <span className="muted"><br />{t('common.whatToDo', { hint: plan.lastRun.error.hint })}</span> : null}
            </dd>
          </>
        ) : null}
      </dl>
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
  if (!status) return <ErrorNote error={error} />;
  if (status.plans.length === 0) {
    return (
      <EmptyState
        title={t('painel.emptyTitle')}
        body={t('painel.emptyBody')}
        action={<Button variant="primary" onClick={() => navigate('servidores')}>{t('painel.emptyAction')}</Button>}
      />
    );
  }
  const recent = runs.slice(0, 6);
  return (
    <>
      <ErrorNote error={error} />
      <div className="grid">
        {status.plans.map((p) => (
          <PlanCard key={p.plan} plan={p} />
        ))}
      </div>
      <p className="drill-line">
        {status.lastDrill
          ? t('painel.lastDrill', { when: date(status.lastDrill.at), result: status.lastDrill.ok ? t('testes.passed') : t('testes.failed') })
          : t('painel.noDrill')}
      </p>
      <Card title={t('painel.recentRuns')}>
        <Table caption={t('painel.recentRuns')} head={[t('execucoes.plan'), t('execucoes.started'), t('execucoes.status'), t('execucoes.size'), t('execucoes.duration')]}>
          {recent.map((r) => (
            <tr key={r.id}>
              <td>{r.plan}</td>
              <td>{date(r.startedAt)}</td>
              <td>
                <Badge tone={r.status === 'succeeded' ? 'ok' : r.status === 'failed' ? 'failing' : 'info'}>{t(`run.${r.status}`)}</Badge>
              </td>
              <td>{formatBytes(r.bytes, lang)}</td>
              <td>{r.durationMs === undefined ? '—' : formatDuration(r.durationMs)}</td>
            </tr>
          ))}
        </Table>
      </Card>
    </>
  );
}
