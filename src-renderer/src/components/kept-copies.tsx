/**
 * Restaurar → *Cópias guardadas*: what restores kept on their targets of what they replaced
 * (safety folders, `_antes_` / `_old_` databases and folders), with the same facts as
 * `cofre kept` (target, what, size, when in the clinic's time zone, which restore), and their
 * removal behind a confirmation; the newest copy of something needs a second, explicit one.
 * Also the restore's last step: what that restore kept, with a link here.
 */
import { useEffect, useRef } from 'react';
import { useStore } from 'zustand';
import { useDate, useKept, useLanguage, useStores, useT } from '../hooks.js';
import { useHashParam } from '../navigation.js';
import { Badge, Button, Card, TechDetail, Table } from './ui.js';
import { formatBytes } from '../../../shared/format.js';
import { catalogText, describeEngineError, type CatalogKey, type MessageParams, type Translate } from '../../../shared/i18n/index.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { KeptCopy, KeptRef } from '../../../shared/rpc/contracts/kept.js';

/** The hash parameter that brings the list into view: `#/restaurar?view=kept`. */
export const KEPT_HREF = '#/restaurar?view=kept';

function said(t: Translate, key: CatalogKey, params?: MessageParams): string {
  return catalogText(t.language, key, params).text;
}

/** What a copy is, in words: "Banco PostgreSQL", "cópia de clinica". */
function describeCopy(c: KeptRef, t: Translate): { what: string; of: string } {
  return { what: said(t, `kept.kind.${c.kind}`), of: said(t, c.kind === 'safety' ? 'kept.safetyOf' : 'kept.copyOf', { of: c.of }) };
}

/** The engine's refusal, in the console's words: the catalog's message, and what to do here (not the CLI's flags). */
const CONSOLE_ACTION: Partial<Record<string, CatalogKey>> = {
  'drill.kept.gone': 'kept.goneDo',
  'drill.kept.unknown': 'kept.unknownDo',
  'drill.kept.newest': 'kept.newestDo',
};

function KeptError({ error }: { error: RpcError }) {
  const t = useT();
  const e = describeEngineError(error, t);
  const own = error.key ? CONSOLE_ACTION[error.key] : undefined;
  const action = own ? said(t, own) : e.action;
  return (
    <div className="error-note error-note-compact" role="alert" data-error-code={error.code} data-key={error.key ?? ''}>
      <p className="error-title">
        <strong>{e.title}</strong>
      </p>
      {action ? <p className="error-action">{t('common.whatToDo', { hint: action })}</p> : null}
      <TechDetail>
        <p>
          {e.detail} <code>[{error.code}]</code>
        </p>
        {e.hint ? <p>{e.hint}</p> : null}
      </TechDetail>
    </div>
  );
}

function ConfirmRemove({ copy }: { copy: KeptCopy }) {
  const t = useT();
  const date = useDate();
  const k = useKept();
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  const d = describeCopy(copy, t);
  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="kept-confirm-title" data-testid="kept-confirm" data-newest={String(copy.newest)} onKeyDown={(e) => e.key === 'Escape' && k.cancel()}>
        <h2 id="kept-confirm-title">{said(t, 'kept.confirmTitle')}</h2>
        <p data-testid="kept-confirm-body">
          {said(t, 'kept.confirmBody', { what: d.what, name: copy.name, target: copy.target })}
        </p>
        <p className="muted">{said(t, 'kept.confirmFacts', { of: d.of, when: date(copy.madeAt) })}</p>
        {copy.newest ? (
          <div className="danger-zone" data-testid="kept-newest">
            <p className="warn-text">{said(t, 'kept.newestWarn', { of: copy.of })}</p>
            <label className="check">
              <input type="checkbox" checked={k.force} onChange={(e) => k.setForce(e.target.checked)} data-testid="kept-force" /> {said(t, 'kept.newestConfirm')}
            </label>
          </div>
        ) : null}
        {k.removeError ? <KeptError error={k.removeError} /> : null}
        <div className="row">
          <button ref={cancel} type="button" className="btn btn-secondary" disabled={k.removing} onClick={k.cancel}>
            {t('common.cancel')}
          </button>
          <Button variant="danger" busy={k.removing} disabled={!k.canConfirm()} onClick={() => void k.confirm()} data-testid="kept-confirm-remove">
            {said(t, 'kept.confirmRemove')}
          </Button>
        </div>
      </div>
    </div>
  );
}

function KeptRow({ copy }: { copy: KeptCopy }) {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  const k = useKept();
  const d = describeCopy(copy, t);
  return (
    <tr data-name={copy.name} data-target={copy.target} data-newest={String(copy.newest)}>
      <td>{copy.target}</td>
      <th scope="row">
        <code>{copy.name}</code>
        <br />
        <span className="muted small">
          {d.what}, {d.of}
        </span>
      </th>
      <td>{copy.bytes === undefined ? said(t, 'kept.sizeUnknown') : formatBytes(copy.bytes, lang)}</td>
      <td>{date(copy.madeAt)}</td>
      <td>{copy.setId ? said(t, 'kept.fromRestore', { run: copy.runId, setId: copy.setId }) : `#${copy.runId}`}</td>
      <td>
        {copy.newest ? (
          <>
            <Badge tone="late">{said(t, 'kept.newest')}</Badge>
            <br />
            <span className="muted small">{said(t, 'kept.newestWhy')}</span>
          </>
        ) : (
          <Badge tone="info">{said(t, 'kept.older')}</Badge>
        )}
      </td>
      <td>
        <Button variant="danger" aria-label={said(t, 'kept.removeLabel', { name: copy.name, target: copy.target })} onClick={() => k.ask(copy)}>
          {said(t, 'kept.remove')}
        </Button>
      </td>
    </tr>
  );
}

/** The list of kept copies on every target, with removal. */
export function KeptCopies() {
  const t = useT();
  const k = useKept();
  const timezone = useStore(useStores().settings, (s) => s.timezone);
  const view = useHashParam('view');
  const section = useRef<HTMLDivElement>(null);
  const load = k.load;
  useEffect(() => {
    // the link from a restore's last step: bring the list into view, fresh
    if (view !== 'kept') return;
    section.current?.scrollIntoView({ block: 'start' });
    section.current?.querySelector<HTMLElement>('h2 > span')?.focus();
    void load();
  }, [view, load]);
  return (
    <div ref={section} id="kept" data-testid="kept-copies" data-loaded={String(k.loaded && !k.loading)}>
      <Card title={<span tabIndex={-1}>{said(t, 'kept.title')}</span>} actions={<Button busy={k.loading} onClick={() => void k.load()}>{t('common.refresh')}</Button>}>
        <p className="muted">{said(t, 'kept.intro')}</p>
        {k.error ? <KeptError error={k.error} /> : null}
        {k.unreachable.map((u) => (
          <div key={u.target} className="warn-note" data-testid="kept-unreachable" data-target={u.target}>
            <p>
              <strong>{said(t, 'kept.unreachable', { target: u.target })}</strong>
            </p>
            <KeptError error={u.error} />
          </div>
        ))}
        {k.removed ? (
          <p role="status" className="ok-text" data-testid="kept-removed">
            <Badge tone="ok">{said(t, 'kept.removed', { name: k.removed.name, target: k.removed.target })}</Badge>
          </p>
        ) : null}
        {!k.loaded || (k.loading && k.copies.length === 0) ? (
          <p className="muted" aria-busy="true">
            {said(t, 'kept.loading')}
          </p>
        ) : k.copies.length === 0 ? (
          <p className="muted" data-testid="kept-none">
            {said(t, 'kept.none')}
          </p>
        ) : (
          <Table
            caption={said(t, 'kept.title')}
            head={[said(t, 'kept.col.target'), said(t, 'kept.col.copy'), said(t, 'kept.col.size'), said(t, 'kept.col.made', { tz: timezone }), said(t, 'kept.col.restore'), said(t, 'kept.col.state'), said(t, 'kept.col.actions')]}
          >
            {k.copies.map((c) => (
              <KeptRow key={`${c.target}\0${c.name}`} copy={c} />
            ))}
          </Table>
        )}
      </Card>
      {k.pending ? <ConfirmRemove copy={k.pending} /> : null}
    </div>
  );
}

/** In a restore's last step: what it kept of what it replaced, and where to see and remove it. */
export function KeptAfterRestore({ kept }: { kept: KeptRef[] | undefined }) {
  const t = useT();
  if (!kept?.length) return null;
  const target = kept[0]?.target ?? '';
  return (
    <div className="warn-note" data-testid="restore-kept">
      <p>
        {said(t, 'kept.afterRestore', { target, count: kept.length })}:{' '}
      </p>
      <ul>
        {kept.map((c) => {
          const d = describeCopy(c, t);
          return (
            <li key={c.name}>
              {d.what} <code>{c.name}</code> <span className="muted">({d.of})</span>
            </li>
          );
        })}
      </ul>
      <p>
        <a href={KEPT_HREF} data-testid="restore-kept-link">
          {said(t, 'kept.afterRestoreLink')}
        </a>
      </p>
    </div>
  );
}
