// A `notice` mail (views/mail/notice.njk) to an account's own address, in the caller's transaction: the warnings
// and confirmations of security events ("your password was changed", "someone tried to log in").
import type { Locale, MessageParams } from '../../platform/web/i18n.ts';
import { enqueueMail, type Executor } from './outbox.ts';
import { inLanguage } from './mail-link.ts';

interface Text {
  key: string;
  params?: MessageParams;
}

export interface Notice {
  title: Text;
  paragraphs: Text[];
  action?: { href: string; label: Text };
}

/** Enqueues the notice for `user`; an account without an address gets none. */
export async function enqueueNotice(trx: Executor, user: { id: string; email: string | null }, locale: Locale, notice: Notice): Promise<void> {
  if (!user.email) return;
  const action = notice.action && { ...notice.action, href: inLanguage(notice.action.href, locale) };
  await enqueueMail(trx, { to: user.email, template: 'notice', locale, userId: user.id, params: { ...notice, ...(action ? { action } : {}) } });
}
