// Activation links: issued for a pending account (each new one voids the earlier ones), mailed through the outbox
// in the transaction that caused them, spent by a POST (a mail scanner's GET leaves them intact), once.
//
// The POST also asks for the password chosen at sign-up. A sign-up again with the same address replaces the
// pending account's data (the person may have lost the first mail), so without this check someone could sign up
// with another person's address and a password of his own, and that person, clicking the newest link in her own
// mailbox, would activate an account whose password he knows (a "pre-hijacked" account).
import type { Knex } from 'knex';
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { localeOf, type User, type UserRepository } from '../../domain/accounts/repository.ts';
import type { PasswordHasher } from '../../domain/accounts/passwords.ts';
import type { TokenService } from '../../domain/tokens/one-time.ts';
import { codeEntryThrottle, keyOf } from '../../domain/guards/throttle.ts';
import { enqueueMail } from '../../domain/messaging/outbox.ts';
import { mailLink } from '../../domain/messaging/mail-link.ts';
import { duration, type Locale, type MessageParams } from '../../platform/web/i18n.ts';
import { audit } from '../../platform/audit.ts';
import { isAppError } from '../../platform/errors.ts';
import type { CameFrom } from '../done/came-from.ts';

export const ACTIVATION = 'registration_activation';

export interface ActivationDeps {
  config: Config;
  db: Db;
  users: UserRepository;
  hasher: PasswordHasher;
  tokens: TokenService;
}

export type ActivationStatus = 'ok' | 'wrong_password' | 'used' | 'expired' | 'voided' | 'invalid' | 'email_taken';
/** An open sign-up's pending account whose address a link's holder has shown she can read, and by which link. */
export interface AddressProof {
  user: User & { email: string };
  link: 'live' | 'replaced';
}

type Paragraph = { key: string; params?: MessageParams };

const validity = (ttlSeconds: number): Paragraph => ({ key: 'registration.mail.validity', params: { duration: duration(ttlSeconds) } });

const greeting = (user: Pick<User, 'given_name' | 'family_name'>): Paragraph => ({
  key: 'registration.mail.greeting',
  params: { name: [user.given_name, user.family_name].filter(Boolean).join(' ') || '' },
});

export function createActivation({ config, db, users, hasher, tokens }: ActivationDeps) {
  const passwordEntry = codeEntryThrottle(db, config, 'activation_password');

  /** Issues a new link for `user` (voiding its earlier ones) and writes the mail, in `trx`. `intro` opens the mail. */
  async function send(
    trx: Knex,
    user: User,
    intro: Paragraph[] = [{ key: 'registration.mail.activation.body' }],
    titleKey = 'registration.mail.activation.subject',
    from?: CameFrom,
  ): Promise<void> {
    if (!user.email) return;
    const { token } = await tokens.issue(trx, {
      purpose: ACTIVATION,
      userId: user.id,
      ttlSeconds: config.activationTtl,
      format: { kind: 'link' },
      replacePrevious: true,
      // The address the link goes to, as its digest: a replaced link proves only that one (addressProof).
      data: { to: keyOf(user.email), ...(from ? { from } : {}) },
    });
    await users.touchPending(trx, user.id);
    const locale = localeOf(user, config.defaultLocale);
    await enqueueMail(trx, {
      to: user.email,
      template: 'notice',
      locale,
      userId: user.id,
      params: {
        title: { key: titleKey },
        paragraphs: [
          greeting(user),
          ...intro,
          user.username
            ? { key: 'registration.mail.activation.username', params: { username: user.username } }
            : { key: 'registration.mail.activation.login_email', params: { email: user.email } },
          validity(config.activationTtl),
          { key: 'registration.mail.activation.ignore' },
        ],
        action: { href: mailLink(config.issuerUrl, '/registration/activate', locale, { token }), label: { key: 'registration.mail.activation.action' } },
      },
    });
  }

  /**
   * The mail an address gets instead of a link when it already belongs to `account` (no enumeration on the page), in
   * that account's language; the sign-up's page language only for an account without one.
   */
  async function sendAccountExists(
    trx: Knex,
    account: Pick<User, 'locale'>,
    signUp: { email: string; locale: Locale },
    key = 'registration.mail.exists.body',
  ): Promise<void> {
    const locale = localeOf(account, signUp.locale);
    await enqueueMail(trx, {
      to: signUp.email,
      template: 'notice',
      locale,
      params: {
        title: { key: 'registration.mail.exists.subject' },
        paragraphs: [{ key }, { key: 'registration.mail.exists.reset' }, { key: 'registration.mail.exists.ignore' }],
        action: { href: mailLink(config.issuerUrl, '/recovery', locale), label: { key: 'registration.mail.exists.action' } },
      },
    });
  }

  /** The link without spending it, and the account it names while it may still be opened or prove the address. */
  async function read(db: Knex, token: string) {
    const r = await tokens.peek(db, ACTIVATION, token);
    const link = r.status === 'ok' || r.status === 'voided' ? r.token : undefined;
    const user = link?.user_id ? await users.findById(db, link.user_id) : undefined;
    return { r, link, user };
  }
  type Read = Awaited<ReturnType<typeof read>>;

  /** The link's state, and whose it is (`ok` always comes with its account). */
  function stateOf({ r, user }: Read): { status: ActivationStatus; user?: User } {
    if (r.status !== 'ok') return { status: r.status === 'wrong' ? 'invalid' : r.status };
    return user ? { status: 'ok', user } : { status: 'invalid' };
  }

  /**
   * The pending account of an open sign-up (no username, no customer) whose address the holder of this link has
   * shown she can read, for a sign-up again that the address's mail ceiling does not hold back (steps.ts): someone
   * else may have signed up with her address and a password of his own, and filled the ceiling so that her own sign-up
   * gets no mail. A live link went to the account's address (a new address gets a new link, voiding the earlier).
   * So did a replaced one (each sign-up again voids the earlier links), if it was issued for the address the account
   * has now: a link to one's own address, replaced by a sign-up from the same browser with another, proves nothing of
   * that other. Spent, expired and unknown links prove nothing.
   */
  async function proofOf(db: Knex, { r, link, user }: Read): Promise<AddressProof | undefined> {
    if (!user?.email || user.status !== 'pending' || !link) return undefined;
    const to = link.data.to;
    if (to !== keyOf(user.email) && (r.status === 'voided' || to !== undefined)) return undefined;
    if (!(await users.findOpenPending(db, { id: user.id }))) return undefined;
    return { user: { ...user, email: user.email }, link: r.status === 'ok' ? 'live' : 'replaced' };
  }

  /** The link's state without spending it. */
  const peek = async (db: Knex, token: string) => stateOf(await read(db, token));

  return {
    send,
    sendAccountExists,

    /** What the link proves of its account's address (proofOf). */
    addressProof: async (db: Knex, token: string) => proofOf(db, await read(db, token)),

    /** The link's page, from one read of it: its state, and what it proves of the address. */
    async inspect(db: Knex, token: string): Promise<{ status: ActivationStatus; user?: User; proof?: AddressProof }> {
      const link = await read(db, token);
      return { ...stateOf(link), proof: await proofOf(db, link) };
    },

    /**
     * Checks the sign-up's password, then spends the link and activates its account. A wrong password leaves the
     * link as it was (wrong guesses are slowed down per account). A second click (or a racing one) answers `used`;
     * an address that another account activated meanwhile answers `email_taken` and leaves the link unspent. `from`:
     * what the link was kept with (flows/done/came-from.ts), unchecked.
     */
    async activate(token: string, password: string, ip?: string): Promise<{ status: ActivationStatus; user?: User; from?: unknown }> {
      const peeked = await peek(db, token);
      if (peeked.status !== 'ok') return peeked;
      const owner = peeked.user!;
      if (owner.status === 'active') return { status: 'used' };
      const { result: right } = await passwordEntry.guard(
        { subject: owner.id, ip },
        () => hasher.verify(owner.password_hash, password),
        (ok) => ok,
      );
      if (!right) {
        await audit(db, 'registration.activation_password_wrong', { userId: owner.id, ip });
        return { status: 'wrong_password' };
      }
      try {
        return await db.transaction(async (trx) => {
          const r = await tokens.redeemLink(trx, ACTIVATION, token);
          if (r.status !== 'ok') return { status: r.status as 'used' | 'expired' | 'voided' | 'invalid' };
          const user = r.token.user_id ? await users.findById(trx, r.token.user_id) : undefined;
          // Already active: a link issued just before another one was spent. Blocked meanwhile: no activation.
          if (!user || !(await users.activate(trx, user.id))) return { status: user?.status === 'active' ? ('used' as const) : ('invalid' as const) };
          await releaseAddress(trx, user);
          await audit(trx, 'registration.activated', { userId: user.id, ip });
          return { status: 'ok' as const, user: { ...user, status: 'active' as const }, from: r.token.data.from };
        });
      } catch (e) {
        if (isAppError(e) && e.code === 'email_taken') return { status: 'email_taken' };
        throw e;
      }
    },
  };

  /**
   * Other pending accounts waiting on the address just proven lose it (and their links): the address now has its
   * owner, and two accounts on one address would make a login by address ambiguous. With UNIQUE_EMAIL=false only
   * those without a username lose it, since for them the address is the only login.
   */
  async function releaseAddress(trx: Knex, user: User): Promise<void> {
    if (!user.email) return;
    const others = await users.releasePendingAddress(trx, user.email, user.id, !config.uniqueEmail);
    for (const id of others) await tokens.voidAll(trx, { purpose: ACTIVATION, userId: id });
  }
}

export type Activation = ReturnType<typeof createActivation>;
