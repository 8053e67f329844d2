// A security notice to the account's own address ("your password was changed", "your address is being changed"),
// in the generic `notice` mail template. Nothing is sent to an account without an address.
import type { Knex } from 'knex';
import type { User } from './repository.ts';
import type { Locale } from '../http/i18n.ts';
import { enqueueMail } from '../messaging/outbox.ts';

type Text = { key: string; params?: Record<string, string | number> };

export interface Notice {
  title: Text;
  paragraphs: Text[];
  action?: { href: string; label: Text };
}

/** In `trx`, the transaction of the change the notice is about. */
export async function mailUserNotice(trx: Knex, user: Pick<User, 'id' | 'email'>, locale: Locale, notice: Notice): Promise<void> {
  if (!user.email) return;
  await enqueueMail(trx, { to: user.email, template: 'notice', locale, userId: user.id, params: { ...notice } });
}
