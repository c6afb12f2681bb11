/** The demo's badge (always visible in the header) and its notices (what it could not do, in pt-BR). */
import { useDemo, useT } from '../hooks.js';
import type { MessageKey } from '../../../shared/i18n/messages.js';

export function DemoBadge() {
  const t = useT();
  const { info } = useDemo();
  if (!info?.demo) return null;
  return (
    <span className="demo-badge" data-testid="demo-badge" title={t('demo.badgeTitle')}>
      {t('demo.badge')}
    </span>
  );
}

function introKey(databases: string[]): MessageKey {
  const pg = databases.includes('postgres');
  const my = databases.includes('mysql');
  return pg && my ? 'demo.withBoth' : pg ? 'demo.withDatabase' : my ? 'demo.withMariadb' : 'demo.filesOnlyIntro';
}

export function DemoNotices() {
  const t = useT();
  const { info } = useDemo();
  if (!info?.demo) return null;
  return (
    <section className="demo-notices" aria-label={t('demo.noticesTitle')} data-testid="demo-notices">
      <p>{t(introKey(info.databases))}</p>
      {info.notices.length > 0 ? (
        <ul>
          {info.notices.map((n) => (
            <li key={n.code} data-notice={n.code} className={n.level === 'warning' ? 'warn-text' : undefined}>
              {t(`demo.notice.${n.code}` as MessageKey, n.params)}
              <details className="muted">
                <summary>{t('error.detail')}</summary>
                <span lang="en">{n.message}</span>
              </details>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
