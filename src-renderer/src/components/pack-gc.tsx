/**
 * What a prune's pack garbage collection did on one storage: packs deleted and bytes freed, packs
 * waiting and from when they may go (clinic time), and — as a warning — a collection blocked by a
 * doubtful set, naming it and the command that clears it (once that set is forgotten, a note instead). Used by Execuções (a run's prune) and
 * Cópias (the latest collection per storage).
 */
import { useDate, useLanguage, useT } from '../hooks.js';
import { formatBytes } from '../../../shared/format.js';
import { catalogText, isCatalogKey } from '../../../shared/i18n/index.js';
import type { PackGc } from '../../../shared/rpc/contracts/pack-gc.js';
import { TechDetail } from './ui.js';

export function PackGcBlocked({ gc }: { gc: PackGc }) {
  const t = useT();
  const b = gc.blocked;
  if (!b) return null;
  const said = isCatalogKey(b.key) ? catalogText(t.language, b.key, b.params, true) : undefined;
  const bySet = b.key === 'gc.blockedBySet' && b.setId !== undefined;
  return (
    <div className="warn-note" role="alert" data-testid="pack-gc-blocked" data-set={b.setId ?? ''}>
      <p>
        <strong>{t('packs.blockedTitle', { storage: gc.storage })}</strong>
      </p>
      {said ? <p>{said.text}</p> : null}
      {bySet ? (
        <>
          <p>{t('packs.blockedBySetDo', { setId: b.setId ?? '', storage: gc.storage })}</p>
          <p>
            {t('packs.blockedCommand')}: <code data-testid="pack-gc-forget">{`cofre forget ${b.setId ?? ''} --storage ${gc.storage}`}</code>
          </p>
        </>
      ) : said?.action ? (
        <p>{t('common.whatToDo', { hint: said.action })}</p>
      ) : null}
      <TechDetail>
        <p>{b.reason}</p>
      </TechDetail>
    </div>
  );
}

/** A collection blocked by a set that was forgotten since: no warning, a note that the next prune collects. */
function PackGcBlockerForgotten({ gc }: { gc: PackGc }) {
  const t = useT();
  const date = useDate();
  const f = gc.blockerForgotten;
  if (!f) return null;
  const said = catalogText(t.language, 'gc.blockerForgotten', { setId: f.setId, storage: gc.storage, when: date(f.at) });
  return (
    <p className="muted" data-testid="pack-gc-forgotten" data-set={f.setId}>
      {said.text}. {said.action}
    </p>
  );
}

/** The numbers of one collection (and its warning when blocked, or the note that its blocker is gone). */
export function PackGcFacts({ gc }: { gc: PackGc }) {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  return (
    <div className="pack-gc" data-testid="pack-gc" data-storage={gc.storage}>
      <PackGcBlocked gc={gc} />
      <PackGcBlockerForgotten gc={gc} />
      <ul className="pack-gc-facts">
        <li data-testid="pack-gc-deleted">
          {gc.deleted > 0 ? t('packs.deleted', { n: gc.deleted, bytes: formatBytes(gc.bytesFreed, lang) }) : t('packs.noneDeleted')}
        </li>
        {/* a blocked collection may not have looked for unused packs at all: "none waiting" would be a guess */}
        {gc.pending > 0 && gc.nextDeletableAt ? (
          <li data-testid="pack-gc-pending">{t('packs.pending', { n: gc.pending, bytes: formatBytes(gc.pendingBytes, lang), when: date(gc.nextDeletableAt) })}</li>
        ) : gc.blocked || gc.blockerForgotten ? null : (
          <li data-testid="pack-gc-pending">{t('packs.noPending')}</li>
        )}
        {gc.failed > 0 ? <li className="warn-text">{t('packs.failed', { n: gc.failed })}</li> : null}
        {/* counted before this cleanup's deletions: what stays is packs − deleted */}
        {gc.packs - gc.deleted > 0 && !gc.blocked && !gc.blockerForgotten ? <li className="muted">{t('packs.inUse', { referenced: gc.referenced, packs: gc.packs - gc.deleted })}</li> : null}
      </ul>
      {gc.pending > 0 ? <p className="muted small">{t('packs.pendingWhy', { hours: gc.waitHours })}</p> : null}
    </div>
  );
}
