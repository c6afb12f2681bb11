/**
 * The file browser of one set: folders, search by name/size/date, one page at a time (the engine
 * holds the index). In Cópias each entry can be restored to a target, saved on this computer
 * (after a confirmation; audited) or compared with its other versions; in the restore wizard it
 * picks the paths to restore.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { useT, useDate, useLanguage, useStores } from '../hooks.js';
import { Badge, Button, ErrorNote, Pager, Table } from './ui.js';
import { formatBytes } from '../../../shared/format.js';
import { instantOfWallClock } from '../../../shared/zoned-time.js';
import { isSearching, type FilesStore } from '../stores/files.js';
import type { FileEntry, FilesSave } from '../../../shared/rpc/contracts/files.js';

const MB = 1024 * 1024;

/** The folders from the set's top folder down to `dir`, for the breadcrumbs. */
export function crumbsOf(dir: string | undefined, roots: readonly string[]): string[] {
  if (!dir) return [];
  const root = roots.filter((r) => dir === r || dir.startsWith(r === '/' ? '/' : `${r}/`)).sort((a, b) => b.length - a.length)[0];
  if (!root) return [dir];
  const out = [root];
  for (const part of dir.slice(root.length).split('/').filter((p) => p)) out.push(`${out[out.length - 1] === '/' ? '' : out[out.length - 1]}/${part}`);
  return out;
}

function labelOf(path: string, isRoot: boolean): string {
  return isRoot ? path : path.slice(path.lastIndexOf('/') + 1);
}

/** A browser console downloads through the one-time link; the desktop app saved already. */
function followDownload(result: FilesSave): void {
  if (result.kind !== 'download') return;
  const a = document.createElement('a');
  a.href = result.url;
  a.download = result.name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

function SearchForm({ store }: { store: FilesStore }) {
  const t = useT();
  const f = useStore(store);
  const timezone = useStore(useStores().settings, (s) => s.timezone);
  const id = useId();
  const [query, setQuery] = useState(f.query);
  const [minMb, setMinMb] = useState('');
  const [maxMb, setMaxMb] = useState('');
  const [after, setAfter] = useState('');
  const [before, setBefore] = useState('');
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const mb = (v: string): number | undefined => (v.trim() === '' || !Number.isFinite(Number(v.replace(',', '.'))) ? undefined : Math.round(Number(v.replace(',', '.')) * MB));
    void f.search(query, {
      minSize: mb(minMb), maxSize: mb(maxMb),
      modifiedAfter: after ? instantOfWallClock(`${after}T00:00`, timezone) : undefined,
      modifiedBefore: before ? instantOfWallClock(`${before}T23:59`, timezone) : undefined,
    });
  };
  const clear = (): void => {
    setQuery('');
    setMinMb('');
    setMaxMb('');
    setAfter('');
    setBefore('');
    void f.clearSearch();
  };
  return (
    <form className="file-search" onSubmit={submit} role="search" data-testid="file-search">
      <div className="field">
        <label htmlFor={`${id}-q`}>{t('browser.search')}</label>
        <input id={`${id}-q`} type="search" value={query} onChange={(e) => setQuery(e.target.value)} aria-describedby={`${id}-hint`} />
        <p className="field-hint" id={`${id}-hint`}>{t('browser.searchHint')}</p>
      </div>
      <div className="row file-filters">
        <div className="field">
          <label htmlFor={`${id}-min`}>{t('browser.minSize')}</label>
          <input id={`${id}-min`} inputMode="decimal" value={minMb} onChange={(e) => setMinMb(e.target.value)} size={6} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-max`}>{t('browser.maxSize')}</label>
          <input id={`${id}-max`} inputMode="decimal" value={maxMb} onChange={(e) => setMaxMb(e.target.value)} size={6} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-after`}>{t('browser.after')}</label>
          <input id={`${id}-after`} type="date" value={after} onChange={(e) => setAfter(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-before`}>{t('browser.before')}</label>
          <input id={`${id}-before`} type="date" value={before} onChange={(e) => setBefore(e.target.value)} />
        </div>
      </div>
      <div className="row">
        <button type="submit" className="btn btn-secondary">{t('browser.searchButton')}</button>
        {isSearching(f) ? <Button onClick={clear}>{t('browser.clear')}</Button> : null}
      </div>
    </form>
  );
}

function ConfirmSave({ store, setId }: { store: FilesStore; setId: string }) {
  const t = useT();
  const f = useStore(store);
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  const entry = f.pendingSave;
  if (!entry) return null;
  const confirm = async (): Promise<void> => {
    const r = await f.confirmSave();
    if (r) followDownload(r);
  };
  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="save-confirm-title" data-testid="save-confirm" onKeyDown={(e) => e.key === 'Escape' && f.cancelSave()}>
        <h2 id="save-confirm-title">{t('browser.confirmSaveTitle')}</h2>
        <p>{t('browser.confirmSaveBody', { path: entry.path, setId })}</p>
        {entry.type === 'dir' ? <p>{t('browser.confirmSaveFolder')}</p> : null}
        <ErrorNote error={f.saveError} compact />
        <div className="row">
          <Button onClick={f.cancelSave}>{t('common.cancel')}</Button>
          <button ref={first} type="button" className="btn btn-primary" aria-busy={f.saving || undefined} disabled={f.saving} onClick={() => void confirm()}>
            {t('browser.confirmSave')}
          </button>
        </div>
      </div>
    </div>
  );
}

function Versions({ store, onRestore }: { store: FilesStore; onRestore: ((setId: string, path: string) => void) | undefined }) {
  const t = useT();
  const timezone = useStore(useStores().settings, (s) => s.timezone);
  const date = useDate();
  const lang = useLanguage();
  const f = useStore(store);
  const v = f.versions;
  if (!v) return null;
  return (
    <section className="file-versions" aria-labelledby="versions-title" data-testid="file-versions">
      <h3 id="versions-title">{t('browser.versionsTitle', { path: v.path })}</h3>
      <ErrorNote error={v.error} compact />
      {!v.result && !v.error ? <p className="muted" role="status">{t('app.loading')}</p> : null}
      {v.result && v.result.versions.length <= 1 ? <p className="muted">{t('browser.versionsNone')}</p> : null}
      {v.result && v.result.versions.length > 0 ? (
        <Table caption={t('browser.versionsTitle', { path: v.path })} head={[t('browser.versionSet'), t('browser.size'), t('browser.modified', { tz: timezone }), t('browser.versionState'), t('browser.actions')]}>
          {v.result.versions.map((x) => (
            <tr key={x.setId} data-set={x.setId}>
              <th scope="row">
                {date(x.createdAt)} <code className="muted">{x.setId}</code>
              </th>
              <td>{x.type === 'dir' ? '—' : formatBytes(x.size, lang)}</td>
              <td>{date(x.mtime)}</td>
              <td>
                {x.current ? <Badge tone="info">{t('browser.versionCurrent')}</Badge> : <Badge tone={x.sameContent ? 'ok' : 'late'}>{x.sameContent ? t('browser.versionSame') : t('browser.versionDifferent')}</Badge>}
              </td>
              <td>{onRestore && !x.current ? <Button onClick={() => onRestore(x.setId, v.path)}>{t('browser.versionRestore')}</Button> : null}</td>
            </tr>
          ))}
        </Table>
      ) : null}
      {v.result && v.result.skipped.length > 0 ? <p className="muted small">{t('browser.versionsSkipped', { count: v.result.skipped.length })}</p> : null}
      <Button onClick={f.closeVersions}>{t('browser.closeVersions')}</Button>
    </section>
  );
}

export interface FileBrowserProps {
  store: FilesStore;
  /** Cópias: restore one path of a set (opens the wizard); the wizard's picker leaves it out */
  onRestore?: (setId: string, path: string) => void;
  /** Cópias, format 1: restore the whole set */
  onRestoreWhole?: () => void;
  /** the wizard's path picker: choose this path */
  onPick?: (path: string) => void;
  picked?: readonly string[];
}

export function FileBrowser({ store, onRestore, onRestoreWhole, onPick, picked = [] }: FileBrowserProps) {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  const timezone = useStore(useStores().settings, (s) => s.timezone);
  const f = useStore(store);
  const listing = f.listing;
  if (!f.setId) return null;
  if (listing?.format === 'archive') {
    return (
      <section className="file-browser" data-testid="file-browser" data-format="archive">
        <p>{t('browser.archive', { sources: listing.sources.join(', ') })}</p>
        {onRestoreWhole ? <Button variant="primary" onClick={onRestoreWhole}>{t('browser.restoreWhole')}</Button> : null}
      </section>
    );
  }
  const crumbs = crumbsOf(f.dir, f.roots);
  const searching = isSearching(f);
  const row = (e: FileEntry) => {
    const chosen = picked.includes(e.path);
    return (
      <tr key={e.path} data-path={e.path} data-type={e.type}>
        <th scope="row">
          {e.type === 'dir' ? (
            <button type="button" className="link-button" onClick={() => void f.cd(e.path)}>
              📁 {searching ? e.path : e.name}
            </button>
          ) : (
            <span>{searching ? e.path : e.name}</span>
          )}{' '}
          <span className="muted small">{t(`browser.type.${e.type}`)}</span>
        </th>
        <td>{e.type === 'dir' ? '—' : formatBytes(e.size, lang)}</td>
        <td>{date(e.mtime)}</td>
        <td className="row">
          {onPick ? (
            chosen ? <Badge tone="info">{t('browser.picked')}</Badge> : <Button disabled={e.type === 'other'} onClick={() => onPick(e.path)}>{t('browser.pick')}</Button>
          ) : (
            <>
              {onRestore && e.type !== 'other' ? <Button onClick={() => onRestore(f.setId ?? '', e.path)}>{t('browser.restore')}</Button> : null}
              {e.type !== 'other' ? <Button onClick={() => f.askSave(e)}>{t('browser.saveLocal')}</Button> : null}
              <Button onClick={() => void f.showVersions(e.path)}>{t('browser.versions')}</Button>
            </>
          )}
        </td>
      </tr>
    );
  };
  return (
    <section className="file-browser" data-testid="file-browser" data-format="index" aria-busy={f.loading || undefined}>
      <nav aria-label={t('browser.where')} className="crumbs row">
        <button type="button" className="link-button" onClick={() => void f.cd(undefined)}>
          {t('browser.top')}
        </button>
        {crumbs.map((c, i) => (
          <span key={c}>
            {' / '}
            {i === crumbs.length - 1 && !searching ? (
              <strong aria-current="location">{labelOf(c, i === 0)}</strong>
            ) : (
              <button type="button" className="link-button" onClick={() => void f.cd(c)}>
                {labelOf(c, i === 0)}
              </button>
            )}
          </span>
        ))}
      </nav>
      <SearchForm key={`${f.setId}:${f.dir ?? ''}`} store={store} />
      <ErrorNote error={f.error} />
      {listing ? (
        <>
          <p className="muted" role="status" data-testid="file-count">
            {searching ? t('browser.results', { total: listing.total }) : t('browser.count', { total: listing.total })}
          </p>
          {listing.entries.length === 0 ? (
            <p className="muted">{searching ? t('browser.noResults') : t('browser.empty')}</p>
          ) : (
            <Table caption={t('browser.where')} head={[t('browser.name'), t('browser.size'), t('browser.modified', { tz: timezone }), t('browser.actions')]}>
              {listing.entries.map(row)}
            </Table>
          )}
          <Pager page={listing.page} pages={listing.pages} total={listing.total} onPage={(p) => void f.goPage(p)} testId="files-pager" />
        </>
      ) : (
        <p className="muted" role="status">{t('app.loading')}</p>
      )}
      <Versions store={store} onRestore={onRestore} />
      {f.saved ? (
        <p role="status" className="ok-text" data-testid="save-result">
          {f.saved.kind === 'saved'
            ? t('browser.saved', { path: f.saved.savedTo, bytes: formatBytes(f.saved.bytes, lang) })
            : f.saved.kind === 'download'
              ? t('browser.downloading', { name: f.saved.name })
              : t('browser.cancelled')}
        </p>
      ) : null}
      {f.pendingSave ? <ConfirmSave store={store} setId={f.setId} /> : null}
    </section>
  );
}
