import { useId, useState, type FormEvent } from 'react';
import { useConfig, useT, useDate } from '../hooks.js';
import { Button, Card, EmptyState, ErrorNote, Field, SelectField } from '../components/ui.js';
import { timeZoneChoices } from '../../../shared/zoned-time.js';
import { describeSchedule } from '../../../shared/i18n/index.js';
import { navigate } from '../navigation.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { PlanInfo } from '../../../shared/rpc/contracts/config.js';

interface PlanForm {
  name: string;
  sources: string[];
  storage: string;
  schedule: string;
  timezone: string;
  keepDays: string;
  keepMin: string;
  /** the bandwidth limit as typed ("" = none) and its optional daily window */
  bandwidthLimit: string;
  bandwidthWindow: string;
}

/** Inline validation, same rules as the contract; returns messages keyed by field. */
function validate(f: PlanForm, t: ReturnType<typeof useT>): Partial<Record<keyof PlanForm, string>> {
  const e: Partial<Record<keyof PlanForm, string>> = {};
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(f.name)) e.name = t('planos.errName');
  if (f.sources.length === 0) e.sources = t('planos.errSources');
  if (f.schedule.trim().split(/\s+/).length !== 5) e.schedule = t('planos.errSchedule');
  if (!(Number(f.keepDays) >= 1)) e.keepDays = t('planos.errKeepDays');
  if (!(Number(f.keepMin) >= 1)) e.keepMin = t('planos.errKeepMin');
  return e;
}

function PlanEditor({ initial, onDone }: { initial: PlanForm; onDone: () => void }) {
  const t = useT();
  const { sources, storage, savePlan } = useConfig();
  const [form, setForm] = useState(initial);
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<RpcError>();
  const sourcesId = useId();
  const storageId = useId();
  const errors = validate(form, t);
  /** the engine refused the limit (config.bandwidth): its message goes with the bandwidth fields */
  const bandwidthError = error?.key === 'config.bandwidth';
  const show = (k: keyof PlanForm): string | undefined => (touched || form[k] !== initial[k] ? errors[k] : undefined);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(errors).length > 0) return;
    setError(undefined);
    const res = await savePlan({
      name: form.name,
      sources: form.sources,
      storage: form.storage,
      schedule: form.schedule.trim(),
      timezone: form.timezone,
      retention: { keepDays: Number(form.keepDays), keepMin: Number(form.keepMin) },
      // parsed only by the engine, with the config loader's schema: one way to read a limit
      bandwidth: form.bandwidthLimit.trim() === '' && form.bandwidthWindow.trim() === ''
        ? null
        : { limit: form.bandwidthLimit.trim(), ...(form.bandwidthWindow.trim() ? { window: form.bandwidthWindow.trim() } : {}) },
    });
    if (res.ok) onDone();
    else setError(res.error);
  };
  const set = (k: keyof PlanForm) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  return (
    <Card title={t('planos.formTitle')}>
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <Field label={t('planos.name')} value={form.name} onChange={set('name')} error={show('name')} />
        <fieldset className="field" aria-describedby={show('sources') ? sourcesId : undefined}>
          <legend>{t('planos.sources')}</legend>
          {sources.map((s) => (
            <label key={s.name} className="check">
              <input
                type="checkbox"
                checked={form.sources.includes(s.name)}
                onChange={(e) => setForm({ ...form, sources: e.target.checked ? [...form.sources, s.name] : form.sources.filter((x) => x !== s.name) })}
              />
              {s.name} <span className="muted">({t(`planos.sourceType.${s.type}`)} · {s.server})</span>
            </label>
          ))}
          {show('sources') ? <p className="field-error" id={sourcesId} role="alert">{show('sources')}</p> : null}
        </fieldset>
        <div className="field">
          <label htmlFor={storageId}>{t('planos.storage')}</label>
          <select id={storageId} value={form.storage} onChange={set('storage')}>
            {storage.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name} — {s.where}
              </option>
            ))}
          </select>
        </div>
        <Field label={t('planos.schedule')} value={form.schedule} onChange={set('schedule')} error={show('schedule')} hint={errors.schedule ? undefined : describeSchedule(form.schedule, t)} />
        <SelectField label={t('planos.timezone')} value={form.timezone} onChange={(timezone) => setForm({ ...form, timezone })} options={timeZoneChoices(form.timezone).map((z) => ({ value: z, label: z.replace(/_/g, ' ') }))} />
        <Field label={t('planos.keepDays')} value={form.keepDays} onChange={set('keepDays')} inputMode="numeric" error={show('keepDays')} hint={Number(form.keepDays) < 30 ? t('planos.warnKeepDays') : undefined} />
        <Field label={t('planos.keepMin')} value={form.keepMin} onChange={set('keepMin')} inputMode="numeric" error={show('keepMin')} />
        <fieldset className="field" data-testid="plan-bandwidth">
          <legend>{t('planos.bandwidth')}</legend>
          <Field label={t('planos.bandwidthLimit')} value={form.bandwidthLimit} onChange={set('bandwidthLimit')} hint={t('planos.bandwidthLimitHint')} aria-invalid={bandwidthError ? true : undefined} />
          <Field label={t('planos.bandwidthWindow')} value={form.bandwidthWindow} onChange={set('bandwidthWindow')} hint={t('planos.bandwidthWindowHint')} aria-invalid={bandwidthError ? true : undefined} />
          <ErrorNote error={bandwidthError ? error : undefined} />
        </fieldset>
        <ErrorNote error={bandwidthError ? undefined : error} />
        <div className="row">
          <button type="submit" className="btn btn-primary">
            {t('common.save')}
          </button>
          <Button onClick={onDone}>{t('common.cancel')}</Button>
        </div>
      </form>
    </Card>
  );
}

function toForm(p: PlanInfo): PlanForm {
  return {
    name: p.name, sources: p.sources, storage: p.storage, schedule: p.schedule, timezone: p.timezone, keepDays: String(p.retention.keepDays), keepMin: String(p.retention.keepMin),
    bandwidthLimit: p.bandwidth?.limit ?? '', bandwidthWindow: p.bandwidth?.window ?? '',
  };
}

export function Planos() {
  const t = useT();
  const date = useDate();
  const { plans, storage, sources, error } = useConfig();
  const [editing, setEditing] = useState<PlanForm | undefined>();
  const blank: PlanForm = { name: '', sources: [], storage: storage[0]?.name ?? '', schedule: '0 2 * * *', timezone: 'America/Sao_Paulo', keepDays: '30', keepMin: '7', bandwidthLimit: '', bandwidthWindow: '' };
  return (
    <>
      <div className="toolbar">
        <Button variant="primary" onClick={() => setEditing(blank)}>
          {t('planos.add')}
        </Button>
      </div>
      <ErrorNote error={error} />
      {editing ? <PlanEditor key={editing.name} initial={editing} onDone={() => setEditing(undefined)} /> : null}
      {plans.length === 0 && !editing ? (
        sources.length === 0 ? (
          <EmptyState title={t('planos.emptyTitle')} body={t('planos.emptyNoSources')} action={<Button variant="primary" onClick={() => navigate('servidores')}>{t('common.goServidores')}</Button>} />
        ) : (
          <EmptyState title={t('planos.emptyTitle')} body={t('planos.emptyBody')} action={<Button variant="primary" onClick={() => setEditing(blank)}>{t('planos.add')}</Button>} />
        )
      ) : null}
      <div className="grid">
        {plans.map((p) => (
          <Card key={p.name} title={p.name} actions={<Button onClick={() => setEditing(toForm(p))}>{t('servidores.edit')}</Button>}>
            <dl className="facts">
              <dt>{t('planos.sources')}</dt>
              <dd>{p.sources.join(', ')}</dd>
              <dt>{t('planos.storage')}</dt>
              <dd>{p.storage}</dd>
              <dt>{t('planos.schedule')}</dt>
              <dd>
                {describeSchedule(p.schedule, t)} <span className="muted">({p.timezone})</span>
                {p.nextRunAt ? <><br /><span className="muted">{t('planos.next', { when: date(p.nextRunAt) })}</span></> : null}
              </dd>
              <dt>{t('planos.retention')}</dt>
              <dd>{t('planos.retentionText', { days: p.retention.keepDays, min: p.retention.keepMin })}</dd>
              <dt>{t('planos.bandwidth')}</dt>
              <dd data-testid="plan-bandwidth-text">
                {!p.bandwidth
                  ? t('planos.bandwidthNone')
                  : p.bandwidth.window
                    ? t('planos.bandwidthWindowed', { limit: p.bandwidth.limit, window: p.bandwidth.window, zone: p.timezone })
                    : t('planos.bandwidthAlways', { limit: p.bandwidth.limit })}
              </dd>
            </dl>
          </Card>
        ))}
      </div>
    </>
  );
}
