import { useId, useState } from 'react';
import { useConfig, useSets, useT, useDate, useLanguage, useStores } from '../hooks.js';
import { Badge, Button, Card, EmptyState, ErrorNote, Pager, Table } from '../components/ui.js';
import { pageOf } from '../stores/paging.js';
import { formatBytes, shortHash } from '../../../shared/format.js';
import type { BackupSet, SetList } from '../../../shared/rpc/contracts/sets.js';
import type { BadgeTone } from '../components/ui.js';
import { navigate } from '../navigation.js';
import { CheckList } from '../components/messages.js';
import { useStore } from 'zustand';
import { FileBrowser } from '../components/file-browser.js';
import { PackGcFacts } from '../components/pack-gc.js';
import type { PackGc } from '../../../shared/rpc/contracts/pack-gc.js';

const STATE_TONE: Record<BackupSet['state'], BadgeTone> = { complete: 'ok', incomplete: 'failing', doubtful: 'late', unsigned: 'late' };

/** Each storage that did not answer, named with its error: its sets are unknown, not absent. */
export function UnreachableStorages({ unreachable }: { unreachable: SetList['unreachable'] }) {
  const t = useT();
  if (unreachable.length === 0) return null;
  return (
    <div role="alert" className="error-note unreachable">
      <strong>{t('storage.unreachableTitle')}</strong>
      <ul>
        {unreachable.map((u) => (
          <li key={u.storage}>
            {t('storage.unreachable', { storage: u.storage })} <span lang="en" className="muted">{u.message}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function SetItem({ set }: { set: BackupSet }) {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  const stores = useStores();
  const { verify, verifying, verifications } = useSets();
  const result = verifications[set.setId];
  const browsing = useStore(stores.files, (s) => s.setId === set.setId);
  const hasFiles = set.sources.some((s) => s.type === 'files');
  const restoreWhole = (): void => {
    stores.restore.getState().reset();
    stores.restore.getState().choosePoint(set.setId);
    navigate('restaurar');
  };
  const total = set.sources.reduce((a, s) => a + s.bytes, 0);
  return (
    <li className={`timeline-item${set.complete ? '' : ' timeline-incomplete'}`}>
      <Card
        title={
          <>
            {date(set.createdAt)} <code className="muted">{set.setId}</code>
          </>
        }
        actions={<Badge tone={STATE_TONE[set.state]}>{t(`copias.state.${set.state}`)}</Badge>}
      >
        <p className="muted">
          {set.plan} · {t('copias.storage', { storage: set.storage })} · {t('copias.total', { bytes: formatBytes(total, lang) })}
        </p>
        {set.state !== 'complete' ? (
          <p className={set.state === 'incomplete' ? 'muted' : 'error-text'}>
            {t(`copias.stateHelp.${set.state}`)}
            {set.problem ? (
              <>
                {' '}
                <span lang="en">({set.problem})</span>
              </>
            ) : null}
          </p>
        ) : null}
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
            <Button variant="primary" onClick={restoreWhole}>
              {t('copias.restoreThis')}
            </Button>
          ) : null}
          {set.complete && hasFiles ? (
            <Button aria-expanded={browsing} onClick={() => (browsing ? stores.files.getState().close() : void stores.files.getState().open(set.setId))}>
              {browsing ? t('browser.close') : t('browser.open')}
            </Button>
          ) : null}
        </div>
        {browsing ? (
          <FileBrowser
            store={stores.files}
            onRestoreWhole={restoreWhole}
            onRestore={(setId, path) => {
              stores.restore.getState().restorePath(setId, path);
              navigate('restaurar');
            }}
          />
        ) : null}
        {result && 'checks' in result ? (
          <div role="status" className="verify">
            <Badge tone={result.ok ? 'ok' : result.status === 'unchecked' ? 'late' : 'failing'}>
              {result.ok ? t('copias.verifyOk') : result.status === 'unchecked' ? t('copias.verifyUnchecked') : t('copias.verifyFail')}
            </Badge>
            <CheckList checks={result.checks} />
          </div>
        ) : (
          <ErrorNote error={result} />
        )}
      </Card>
    </li>
  );
}

/** The latest pack cleanup on each storage: what it freed, what waits, and a blocked one as a warning. */
function StorageCollections({ collections }: { collections: PackGc[] }) {
  const t = useT();
  const date = useDate();
  if (collections.length === 0) return null;
  return (
    <>
      {collections.map((g) => (
        <Card key={g.storage} title={t('packs.storageTitle', { storage: g.storage })} tone={g.blocked ? 'late' : undefined}>
          <p className="muted">{t('packs.lastAt', { when: date(g.at) })}</p>
          <PackGcFacts gc={g} />
        </Card>
      ))}
    </>
  );
}

export function Copias() {
  const t = useT();
  const { sets, unreachable, collections, plan, load, error, loaded } = useSets();
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
      <UnreachableStorages unreachable={unreachable} />
      <StorageCollections collections={collections} />
      {!loaded ? (
        <p className="muted" role="status">
          {t('app.loading')}
        </p>
      ) : sets.length === 0 && unreachable.length > 0 ? (
        <p className="muted">{t('copias.noneReachable')}</p>
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
