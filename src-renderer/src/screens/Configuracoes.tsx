import { useId, useState, type FormEvent } from 'react';
import { useConfig, useSettings, useT } from '../hooks.js';
import { Badge, Button, Card, ErrorNote, Field, Table, TechDetail } from '../components/ui.js';
import { LANGUAGES, describeStorageType, type Language } from '../../../shared/i18n/index.js';
import type { RpcError } from '../../../shared/rpc/define.js';

const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

export function Configuracoes() {
  const t = useT();
  const { storage } = useConfig();
  const { settings, language, setLanguage, addRecipient, testAlerts, alertTest, testing, error } = useSettings();
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
              <td>{describeStorageType(s.type, t)}</td>
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
          <ul role="status">
            {alertTest.results.map((r) => (
              <li key={r.channel}>
                <Badge tone={r.ok ? 'ok' : 'failing'}>{r.channel}</Badge> <TechDetail>{r.message}</TechDetail>
              </li>
            ))}
          </ul>
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
        <p className="muted">{t('config.timezone', { tz: settings?.timezone ?? '' })}</p>
      </Card>
    </>
  );
}
