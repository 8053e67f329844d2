// A new mobile number, or a new recipient of the alerts, told to the account's address once its code confirmed it:
// a session left open somewhere (within the recent-login window) is enough to add one, and the owner must learn of it
// to take it away.
import type { Knex } from 'knex';
import type { User } from './repository.ts';
import { enqueueNotice } from '../messaging/notice.ts';
import type { Locale } from '../../platform/web/i18n.ts';

const TEXTS = {
  // The account had no verified number: nothing was changed, and SMS alerts can be turned on.
  first_phone: {
    title: 'account.mail.phone_first.title',
    body: 'account.mail.phone_first.body',
    notYou: 'account.mail.phone_first.not_you',
  },
  phone: {
    title: 'account.mail.phone_added.title',
    body: 'account.mail.phone_added.body',
    notYou: 'account.mail.phone_added.not_you',
  },
  alert_contact: {
    title: 'account.mail.alert_contact_added.title',
    body: 'account.mail.alert_contact_added.body',
    notYou: 'account.mail.alert_contact_added.not_you',
  },
} as const;

export async function noticeNewContact(
  trx: Knex,
  user: Pick<User, 'id' | 'email'>,
  o: { kind: keyof typeof TEXTS; contact: string; locale: Locale; issuerUrl: string },
): Promise<void> {
  const texts = TEXTS[o.kind];
  await enqueueNotice(trx, user, o.locale, {
    title: { key: texts.title },
    paragraphs: [{ key: texts.body, params: { contact: o.contact } }, { key: texts.notYou }],
    action: { href: `${o.issuerUrl}/recovery`, label: { key: 'account.mail.password_changed.action' } },
  });
}
