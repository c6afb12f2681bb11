import { useStore } from 'zustand';
import { useAudit, useT, useDate, useStores } from '../hooks.js';
import { Badge, Button, EmptyState, ErrorNote, Field, Pager, SelectField, Table } from '../components/ui.js';
import { actorOf, auditCsv, describeAction, detailPairs, filterChoices } from '../stores/audit-view.js';
import { pageOf } from '../stores/paging.js';

/** Saves text as a file through the browser (works the same in Electron). */
function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function Auditoria() {
  const t = useT();
  const date = useDate();
  const timezone = useStore(useStores().settings, (s) => s.timezone);
  const { entries, filter, setFilter, clearFilter, page, setPage, visible, error } = useAudit();
  const shown = visible(timezone);
  const current = pageOf(shown, page);
  const choices = filterChoices(entries);
  const exportCsv = (): void => {
    const stamp = new Date().toISOString().slice(0, 10);
    download(`cofre-auditoria-${stamp}.csv`, auditCsv(shown, t, date), 'text/csv;charset=utf-8');
  };
  const filtered = filter.who !== '' || filter.action !== '' || filter.since !== '';
  return (
    <>
      <form className="form filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label={t('auditoria.actor')}
          value={filter.who}
          testId="audit-filter-who"
          onChange={(who) => setFilter({ who })}
          options={[{ value: '', label: t('auditoria.all') }, ...choices.who.map((w) => ({ value: w, label: w }))]}
        />
        <SelectField
          label={t('auditoria.action')}
          value={filter.action}
          testId="audit-filter-action"
          onChange={(action) => setFilter({ action })}
          options={[{ value: '', label: t('auditoria.allActions') }, ...choices.actions.map((a) => ({ value: a, label: describeAction(a, t) }))]}
        />
        <Field label={t('auditoria.since')} type="date" value={filter.since} onChange={(e) => setFilter({ since: e.target.value })} data-testid="audit-filter-since" />
        <div className="row filter-actions">
          {filtered ? <Button onClick={clearFilter}>{t('auditoria.clear')}</Button> : null}
          <Button onClick={exportCsv} disabled={shown.length === 0} data-testid="audit-export">
            {t('auditoria.export')}
          </Button>
        </div>
      </form>
      <ErrorNote error={error} />
      {shown.length === 0 ? (
        <EmptyState title={t('auditoria.emptyTitle')} body={t('auditoria.emptyBody')} />
      ) : (
        <>
          <Table caption={t('auditoria.title')} head={[t('auditoria.when'), t('auditoria.actor'), t('auditoria.action'), t('auditoria.target'), t('auditoria.details')]}>
            {current.items.map((e, i) => {
              const a = actorOf(e.actor);
              const pairs = detailPairs(e.details);
              return (
                <tr key={`${e.at}-${i}`} data-testid="audit-row">
                  <td>{date(e.at)}</td>
                  <td>
                    {a.who}
                    {a.via ? <span className="muted small-block">{t('auditoria.via', { via: a.via })}</span> : null}
                  </td>
                  <td>
                    <Badge tone="info">{describeAction(e.action, t)}</Badge>
                  </td>
                  <td>{e.target}</td>
                  <td>
                    {pairs.length === 0 ? (
                      '—'
                    ) : (
                      <dl className="kv">
                        {pairs.map(([k, v], j) => (
                          <div key={`${k}-${j}`}>
                            {k ? <dt>{k}</dt> : null}
                            <dd>{v}</dd>
                          </div>
                        ))}
                      </dl>
                    )}
                  </td>
                </tr>
              );
            })}
          </Table>
          <Pager page={current.page} pages={current.pages} total={current.total} onPage={setPage} testId="audit-pager" />
        </>
      )}
    </>
  );
}
