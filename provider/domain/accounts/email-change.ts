// Changing the e-mail address of an account (after re-authentication, which the route enforces): a link goes to
// the new address and a notice to the old one. The old address stays in force — for login, recovery and
// alerts — until the link is followed; then the new one is stored as verified and e-mail alerts go off until the
// user turns them on again. A taken address is refused only when the link is followed: the person then proves
// they hold it, so telling them leaks nothing, whereas refusing at once would tell anyone which addresses exist.
import type { Knex } from 'knex';
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import type { User, UserRepository } from './repository.ts';
import type { TokenService } from '../tokens/one-time.ts';
import { turnOffAfterContactChange } from './alerts.ts';
import { clearPendingContact, setPendingContact } from './pending-contacts.ts';
import { enqueueMail } from '../messaging/outbox.ts';
import { enqueueNotice } from '../messaging/notice.ts';
import { mailLink } from '../messaging/mail-link.ts';
import { duration, type Duration, type Locale } from '../../platform/web/i18n.ts';
import { isAppError } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import { createRecipientQuota } from '../guards/recipient-quota.ts';
import { createLimiter, waitIfRefused } from '../guards/rate-limit.ts';
import { REACTIVATION_REPORT_PURPOSE, RESET_PURPOSE } from './reset-link.ts';

export const EMAIL_CHANGE_PURPOSE = 'email_change';

export interface EmailChangeDeps {
  config: Pick<Config, 'emailChangeTtl' | 'issuerUrl' | 'rateLimitRegistrationMails' | 'rateLimitAddressMails'>;
  db: Db;
  tokens: TokenService;
  users: UserRepository;
}

export { emailAddress as newEmail } from '../../platform/web/email-address.ts';

/** "jan.peeters@example.be" → "j•••@example.be": enough for the owner to recognise, little for anyone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, 1)}•••${email.slice(at)}`;
}

export type StartResult = { ok: true; expiresAt: Date } | { ok: false; problem: 'unchanged' } | { ok: false; problem: 'too_many'; wait: Duration };
export type ConfirmResult = { status: 'ok'; userId: string; email: string } | { status: 'taken' | 'invalid' | 'used' | 'expired' | 'voided' };

const unchanged = (user: User, email: string) => Boolean(user.email && user.email.toLowerCase() === email.toLowerCase() && user.email_verified);

export function createEmailChange({ config, db, tokens, users }: EmailChangeDeps) {
  // The link goes to an address the account names, anyone's: one account may send it there a few times an hour, all
  // accounts together as many as sign-ups and recoveries may.
  const HOUR = 3600;
  const mails = createRecipientQuota(db, {
    name: 'email_change_mail',
    perRequester: { points: config.rateLimitRegistrationMails, seconds: HOUR },
    perAddress: { points: config.rateLimitAddressMails, seconds: HOUR },
  });
  // Counted per address, an account could mail a link to each of any number of strangers' addresses: in all it
  // sends as many as to one.
  const perAccount = createLimiter(db, { keyPrefix: 'email_change_account', points: config.rateLimitRegistrationMails, durationSeconds: HOUR });
  /** Writes the link, both mails and the audit in `trx`; staff changing a person's address call it directly. */
  async function startWithin(trx: Knex, user: User, email: string, locale: Locale): Promise<StartResult> {
    if (unchanged(user, email)) return { ok: false, problem: 'unchanged' };
    // Parallel requests would each void the links committed before them but not one another's, and leave several
    // live: the account's row, held to the end of the transaction, makes each void the one before. Not FOR UPDATE,
    // which would also wait for every transaction that merely inserted a row referring to the account.
    await trx('users').where({ id: user.id }).forNoKeyUpdate().first('id');
    const issued = await tokens.issue(trx, {
      purpose: EMAIL_CHANGE_PURPOSE,
      userId: user.id,
      ttlSeconds: config.emailChangeTtl,
      format: { kind: 'link' },
      data: { email },
      replacePrevious: true,
    });
    await setPendingContact(trx, user.id, 'email', email, issued.expiresAt);
    await enqueueMail(trx, {
      to: email,
      template: 'notice',
      locale,
      userId: user.id,
      params: {
        title: { key: 'account.mail.email_verify.title' },
        paragraphs: [
          { key: 'account.mail.email_verify.body', params: { duration: duration(config.emailChangeTtl) } },
          { key: 'account.mail.email_verify.not_you' },
        ],
        action: {
          href: mailLink(config.issuerUrl, '/account/email/verify', locale, { token: issued.token }),
          label: { key: 'account.mail.email_verify.action' },
        },
      },
    });
    await enqueueNotice(trx, user, locale, {
      title: { key: 'account.mail.email_change_notice.title' },
      paragraphs: [
        { key: 'account.mail.email_change_notice.body', params: { masked: maskEmail(email) } },
        { key: 'account.mail.email_change_notice.still_valid' },
        { key: 'account.mail.email_change_notice.not_you' },
      ],
      action: { href: `${config.issuerUrl}/account/security`, label: { key: 'account.mail.email_change_notice.action' } },
    });
    await audit(trx, 'email_change_requested', { userId: user.id });
    return { ok: true, expiresAt: issued.expiresAt };
  }

  return {
    /**
     * The person's own change: `email` is already validated with `newEmail`. Counted against the account's mails to
     * that address, then as `startWithin`, in a transaction of its own.
     */
    async start(user: User, email: string, locale: Locale): Promise<StartResult> {
      if (unchanged(user, email)) return { ok: false, problem: 'unchanged' };
      const wait = await waitIfRefused(perAccount, user.id);
      if (wait) return { ok: false, problem: 'too_many', wait };
      if (!(await mails.allow({ address: email, ip: undefined, account: user.id }))) return { ok: false, problem: 'too_many', wait: duration(HOUR) };
      return db.transaction((trx) => startWithin(trx, user, email, locale));
    },

    startWithin,

    /** The address a link would confirm, without spending it (the page the link opens asks for a click). */
    async peek(db: Db, token: string): Promise<{ status: 'ok'; email: string } | { status: 'invalid' | 'used' | 'expired' | 'voided' }> {
      const r = await tokens.peek(db, EMAIL_CHANGE_PURPOSE, token);
      if (r.status !== 'ok') return { status: r.status === 'wrong' ? 'invalid' : r.status };
      return { status: 'ok', email: String(r.token.data.email) };
    },

    async confirm(db: Db, token: string): Promise<ConfirmResult> {
      const r = await tokens.redeemLink(db, EMAIL_CHANGE_PURPOSE, token);
      if (r.status !== 'ok') return { status: r.status === 'wrong' ? 'invalid' : r.status };
      const userId = r.token.user_id!;
      const email = String(r.token.data.email);
      // A blocked or locked account takes no new address, even through a link sent before.
      if ((await users.findById(db, userId))?.status !== 'active') return { status: 'invalid' };
      try {
        await db.transaction(async (trx) => {
          await users.setVerifiedEmail(trx, userId, email);
          await turnOffAfterContactChange(trx, userId, 'email');
          await clearPendingContact(trx, userId, 'email');
          // A reset link mailed to the old address is the old mailbox's way into the account: it goes with it.
          await tokens.voidAll(trx, { purpose: RESET_PURPOSE, userId });
          // So is the link that locks the account after a reactivation: the old mailbox must not lock the owner out.
          await tokens.voidAll(trx, { purpose: REACTIVATION_REPORT_PURPOSE, userId });
          await audit(trx, 'email_changed', { userId });
        });
      } catch (e) {
        if (!isAppError(e) || e.code !== 'email_taken') throw e;
        await clearPendingContact(db, userId, 'email');
        return { status: 'taken' };
      }
      return { status: 'ok', userId, email };
    },
  };
}

export type EmailChange = ReturnType<typeof createEmailChange>;
