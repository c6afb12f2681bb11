import { useEffect, useId, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { useRestore, useSets, useT, useDate, useLanguage, useClockTime, useStores } from '../hooks.js';
import { describePhase } from '../../../shared/i18n/index.js';
import { CheckList, ValidationRow } from '../components/messages.js';
import { navigate } from '../navigation.js';
import { Badge, Button, Card, EmptyState, ErrorNote, Field, ProgressBar, Table } from '../components/ui.js';
import { formatBytes, formatClock, formatDuration, formatRate } from '../../../shared/format.js';
import type { WizardStep } from '../stores/restore.js';
import { UnreachableStorages } from './Copias.js';
import { dataAgeMs, isRestorable, sourceChoices } from '../stores/restore-choice.js';
import { instantOfWallClock, wallClockOf } from '../../../shared/zoned-time.js';
import type { Translate } from '../../../shared/i18n/index.js';
import type { SourceType, Target } from '../../../shared/rpc/contracts/restore.js';
import { FileBrowser } from '../components/file-browser.js';
import { reportHref } from '../../../shared/report-href.js';
import { KeptAfterRestore, KeptCopies } from '../components/kept-copies.js';

const RTO_BUDGET_MS = 4 * 3_600_000;
const RPO_BUDGET_MS = 24 * 3_600_000;

/** The date-and-time picker beside the list: an instant in the clinic's zone picks a set as `--at` does. */
function PointInTime() {
  const t = useT();
  const date = useDate();
  const r = useRestore();
  const timezone = useStore(useStores().settings, (s) => s.timezone);
  const [value, setValue] = useState(() => wallClockOf(new Date().toISOString(), timezone));
  const id = useId();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const at = instantOfWallClock(value, timezone);
    if (at) void r.resolveAt(at);
  };
  const age = r.point ? dataAgeMs(r.point.at, r.point.createdAt) : undefined;
  return (
    <form className="point-picker" onSubmit={submit} aria-labelledby={`${id}-title`} data-testid="point-in-time">
      <h3 id={`${id}-title`}>{t('restaurar.pointInTime')}</h3>
      <div className="field">
        <label htmlFor={id}>{t('restaurar.instant', { tz: timezone })}</label>
        <input id={id} type="datetime-local" value={value} onChange={(e) => setValue(e.target.value)} required data-testid="point-instant" />
      </div>
      <div className="row">
        <button type="submit" className="btn btn-secondary" aria-busy={r.resolving || undefined} disabled={r.resolving || !instantOfWallClock(value, timezone)}>
          {t('restaurar.findPoint')}
        </button>
      </div>
      <ErrorNote error={r.pointError} compact />
      {r.point && age !== undefined ? (
        <div role="status" data-testid="point-result" data-set={r.point.setId}>
          <p>{t('restaurar.pointPicked', { at: date(r.point.at), when: date(r.point.createdAt) })}</p>
          <p data-testid="point-rpo">
            <Badge tone={age > RPO_BUDGET_MS ? 'late' : 'ok'}>{t('restaurar.dataAge', { age: formatDuration(age) })}</Badge>
          </p>
          {age > RPO_BUDGET_MS ? <p className="warn-text">{t('restaurar.dataAgeOver')}</p> : null}
          <Button variant="primary" onClick={() => r.point && r.choosePoint(r.point.setId)}>
            {t('restaurar.usePoint')}
          </Button>
        </div>
      ) : null}
    </form>
  );
}

const CONFIG_KEY: Record<SourceType, string> = { postgres: 'postgres', mysql: 'mysql', files: 'filesRoot' };

/** Step 2: the set's sources, ticked when the target can receive them, explained when it cannot. */
function SourcesChoice({ target, t }: { target: Target | undefined; t: Translate }) {
  const r = useRestore();
  const { sets } = useSets();
  const lang = useLanguage();
  const choices = sourceChoices(sets.find((s) => s.setId === r.setId), target);
  if (choices.length === 0) return null;
  return (
    <fieldset className="field" data-testid="restore-sources">
      <legend>{t('restaurar.sources')}</legend>
      <p className="field-hint">{t('restaurar.sourcesHint')}</p>
      <ul className="sources-choice">
        {choices.map((c) => (
          <li key={c.name} data-source={c.name} data-supported={String(c.supported)}>
            <label className="check">
              <input type="checkbox" checked={r.sources.includes(c.name)} disabled={!c.supported} onChange={(e) => r.toggleSource(c.name, e.target.checked)} />
              {c.name} <span className="muted">({t(`planos.sourceType.${c.type}`)} · {formatBytes(c.bytes, lang)})</span>
            </label>
            {!c.supported && target ? (
              <p className="field-hint warn-text" data-testid="source-missing">
                {t('restaurar.sourceMissing', { target: target.name, service: t(`planos.sourceType.${c.type}`), source: c.name, key: CONFIG_KEY[c.type] })}
              </p>
            ) : null}
          </li>
        ))}
      </ul>
      {target && r.sources.length === 0 ? <p className="warn-text">{t('restaurar.noSourceChosen')}</p> : null}
    </fieldset>
  );
}
/** Step 2, besides whole sources: only some files or folders, picked in the set's file browser. */
function PathsChoice({ t }: { t: Translate }) {
  const r = useRestore();
  const { sets } = useSets();
  const picker = useStores().filePicker;
  const open = useStore(picker, (s) => s.setId !== undefined && s.setId === r.setId);
  const set = sets.find((s) => s.setId === r.setId);
  if (!set?.sources.some((s) => s.type === 'files')) return null;
  return (
    <fieldset className="field" data-testid="restore-paths">
      <legend>{t('restaurar.paths')}</legend>
      <p className="field-hint">{t('restaurar.pathsHint')}</p>
      {r.paths.length > 0 ? (
        <>
          <p>{t('restaurar.pathsChosen')}</p>
          <ul className="paths-choice">
            {r.paths.map((p) => (
              <li key={p} data-path={p}>
                <code>{p}</code>{' '}
                <Button aria-label={`${t('restaurar.removePath')} ${p}`} onClick={() => r.removePath(p)}>
                  {t('restaurar.removePath')}
                </Button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {open ? (
        <>
          <FileBrowser store={picker} onPick={r.addPath} picked={r.paths} />
          <Button onClick={() => picker.getState().close()}>{t('restaurar.pathsDone')}</Button>
        </>
      ) : (
        <Button onClick={() => r.setId && void picker.getState().open(r.setId)}>{t('restaurar.choosePaths')}</Button>
      )}
    </fieldset>
  );
}

const STEPS: { id: WizardStep | 'validate'; key: 'restaurar.step.point' | 'restaurar.step.target' | 'restaurar.step.preflight' | 'restaurar.step.transfer' | 'restaurar.step.validate' | 'restaurar.step.report' }[] = [
  { id: 'point', key: 'restaurar.step.point' },
  { id: 'target', key: 'restaurar.step.target' },
  { id: 'preflight', key: 'restaurar.step.preflight' },
  { id: 'transfer', key: 'restaurar.step.transfer' },
  { id: 'validate', key: 'restaurar.step.validate' },
  { id: 'report', key: 'restaurar.step.report' },
];

/** Ticks once a second while a restore runs, for the RTO timer. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, [active]);
  return now;
}

export function Restaurar() {
  const t = useT();
  const date = useDate();
  const lang = useLanguage();
  const r = useRestore();
  const { sets, unreachable } = useSets();
  const targetId = useId();
  const now = useNow(r.step === 'transfer');
  const complete = sets.filter(isRestorable);
  const target = r.targets.find((x) => x.name === r.target);
  const currentIndex = STEPS.findIndex((s) => s.id === (r.step === 'transfer' && r.progress?.phase === 'validate' ? 'validate' : r.step));
  const clock = useClockTime();
  // the engine's elapsed time, advanced locally between its events so the timer ticks each second
  const elapsed = r.progress ? r.progress.elapsedMs + Math.max(0, now - (r.progressAt ?? now)) : r.startedAt ? now - r.startedAt : 0;
  const remainingMs = r.progress ? Math.max(0, r.progress.etaSeconds * 1000 - Math.max(0, now - (r.progressAt ?? now))) : undefined;
  const projectedTotal = remainingMs === undefined ? undefined : elapsed + remainingMs;
  const over = projectedTotal !== undefined && projectedTotal > RTO_BUDGET_MS;
  return (
    <>
      <nav aria-label={t('restaurar.steps')}>
        <ol className="steps">
          {STEPS.map((s, i) => (
            <li key={s.id} className={i === currentIndex ? 'step-current' : i < currentIndex ? 'step-done' : ''} aria-current={i === currentIndex ? 'step' : undefined}>
              {i + 1}. {t(s.key)}
            </li>
          ))}
        </ol>
      </nav>
      <ErrorNote error={r.error} />
      {r.step === 'point' ? (
        <Card title={t('restaurar.choosePoint')}>
          <UnreachableStorages unreachable={unreachable} />
          {complete.length === 0 && unreachable.length > 0 ? (
            <p className="muted">{t('copias.noneReachable')}</p>
          ) : complete.length === 0 ? (
            <EmptyState title={t('copias.emptyTitle')} body={t('restaurar.noSets')} action={<Button variant="primary" onClick={() => navigate('painel')}>{t('restaurar.noSetsAction')}</Button>} />
          ) : (
            <div className="point-layout">
              <div>
                <ul className="choices">
                  {complete.map((s) => (
                    <li key={s.setId} data-set={s.setId}>
                      <Button variant={r.setId === s.setId || r.point?.setId === s.setId ? 'primary' : 'secondary'} onClick={() => r.choosePoint(s.setId)}>
                        {date(s.createdAt)} · {s.plan} · {formatBytes(s.sources.reduce((a, x) => a + x.bytes, 0), lang)}
                      </Button>{' '}
                      {r.point?.setId === s.setId ? <Badge tone="info">{t('restaurar.pickedBadge')}</Badge> : null}
                    </li>
                  ))}
                </ul>
                <p className="muted small">{t('restaurar.notRestorable')}</p>
              </div>
              <PointInTime />
            </div>
          )}
        </Card>
      ) : null}
      {r.step === 'target' ? (
        <Card title={t('restaurar.target')}>
          <p className="muted">{r.setId}</p>
          {r.targets.length === 0 ? <p>{t('restaurar.noTargets')}</p> : null}
          <div className="field">
            <label htmlFor={targetId}>{t('restaurar.target')}</label>
            <select id={targetId} value={r.target ?? ''} onChange={(e) => r.chooseTarget(e.target.value)}>
              <option value="" disabled>
                —
              </option>
              {r.targets.map((x) => (
                <option key={x.name} value={x.name}>
                  {x.name} ({x.kind === 'production' ? t('restaurar.production') : t('restaurar.staging')})
                </option>
              ))}
            </select>
          </div>
          {r.paths.length === 0 ? <SourcesChoice target={target} t={t} /> : null}
          <PathsChoice t={t} />
          {target?.kind === 'staging' && r.setId ? (
            <div data-testid="target-names">
              <h3>{t('staging.names.title')}</h3>
              <p>{target.names === 'original' ? t('staging.names.original') : t('staging.names.side', { hex: r.setId.slice(-6), setId: r.setId })}</p>
              {target.names === 'original' ? <p className="muted small">{t('staging.names.refuse')}</p> : null}
            </div>
          ) : null}
          {target?.kind === 'production' ? (
            <div className="danger-zone">
              <p>{t('restaurar.prodWarning')}</p>
              <Field label={t('restaurar.typeName', { name: target.name })} value={r.confirmName} onChange={(e) => r.setConfirmName(e.target.value)} autoComplete="off" />
            </div>
          ) : null}
          <div className="row">
            <Button onClick={r.back}>{t('common.back')}</Button>
            <Button variant="primary" disabled={!r.canProceed()} busy={r.busy} onClick={() => void r.runPreflight()}>
              {t('restaurar.runPreflight')}
            </Button>
          </div>
        </Card>
      ) : null}
      {r.step === 'preflight' && r.preflight ? (
        <Card title={t('restaurar.step.preflight')}>
          <CheckList checks={r.preflight.checks} />
          <p>
            {t('restaurar.projection', {
              projected: formatDuration(r.preflight.projection.projectedMs),
              bytes: formatBytes(r.preflight.projection.totalBytes, lang),
              budget: formatDuration(r.preflight.projection.budgetMs),
            })}
          </p>
          {r.preflight.projection.verifyMs ? <p>{t('restaurar.projectionVerify', { verify: formatDuration(r.preflight.projection.verifyMs) })}</p> : null}
          {r.preflight.projection.projectedMs > r.preflight.projection.budgetMs ? <p className="warn-text">{t('restaurar.overBudget')}</p> : null}
          <div className="row">
            <Button onClick={r.back}>{t('common.back')}</Button>
            <Button variant={target?.kind === 'production' ? 'danger' : 'primary'} busy={r.busy} disabled={!r.preflight.checks.every((c) => c.ok)} onClick={() => void r.start()}>
              {t('restaurar.start')}
            </Button>
          </div>
        </Card>
      ) : null}
      {r.step === 'transfer' ? (
        <Card title={t('restaurar.step.transfer')}>
          <div className="timer">
            <div>
              <span className="muted">{t('restaurar.elapsed')}</span>
              <strong className="clock" data-testid="rto-elapsed">{formatClock(elapsed)}</strong>
            </div>
            <div>
              <span className="muted">{t('restaurar.rto')}</span>
              <strong className="clock">{formatClock(RTO_BUDGET_MS)}</strong>
            </div>
            <div>
              <span className="muted">{t('restaurar.projectedFinish')}</span>
              <strong className="clock" data-testid="rto-projected">{projectedTotal === undefined ? '—' : formatClock(projectedTotal)}</strong>
              <span className="muted small">{remainingMs === undefined ? '' : t('restaurar.finishAt', { when: clock(now + remainingMs) })}</span>
            </div>
          </div>
          <ProgressBar value={elapsed} max={RTO_BUDGET_MS} label={t('restaurar.rto')} />
          {projectedTotal === undefined ? null : (
            <p className={over ? 'warn-text' : 'ok-text'}>
              <Badge tone={over ? 'late' : 'ok'}>{over ? t('restaurar.overBudgetLive') : t('restaurar.withinBudget')}</Badge>
            </p>
          )}
          <ProgressBar value={r.progress?.bytes ?? 0} max={r.progress?.totalBytes} label={t('restaurar.step.transfer')} />
          <p className="muted" aria-live="polite" data-testid="restore-progress">
            {r.progress
              ? [
                  describePhase(r.progress.phase, t),
                  r.progress.source,
                  `${formatBytes(r.progress.bytes, lang)} / ${formatBytes(r.progress.totalBytes, lang)}`,
                  formatRate(r.progress.bytesPerSecond, lang),
                  remainingMs === undefined ? undefined : t('restaurar.remaining', { eta: formatDuration(remainingMs) }),
                ]
                  .filter((x) => x)
                  .join(' · ')
              : t('app.loading')}
          </p>
        </Card>
      ) : null}
      {r.step === 'report' && r.finished ? (
        <Card title={t('restaurar.step.report')} tone={r.finished.status === 'succeeded' ? 'ok' : 'failing'}>
          <p role="status">
            <Badge tone={r.finished.status === 'succeeded' ? 'ok' : 'failing'}>{r.finished.status === 'succeeded' ? t('restaurar.success') : t('restaurar.failure')}</Badge>
          </p>
          <ErrorNote error={r.finished.error} />
          <KeptAfterRestore kept={r.finished.kept} />
          <p>{t('restaurar.rtoResult', { rto: formatDuration(r.finished.rtoMs) })}</p>
          <p>{t('restaurar.rpoResult', { rpo: formatDuration(r.finished.rpoMs) })}</p>
          <h3>{t('restaurar.validation')}</h3>
          <Table caption={t('restaurar.validation')} head={[t('restaurar.check'), t('restaurar.expected'), t('restaurar.actual'), t('restaurar.result')]}>
            {r.finished.validation.map((v) => (
              <ValidationRow key={v.name} v={v} />
            ))}
          </Table>
          {r.finished.reportPath ? (
            <p>
              {t('restaurar.report', { path: r.finished.reportPath })}{' '}
              <a href={reportHref(r.finished.reportPath)} target="_blank" rel="noreferrer" data-testid="restore-report">
                {t('testes.report')}
              </a>
            </p>
          ) : null}
          <Button onClick={r.reset}>{t('restaurar.again')}</Button>
        </Card>
      ) : null}
      {r.step === 'transfer' ? null : <KeptCopies />}
    </>
  );
}
