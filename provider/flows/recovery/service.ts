// "Forgot username or password?": a mail naming each account on the address, each with its own reset link
// (RESET_TOKEN_TTL, once), then the new password under the policy, which ends every session and token of the
// account and is confirmed by a second mail. Nothing here tells the caller whether an account matched.
import type { Knex } from 'knex';
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { localeOf, localeOfAll, type User, type UserRepository } from '../../domain/accounts/repository.ts';
import type { PasswordHasher } from '../../domain/accounts/passwords.ts';
import type { PasswordPolicy, RuleFailure } from '../../domain/accounts/password-policy.ts';
import type { TokenService } from '../../domain/tokens/one-time.ts';
import { formatDateTime, type Locale } from '../../platform/web/i18n.ts';
import { deviceOf, type KnownDevice } from '../../platform/web/devices.ts';
import { createThrottle } from '../../domain/guards/throttle.ts';
import { createRecipientQuota } from '../../domain/guards/recipient-quota.ts';
import { enqueueMail } from '../../domain/messaging/outbox.ts';
import { enqueueNotice } from '../../domain/messaging/notice.ts';
import { mailLink } from '../../domain/messaging/mail-link.ts';
import { endAccountAccess } from '../../domain/accounts/end-access.ts';
import { RESET_PURPOSE } from '../../domain/accounts/reset-link.ts';
import { audit } from '../../platform/audit.ts';
import { AppError } from '../../platform/errors.ts';
import { shownEmail } from '../../platform/web/email-address.ts';
import { accountsToRecover, customerNumberField } from './accounts.ts';
import type { CameFrom } from '../done/came-from.ts';

export type LinkProblem = 'invalid' | 'used' | 'expired' | 'voided';
export type LinkState = { status: 'ok'; user: User } | { status: LinkProblem };
/** `from`: what the link was kept with (flows/done/came-from.ts), unchecked. */
export type ResetOutcome = { status: 'ok'; user: User; from?: unknown } | { status: LinkProblem } | { status: 'weak'; failures: RuleFailure[] };

export interface RecoveryRequest {
  email: string;
  customerNumber?: string | undefined;
  /** The language of the page the request came from: the mail's, for accounts that have none of their own. */
  locale: Locale;
  ip: string | undefined;
  /** The browser's known devices (provider/platform/web/devices.ts): a request from the owner's own is the owner's. */
  devices?: ReadonlyMap<string, KnownDevice>;
  /** The app's login the request came from, kept with the links (flows/done/came-from.ts). */
  from?: CameFrom | undefined;
}

export interface RecoveryDeps {
  config: Config;
  db: Db;
  users: UserRepository;
  hasher: PasswordHasher;
  tokens: TokenService;
  policy: PasswordPolicy;
}

const ttlMinutes = (config: Config) => Math.round(config.resetTokenTtl / 60);

export function createRecoveryService({ config, db, users, hasher, tokens, policy }: RecoveryDeps) {
  // Every request counts for its IP: past RATE_LIMIT_IP further requests from it wait. An address is not delayed:
  // the owner's request would wait for what others did.
  const requests = createThrottle(db, {
    name: 'recovery',
    perSubject: config.rateLimitRecovery,
    perIp: config.rateLimitIp,
    maxDelaySeconds: config.rateLimitMaxDelay,
  });
  // Past its quota an address gets a mail only now and then, so that its newest link is always live; the answer
  // stays the same.
  const mails = createRecipientQuota(db, {
    name: 'recovery_mail',
    perRequester: { points: config.rateLimitRecovery, seconds: 900 },
    perAddress: { points: config.rateLimitAddressMails, seconds: 3600 },
    pastCeilingSeconds: Math.max(60, Math.floor(config.resetTokenTtl / 2)),
  });

  /** The mail is in the accounts' own language, whoever asked for it; `fallback` for accounts without one. */
  async function mailLinks(trx: Knex.Transaction, accounts: User[], fallback: Locale, from?: CameFrom): Promise<void> {
    const locale = localeOfAll(accounts, fallback);
    const links = [];
    for (const user of accounts) {
      // A new mail replaces the previous link: only the latest one works.
      const { token } = await tokens.issue(trx, {
        purpose: RESET_PURPOSE,
        userId: user.id,
        ttlSeconds: config.resetTokenTtl,
        format: { kind: 'link' },
        replacePrevious: true,
        ...(from ? { data: { from } } : {}),
      });
      links.push({ username: user.username, email: shownEmail(user.email), href: mailLink(config.issuerUrl, '/recovery/reset', locale, { token }) });
    }
    // One account's mail is that account's (its erasure takes the mail with it); a shared address's belongs to none.
    await enqueueMail(trx, {
      to: accounts[0]!.email!,
      template: 'recovery',
      locale,
      ...(accounts.length === 1 ? { userId: accounts[0]!.id } : {}),
      params: { accounts: links, minutes: ttlMinutes(config) },
    });
  }

  async function linkState(executor: Knex, token: string): Promise<LinkState> {
    const peeked = await tokens.peek(executor, RESET_PURPOSE, token);
    if (peeked.status !== 'ok') return { status: peeked.status === 'wrong' ? 'invalid' : peeked.status };
    const user = await users.findById(executor, peeked.token.user_id!);
    // An account blocked since the mail was sent cannot be taken back through it.
    return user?.status === 'active' ? { status: 'ok', user } : { status: 'invalid' };
  }

  return {
    ttlMinutes: ttlMinutes(config),

    /** Does the same database work whether or not an account matches; the caller evens out the answer time. */
    async request(r: RecoveryRequest): Promise<void> {
      // Every request counts, found or not: the answer must not depend on whether an account exists.
      await (await requests.begin({ ip: r.ip })).failed();
      const accounts = await accountsToRecover(db, users, customerNumberField(config), r.email, r.customerNumber);
      const ownerDevice = accounts.map((a) => deviceOf(r.devices, a)).find((d) => d !== undefined);
      const mailed = (await mails.allow({ address: r.email, ip: r.ip, ownerDevice })) && accounts.length > 0;
      await db.transaction(async (trx) => {
        if (mailed) await mailLinks(trx, accounts, r.locale, r.from);
        await audit(trx, 'recovery.requested', { userId: accounts[0]?.id, ip: r.ip, details: { accounts: accounts.length, mailed } });
      });
    },

    /** Staff (`idp users set-password --send-reset`, `/admin/users/:id`): the same mail as a request would send, for one account. */
    async mailLinkFor(user: User, by: { via: 'cli' } | { via: 'admin'; staffId: string; ip: string } = { via: 'cli' }): Promise<void> {
      if (!user.email || user.status !== 'active')
        throw new AppError('reset_impossible', 'error.reset_impossible', 409, { name: user.username ?? user.email ?? user.sub });
      await db.transaction(async (trx) => {
        await mailLinks(trx, [user], config.defaultLocale);
        await audit(trx, 'recovery.link_sent_by_staff', {
          userId: user.id,
          ...('ip' in by ? { ip: by.ip } : {}),
          details: { via: by.via, ...('staffId' in by ? { by: by.staffId } : {}) },
        });
      });
    },

    /** The state of a reset link, without spending it (to show the form it leads to). */
    check: (token: string) => linkState(db, token),

    /** Sets the new password: spends the link, ends every session and token, and mails the owner, in one transaction. */
    async reset(token: string, password: string, request: { ip: string | undefined; locale: Locale }): Promise<ResetOutcome> {
      const state = await linkState(db, token);
      if (state.status !== 'ok') return state;
      const { user } = state;
      const checked = policy.check(password, { username: user.username, email: user.email });
      if (!checked.ok) return { status: 'weak', failures: checked.failures };
      const hash = await hasher.hash(password);
      return db.transaction(async (trx): Promise<ResetOutcome> => {
        const spent = await tokens.redeemLink(trx, RESET_PURPOSE, token);
        // Another request (a double click) spent it first.
        if (spent.status !== 'ok') return { status: spent.status === 'wrong' ? 'invalid' : spent.status };
        await users.updatePasswordHash(trx, user.id, hash);
        const accessGeneration = await endAccountAccess(trx, tokens, user);
        const locale = localeOf(user, request.locale);
        const when = formatDateTime(locale, new Date());
        await enqueueNotice(trx, user, locale, {
          title: { key: 'recovery.changed_mail.title' },
          paragraphs: [
            user.username
              ? { key: 'recovery.changed_mail.what', params: { username: user.username, when } }
              : { key: 'recovery.changed_mail.what_email', params: { email: shownEmail(user.email), when } },
            { key: 'recovery.changed_mail.sessions' },
            { key: 'recovery.changed_mail.not_you' },
          ],
          action: { href: `${config.issuerUrl}/recovery`, label: { key: 'recovery.changed_mail.action' } },
        });
        await audit(trx, 'recovery.password_reset', { userId: user.id, ip: request.ip });
        return { status: 'ok', user: { ...user, access_generation: accessGeneration }, from: spent.token.data.from };
      });
    },
  };
}
