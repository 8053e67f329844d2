// Password guessing at the login page: the shared throttle (provider/domain/guards/throttle.ts) per identifier and per IP,
// or per device for a browser that has logged in to the account before, and a mail to the owner when an account
// reaches the threshold ("someone tried to log in to your account"), at most once per window.
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import { localeOf, type User } from '../../domain/accounts/repository.ts';
import { createThrottle, keyOf, WINDOW_SECONDS, type AttemptOf } from '../../domain/guards/throttle.ts';
import { consumeWithin, createLimiter } from '../../domain/guards/rate-limit.ts';
import { enqueueNotice } from '../../domain/messaging/notice.ts';
import { audit } from '../../platform/audit.ts';
import { log } from '../../platform/log.ts';
import { deviceOf, type KnownDevice } from '../../platform/web/devices.ts';

export interface LoginAttempt {
  /** It waited a delay (up to RATE_LIMIT_MAX_DELAY, which others can cause): the account must be read again. */
  waited: boolean;
  failed(): Promise<void>;
  succeeded(): Promise<void>;
}

export interface LoginThrottle {
  /**
   * Counts the attempt and waits out the delay the earlier ones earned; call before the password is checked.
   * `devices`: account id → the browser's device for it, from its device cookie (provider/platform/web/devices.ts).
   */
  begin(identifier: string, candidates: User[], ip: string | undefined, devices?: ReadonlyMap<string, KnownDevice>): Promise<LoginAttempt>;
}

type LoginThrottleConfig = Pick<Config, 'rateLimitLogin' | 'rateLimitIp' | 'rateLimitMaxDelay' | 'issuerUrl' | 'defaultLocale'>;

async function warnOwner(db: Db, config: LoginThrottleConfig, user: User, ip: string | undefined): Promise<void> {
  await db.transaction(async (trx) => {
    await audit(trx, 'login.throttled', { userId: user.id, ip });
    await enqueueNotice(trx, user, localeOf(user, config.defaultLocale), {
      title: { key: 'throttle.mail.title' },
      paragraphs: [
        { key: 'throttle.mail.what', params: { username: user.username ?? user.email ?? '', count: config.rateLimitLogin } },
        { key: 'throttle.mail.protected' },
        { key: 'throttle.mail.if_you' },
      ],
      action: { href: `${config.issuerUrl}/recovery`, label: { key: 'throttle.mail.action' } },
    });
  });
}

export function createLoginThrottle(db: Db, config: LoginThrottleConfig): LoginThrottle {
  const throttle = createThrottle(db, {
    name: 'login',
    perSubject: config.rateLimitLogin,
    perIp: config.rateLimitIp,
    maxDelaySeconds: config.rateLimitMaxDelay,
  });
  // Failures per account, for the warning only: the delays never depend on whether an account exists.
  const accounts = createLimiter(db, { keyPrefix: 'login_account', points: config.rateLimitLogin, durationSeconds: WINDOW_SECONDS });
  /**
   * Counts a failure for the account's owner, who is warned at the threshold (once per window: past it the limiter
   * refuses). A name of no account is counted too, under its own key: the same write, so the answer takes as long.
   */
  async function countForOwner(user: User | undefined, identifier: string, ip: string | undefined) {
    const consumed = await consumeWithin(accounts, user?.id ?? `nobody:${keyOf(identifier)}`);
    if (user && consumed?.consumedPoints === config.rateLimitLogin) await warnOwner(db, config, user, ip);
  }

  return {
    async begin(identifier, candidates, ip, devices) {
      const only = candidates.length === 1 ? candidates[0] : undefined;
      const device = only && deviceOf(devices, only);
      // A known device of the account is counted on its own, and not by an address others may share. Any other
      // attempt is counted by the identifier as typed: known and unknown names alike, and a username and an address
      // of one account apart, so the delays tell nobody who has an account or which address is whose.
      const attempt: AttemptOf = device ? { subject: `device:${only.id}:${device}` } : { subject: `identifier:${identifier}`, ip };
      const counted = await throttle.begin(attempt);
      return {
        waited: counted.waited,
        async failed() {
          await counted.failed();
          // Not awaited: the answer must not take longer for an account that exists.
          for (const user of candidates.length ? candidates : [undefined])
            void countForOwner(user, identifier, ip).catch((e: Error) => log.error('login warning mail failed', e));
        },
        async succeeded() {
          await counted.succeeded(only ? [accounts.getKey(only.id)] : []);
        },
      };
    },
  };
}
