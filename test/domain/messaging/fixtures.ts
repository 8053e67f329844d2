// Shared by the messaging tests: a logger that keeps quiet and a realistic mail request.
import type { MailRequest } from '../../../provider/domain/messaging/outbox.ts';
import type { Logger } from '../../../provider/domain/messaging/transport.ts';

export const silent: Logger = { info() {}, warn() {}, error() {} };

export const ACTIVATION_LINK = 'https://idp.example.org/activate?token=abc&x=1';

/** The generic notice with a title, a paragraph and an action link, in English unless `extra` says otherwise. */
export const notice = (to: string, extra: Partial<MailRequest> = {}): MailRequest => ({
  to,
  template: 'notice',
  locale: 'en',
  params: { title: { key: 'mail.test.title' }, paragraphs: [{ key: 'mail.test.body' }], action: { href: ACTIVATION_LINK, label: { key: 'login.submit' } } },
  ...extra,
});
