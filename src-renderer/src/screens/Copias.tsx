import { useId, useState } from 'react';
import { useConfig, useSets, useT, useDate, useLanguage, useStores } from '../hooks.js';
import { Badge, Button, Card, EmptyState, ErrorNote, Pager, Table } from '../components/ui.js';
import { pageOf } from '../stores/paging.js';
import { formatBytes, shortHash } from '../../../shared/format.js';
import type { BackupSet } from '../../../shared/rpc/contracts/sets.js';
import { navigate } from '../navigation.js';
import { describeCheck } from '../../../shared/i18n/index.js';

function SetItem({ set }: { set: BackupSet }) {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  const stores = useStores();
  const { verify, verifying, verifications } = useSets();
  const result = verifications[set.setId];
  const total = set.sources.reduce((a, s) => a + s.bytes, 0);
  return (
    <li className={`timeline-item${set.complete ? '' : ' timeline-incomplete'}`}>
      <Card
        title={
          <>
            {date(set.createdAt)} <code className="muted">{set.setId}</code>
          </>
        }
        actions={set.complete ? <Badge tone="ok">{t('copias.complete')}</Badge> : <Badge tone="failing">{t('copias.incomplete')}</Badge>}
      >
        <p className="muted">
          {set.plan} · {t('copias.total', { bytes: formatBytes(total, lang) })}
        </p>
        <Table caption={set.setId} head={[t('copias.source'), t('copias.type'), t('copias.size'), t('copias.hash')]}>
          {set.sources.map((s) => (
            <tr key={s.name}>
              <th scope="row">{s.name}</th>
              <td>{t(`planos.sourceType.${s.type}`)}</td>
              <td>{formatBytes(s.bytes, lang)}</td>
              <td>
                {s.objects.map((o) => (
                  <code key={o.key} title={`${o.key}\n${o.sha256}`}>
                    {shortHash(o.sha256, 8)}
                  </code>
                ))}
              </td>
            </tr>
          ))}
        </Table>
        <div className="row">
          <Button busy={verifying[set.setId] === 'quick'} onClick={() => void verify(set.setId, false)}>
            {verifying[set.setId] === 'quick' ? t('copias.verifying') : t('copias.verify')}
          </Button>
          <Button busy={verifying[set.setId] === 'deep'} onClick={() => void verify(set.setId, true)}>
            {t('copias.verifyDeep')}
          </Button>
          {set.complete ? (
            <Button
              variant="primary"
              onClick={() => {
                stores.restore.getState().reset();
                stores.restore.getState().choosePoint(set.setId);
                navigate('restaurar');
              }}
            >
              {t('copias.restoreThis')}
            </Button>
          ) : null}
        </div>
        {result && 'checks' in result ? (
          <div role="status" className="verify">
            <Badge tone={result.ok ? 'ok' : result.status === 'unchecked' ? 'late' : 'failing'}>
              {result.ok ? t('copias.verifyOk') : result.status === 'unchecked' ? t('copias.verifyUnchecked') : t('copias.verifyFail')}
            </Badge>
            <ul>
              {result.checks.map((c) => (
                <li key={c.name} className={c.ok ? '' : c.status === 'unchecked' ? 'warn-text' : 'error-text'}>
                  {c.ok ? '✓' : c.status === 'unchecked' ? `? ${t('copias.checkUnchecked')}` : '✕'} {describeCheck(c.name, t)}: <span lang="en">{c.message}</span>
                </li>
              ))}
            </ul>
          </div>
        ) : (
          <ErrorNote error={result} />
        )}
      </Card>
    </li>
  );
}

export function Copias() {
  const t = useT();
  const { sets, plan, load, error, loaded } = useSets();
  const { plans } = useConfig();
  const filterId = useId();
  const [page, setPage] = useState(1);
  const current = pageOf(sets, page);
  return (
    <>
      <div className="toolbar">
        <label htmlFor={filterId}>{t('copias.plan')}</label>
        <select id={filterId} value={plan ?? ''} onChange={(e) => void load(e.target.value || undefined)}>
          <option value="">{t('copias.all')}</option>
          {plans.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name}
            </option>
          ))}
        </select>
      </div>
      <ErrorNote error={error} />
      {!loaded ? (
        <p className="muted" role="status">
          {t('app.loading')}
        </p>
      ) : sets.length === 0 ? (
        <EmptyState title={t('copias.emptyTitle')} body={t('copias.emptyBody')} action={<Button variant="primary" onClick={() => navigate('painel')}>{t('copias.emptyAction')}</Button>} />
      ) : (
        <>
          <ol className="timeline">
            {current.items.map((s) => (
              <SetItem key={s.setId} set={s} />
            ))}
          </ol>
          <Pager page={current.page} pages={current.pages} total={current.total} onPage={setPage} testId="sets-pager" />
        </>
      )}
    </>
  );
}
