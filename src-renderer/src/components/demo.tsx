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

export function DemoNotices() {
  const t = useT();
  const { info } = useDemo();
  if (!info?.demo) return null;
  return (
    <section className="demo-notices" aria-label={t('demo.noticesTitle')} data-testid="demo-notices">
      <p>{info.databases.length > 0 ? t('demo.withDatabase') : t('demo.filesOnlyIntro')}</p>
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
