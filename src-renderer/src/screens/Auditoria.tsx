import type { FormEvent } from 'react';
import { useAudit, useT, useDate } from '../hooks.js';
import { EmptyState, ErrorNote, Field, Table } from '../components/ui.js';

export function Auditoria() {
  const t = useT();
  const date = useDate();
  const { entries, filter, setFilter, load, error } = useAudit();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void load();
  };
  return (
    <>
      <form className="form filters" onSubmit={submit} role="search">
        <Field label={t('auditoria.actor')} value={filter.actor} onChange={(e) => setFilter({ actor: e.target.value })} />
        <Field label={t('auditoria.action')} value={filter.action} onChange={(e) => setFilter({ action: e.target.value })} />
        <Field label={t('auditoria.since')} type="date" value={filter.since} onChange={(e) => setFilter({ since: e.target.value })} />
        <button type="submit" className="btn btn-secondary">
          {t('auditoria.filter')}
        </button>
      </form>
      <ErrorNote error={error} />
      {entries.length === 0 ? (
        <EmptyState title={t('auditoria.emptyTitle')} body={t('auditoria.emptyBody')} />
      ) : (
        <Table caption={t('auditoria.title')} head={[t('auditoria.when'), t('auditoria.actor'), t('auditoria.action'), t('auditoria.target'), t('auditoria.details')]}>
          {entries.map((e, i) => (
            <tr key={`${e.at}-${i}`}>
              <td>{date(e.at)}</td>
              <td>{e.actor}</td>
              <td>
                <code>{e.action}</code>
              </td>
              <td>{e.target}</td>
              <td>{e.details}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
