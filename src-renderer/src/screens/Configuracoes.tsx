import { useId, useState, type FormEvent } from 'react';
import { useConfig, useSettings, useT } from '../hooks.js';
import { Badge, Button, Card, ErrorNote, Field, SelectField, Table } from '../components/ui.js';
import { timeZoneChoices } from '../../../shared/zoned-time.js';
import type { AlertTest } from '../../../shared/rpc/contracts/settings.js';
import type { Translate } from '../../../shared/i18n/index.js';

/** One channel's outcome of the test alert: where it went, or why nothing was sent. */
function alertOutcome(r: AlertTest['results'][number], t: Translate): string {
  if (r.ok) return t('config.alertSentTo', { to: r.destination ?? r.message });
  if (r.skipped === 'notConfigured') return t('config.alertNotConfigured');
  if (r.skipped === 'desktopOnly') return t('config.alertDesktopOnly');
  return t('config.alertNotSent');
}
import { LANGUAGES, type Language } from '../../../shared/i18n/index.js';
import type { RpcError } from '../../../shared/rpc/define.js';

const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

export function Configuracoes() {
  const t = useT();
  const { storage } = useConfig();
  const { settings, language, setLanguage, timezone, setTimezone, addRecipient, testAlerts, alertTest, testing, error } = useSettings();
  const [recipient, setRecipient] = useState('');
  const [addError, setAddError] = useState<RpcError>();
  const langId = useId();
  const recipientInvalid = recipient !== '' && !AGE_RECIPIENT.test(recipient.trim());
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (recipientInvalid || recipient === '') return;
    const err = await addRecipient(recipient.trim());
    setAddError(err);
    if (!err) setRecipient('');
  };
  return (
    <>
      <ErrorNote error={error} />
      <Card title={t('config.storage')}>
        <Table caption={t('config.storage')} head={[t('servidores.name'), t('copias.type'), '', t('painel.geo')]}>
          {storage.map((s) => (
            <tr key={s.name}>
              <th scope="row">{s.name}</th>
              <td>{s.type}</td>
              <td>
                <code>{s.where}</code>
              </td>
              <td>{s.location ? `${s.location.provider} / ${s.location.region}` : '—'}</td>
            </tr>
          ))}
        </Table>
      </Card>
      <Card title={t('config.keys')}>
        <p>{t('config.keysIntro')}</p>
        <ul className="recipients">
          {settings?.recipients.map((r) => (
            <li key={r}>
              <code>{r}</code>
            </li>
          ))}
        </ul>
        <form className="form inline-form" onSubmit={(e) => void submit(e)} noValidate>
          <Field label={t('config.recipient')} value={recipient} onChange={(e) => setRecipient(e.target.value)} error={recipientInvalid ? t('config.errRecipient') : undefined} spellCheck={false} autoComplete="off" />
          <button type="submit" className="btn btn-secondary" disabled={recipient === '' || recipientInvalid}>
            {t('config.addRecipient')}
          </button>
        </form>
        <ErrorNote error={addError} />
      </Card>
      <Card title={t('config.alerts')}>
        <ul>
          {settings?.alerts.email ? <li>{t('config.alertsEmail', { to: settings.alerts.email.to.join(', ') })}</li> : null}
          {settings?.alerts.webhook ? <li>{t('config.alertsWebhook', { url: settings.alerts.webhook.url })}</li> : null}
          {settings && !settings.alerts.email && !settings.alerts.webhook ? <li>{t('config.alertsNone')}</li> : null}
        </ul>
        <Button busy={testing} onClick={() => void testAlerts()}>
          {t('config.sendTest')}
        </Button>
        {alertTest && 'results' in alertTest ? (
          <div role="status" data-testid="alert-test-result">
            {alertTest.results.some((r) => r.ok) ? null : <p className="warn-text">{t('config.alertNothingSent')}</p>}
            <ul>
              {alertTest.results.map((r) => (
                <li key={r.channel} data-channel={r.channel} data-ok={String(r.ok)}>
                  <Badge tone={r.ok ? 'ok' : r.skipped ? 'unknown' : 'failing'}>{t(`config.alertChannel.${r.channel}`)}</Badge> {alertOutcome(r, t)}
                  {r.ok || r.skipped ? null : (
                    <span className="muted small-block">
                      {t('error.detail')}: <span lang="en">{r.message}</span>
                    </span>
                  )}
                </li>
              ))}
            </ul>
          </div>
        ) : (
          <ErrorNote error={alertTest} />
        )}
      </Card>
      <Card title={t('config.language')}>
        <div className="field">
          <label htmlFor={langId}>{t('config.language')}</label>
          <select id={langId} value={language} onChange={(e) => void setLanguage(e.target.value as Language)}>
            {LANGUAGES.map((l) => (
              <option key={l.id} value={l.id}>
                {l.label}
              </option>
            ))}
          </select>
        </div>
        <SelectField
          label={t('config.timezoneLabel')}
          hint={t('config.timezoneHint')}
          value={timezone}
          testId="timezone-select"
          onChange={(tz) => void setTimezone(tz)}
          options={timeZoneChoices(timezone).map((z) => ({ value: z, label: z.replace(/_/g, ' ') }))}
        />
      </Card>
    </>
  );
}
