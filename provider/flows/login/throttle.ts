// Password guessing at the login page: the shared throttle (provider/http/throttle.ts) per account and per IP,
// and a mail to the owner when an account reaches the threshold ("someone tried to log in to your account"),
// at most once per window.
import type { Config } from '../../config.ts';
import type { Db } from '../../db/knex.ts';
import type { User } from '../../accounts/repository.ts';
import { createThrottle, type AttemptOf } from '../../http/throttle.ts';
import { enqueueNotice } from '../../messaging/notice.ts';
import { isLocale } from '../../http/i18n.ts';
import { audit } from '../../audit.ts';
import { log } from '../../log.ts';

export interface LoginAttempt {
  failed(): Promise<void>;
  succeeded(): Promise<void>;
}

export interface LoginThrottle {
  /** Counts the attempt and waits out the delay the earlier ones earned; call before the password is checked. */
  begin(identifier: string, candidates: User[], ip: string | undefined): Promise<LoginAttempt>;
}

type LoginThrottleConfig = Pick<Config, 'rateLimitLogin' | 'rateLimitIp' | 'rateLimitMaxDelay' | 'issuerUrl' | 'defaultLocale'>;

async function warnOwner(db: Db, config: LoginThrottleConfig, user: User, ip: string | undefined): Promise<void> {
  await db.transaction(async (trx) => {
    await audit(trx, 'login.throttled', { userId: user.id, ip });
    await enqueueNotice(trx, user, isLocale(user.locale) ? user.locale : config.defaultLocale, {
      title: { key: 'throttle.mail.title' },
      paragraphs: [{ key: 'throttle.mail.what', params: { username: user.username ?? user.email ?? '', count: config.rateLimitLogin } }, { key: 'throttle.mail.protected' }, { key: 'throttle.mail.if_you' }],
      action: { href: `${config.issuerUrl}/recovery`, label: { key: 'throttle.mail.action' } },
    });
  });
}

export function createLoginThrottle(db: Db, config: LoginThrottleConfig): LoginThrottle {
  const throttle = createThrottle(db, { name: 'login', perSubject: config.rateLimitLogin, perIp: config.rateLimitIp, maxDelaySeconds: config.rateLimitMaxDelay });
  return {
    async begin(identifier, candidates, ip) {
      // One account is throttled as itself, whether named by username or address; anything else by what was
      // typed, so that an unknown name earns exactly the delays a known one does.
      const only = candidates.length === 1 ? candidates[0] : undefined;
      const attempt: AttemptOf = { subject: only ? `account:${only.id}` : `identifier:${identifier}`, ip };
      const counted = await throttle.begin(attempt);
      return {
        async failed() {
          const { thresholdReached } = counted.failed();
          // Not awaited: the answer must not take longer for an account that exists.
          if (thresholdReached) for (const user of candidates) void warnOwner(db, config, user, ip).catch((e: Error) => log.error('login warning mail failed', e));
        },
        succeeded: () => counted.succeeded(),
      };
    },
  };
}
