// What the account's earlier contacts learn of a finished reactivation: a mail (with a link that locks the account
// if it was not the owner), and an SMS to the number now verified and to the one it replaced.
import type { Knex } from 'knex';
import type { User } from '../../domain/accounts/repository.ts';
import type { Flow } from '../../domain/flow-state/store.ts';
import type { TokenService } from '../../domain/tokens/one-time.ts';
import { enqueueSms } from '../../domain/messaging/outbox.ts';
import { enqueueNotice } from '../../domain/messaging/notice.ts';
import { smsSender } from '../../domain/accounts/phone-verification.ts';
import { formatDateTime, translate, type Locale } from '../../platform/web/i18n.ts';
import { REPORT_TTL_SECONDS, type AccountData } from './states.ts';
import { REACTIVATION_REPORT_PURPOSE } from '../../domain/accounts/reset-link.ts';

export async function notifyReactivation(
  trx: Knex,
  { tokens, issuerUrl }: { tokens: TokenService; issuerUrl: string },
  user: User,
  flow: Flow<AccountData>,
  when: Date,
  locale: Locale,
): Promise<void> {
  const { upstream, previousMobile } = flow.data;
  const username = user.username ?? user.email ?? '';
  const at = formatDateTime(locale, when);
  const report = await tokens.issue(trx, {
    purpose: REACTIVATION_REPORT_PURPOSE,
    userId: user.id,
    ttlSeconds: REPORT_TTL_SECONDS,
    format: { kind: 'link' },
    replacePrevious: true,
  });
  await enqueueNotice(trx, user, locale, {
    title: { key: 'reactivation.mail.title' },
    paragraphs: [
      upstream
        ? { key: 'upstream.reactivation.mail_what', params: { username, when: at, name: upstream } }
        : { key: 'reactivation.mail.what', params: { username, when: at } },
      { key: 'reactivation.mail.sessions' },
      { key: 'reactivation.mail.not_you' },
    ],
    action: { href: `${issuerUrl}/reactivation/report/${report.token}`, label: { key: 'reactivation.mail.report' } },
  });
  // No username: the number replaced may be someone else's by now.
  const service = smsSender(locale);
  const text = upstream
    ? translate(locale, 'upstream.reactivation.sms_done', { service, when: at, name: upstream })
    : translate(locale, 'reactivation.sms.done', { service, when: at });
  for (const to of new Set([user.phone_number, previousMobile].filter((n): n is string => !!n))) await enqueueSms(trx, { to, text, userId: user.id });
}
