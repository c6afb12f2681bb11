import { useState, type FormEvent } from 'react';
import { useConfig, useT } from '../hooks.js';
import { Badge, Button, Card, EmptyState, ErrorNote, Field, Table } from '../components/ui.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import { CheckText } from '../components/messages.js';
import type { ServerInfo } from '../../../shared/rpc/contracts/config.js';

const blank = { name: '', host: '', port: '22', user: 'backup', privateKeyFile: '~/.ssh/id_ed25519' };

function ServerForm({ initial, onDone }: { initial: typeof blank; onDone: () => void }) {
  const t = useT();
  const { saveServer } = useConfig();
  const [form, setForm] = useState(initial);
  const [error, setError] = useState<RpcError>();
  const [busy, setBusy] = useState(false);
  const nameOk = /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(form.name);
  const portNum = Number(form.port);
  const portOk = Number.isInteger(portNum) && portNum >= 1 && portNum <= 65535;
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!nameOk || !portOk || !form.host || !form.user || !form.privateKeyFile) return;
    setBusy(true);
    const res = await saveServer({ name: form.name, host: form.host, port: portNum, user: form.user, privateKeyFile: form.privateKeyFile });
    setBusy(false);
    if (res.ok) onDone();
    else setError(res.error);
  };
  const set = (k: keyof typeof blank) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  return (
    <Card title={t('servidores.formTitle')}>
      <form onSubmit={(e) => void submit(e)} className="form" noValidate>
        <Field label={t('servidores.name')} value={form.name} onChange={set('name')} required error={form.name && !nameOk ? t('planos.errName') : undefined} />
        <Field label={t('servidores.host')} value={form.host} onChange={set('host')} required />
        <Field label={t('servidores.port')} value={form.port} onChange={set('port')} inputMode="numeric" error={portOk ? undefined : '1–65535'} />
        <Field label={t('servidores.user')} value={form.user} onChange={set('user')} required />
        <Field label={t('servidores.key')} value={form.privateKeyFile} onChange={set('privateKeyFile')} required />
        <ErrorNote error={error} />
        <div className="row">
          <button type="submit" className="btn btn-primary" disabled={busy || !nameOk || !portOk || !form.host}>
            {t('common.save')}
          </button>
          <Button onClick={onDone}>{t('common.cancel')}</Button>
        </div>
      </form>
    </Card>
  );
}

/** The pinned key and the one the server shows now differ: both shown, the name typed to replace it. */
function HostKeyChange({ server, offer, onTrust }: { server: ServerInfo; offer: { fingerprint: string; algorithm: string }; onTrust: (typed: string) => void }) {
  const t = useT();
  const [typed, setTyped] = useState('');
  return (
    <div className="confirm confirm-danger" role="group" aria-label={t('servidores.changedTitle')} data-testid="host-key-change">
      <h3>{t('servidores.changedTitle')}</h3>
      <p>{t('servidores.changedBody')}</p>
      <dl>
        <dt>{t('servidores.oldKey')}</dt>
        <dd>
          <code className="fingerprint-big" data-testid="old-key">{server.hostKey}</code>
        </dd>
        <dt>{t('servidores.newKey')}</dt>
        <dd>
          <code className="fingerprint-big" data-testid="new-key">{offer.fingerprint}</code> <span className="muted">({offer.algorithm})</span>
        </dd>
      </dl>
      <Field label={t('servidores.typeName', { name: server.name })} value={typed} autoComplete="off" spellCheck={false} onChange={(e) => setTyped(e.target.value)} />
      <Button variant="danger" disabled={typed !== server.name} onClick={() => onTrust(typed)}>
        {t('servidores.replaceKey')}
      </Button>
    </div>
  );
}

function ServerRow({ server, onEdit }: { server: ServerInfo; onEdit: () => void }) {
  const t = useT();
  const { probe, trust, test, probed, tests } = useConfig();
  const [error, setError] = useState<RpcError>();
  const offer = probed[server.name];
  const result = tests[server.name];
  const changed = offer !== undefined && server.hostKey !== undefined && offer.fingerprint !== server.hostKey;
  return (
    <>
      <tr>
        <th scope="row">{server.name}</th>
        <td>{server.kind === 'local' ? t('servidores.local', { user: server.user }) : `${server.user}@${server.host}:${server.port}`}</td>
        <td>
          {server.trusted ? <Badge tone="ok">{t('servidores.trusted')}</Badge> : <Badge tone="late">{t('servidores.untrusted')}</Badge>}
          {server.hostKey ? <code className="fingerprint" title={server.hostKey}>{server.hostKey}</code> : null}
        </td>
        <td className="row">
          <Button onClick={onEdit}>{t('servidores.edit')}</Button>
          {server.kind === 'local' ? null : <Button onClick={() => void probe(server.name).then((r) => setError(r.ok ? undefined : r.error))}>{t('servidores.probe')}</Button>}
          <Button onClick={() => void test(server.name)}>{t('servidores.test')}</Button>
        </td>
      </tr>
      {offer || result || error ? (
        <tr>
          <td colSpan={4}>
            <ErrorNote error={error} />
            {result ? (
              <div role="status" className="checks">
                {result.ok ? <Badge tone="ok">{t('servidores.testOk')}</Badge> : <Badge tone="failing">{t('servidores.testFail')}</Badge>} <CheckText check={result} />
              </div>
            ) : null}
            {offer && changed ? (
              <HostKeyChange server={server} offer={offer} onTrust={(typed) => void trust(server.name, typed).then((r) => setError(r.ok ? undefined : r.error))} />
            ) : offer ? (
              <div className="confirm" role="group" aria-label={t('servidores.confirmTitle')}>
                <h3>{t('servidores.confirmTitle')}</h3>
                <p>{t('servidores.confirmBody')}</p>
                <p>
                  <code className="fingerprint-big">{offer.fingerprint}</code> <span className="muted">({offer.algorithm})</span>
                </p>
                <Button variant="primary" onClick={() => void trust(server.name).then((r) => setError(r.ok ? undefined : r.error))}>
                  {t('servidores.confirm')}
                </Button>
              </div>
            ) : null}
          </td>
        </tr>
      ) : null}
    </>
  );
}

export function Servidores() {
  const t = useT();
  const { servers, error } = useConfig();
  const [editing, setEditing] = useState<typeof blank | undefined>();
  return (
    <>
      <div className="toolbar">
        <Button variant="primary" onClick={() => setEditing(blank)}>
          {t('servidores.add')}
        </Button>
      </div>
      <ErrorNote error={error} />
      {editing ? <ServerForm initial={editing} onDone={() => setEditing(undefined)} /> : null}
      {servers.length === 0 ? (
        <EmptyState title={t('servidores.emptyTitle')} body={t('servidores.emptyBody')} action={editing ? undefined : <Button variant="primary" onClick={() => setEditing(blank)}>{t('servidores.add')}</Button>} />
      ) : (
        <Table caption={t('servidores.title')} head={[t('servidores.name'), t('servidores.host'), t('servidores.fingerprint'), '']}>
          {servers.map((s) => (
            <ServerRow key={s.name} server={s} onEdit={() => setEditing({ name: s.name, host: s.host, port: String(s.port), user: s.user, privateKeyFile: s.privateKeyFile })} />
          ))}
        </Table>
      )}
    </>
  );
}
