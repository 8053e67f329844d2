// Changing one's password while logged in: the current password is asked (a borrowed session must not be enough),
// the new one meets the policy, and every other session, grant and token of the account ends — whoever else may
// know the old password loses access at once. The session the user acts from stays; a notice is mailed.
import type { Config } from '../../app/settings.ts';
import type { Db } from '../../platform/db/knex.ts';
import type { User, UserRepository } from './repository.ts';
import type { PasswordHasher } from './passwords.ts';
import { createPasswordPolicy, type RuleFailure } from './password-policy.ts';
import { endAccountAccess } from './end-access.ts';
import type { TokenService } from '../tokens/one-time.ts';
import { enqueueNotice } from '../messaging/notice.ts';
import { createLimiter, waitIfRefused } from '../guards/rate-limit.ts';
import type { Duration, Locale } from '../../platform/web/i18n.ts';
import { audit } from '../../platform/audit.ts';

export interface PasswordChangeDeps {
  config: Config;
  db: Db;
  users: UserRepository;
  hasher: PasswordHasher;
  tokens: TokenService;
}

export type PasswordChangeResult =
  /** `accessGeneration`: the account's new one, in which the browser the person acts from stays a known device. */
  | { ok: true; accessGeneration: number }
  | { ok: false; problem: 'current_wrong' }
  | { ok: false; problem: 'rate_limited'; wait: Duration }
  | { ok: false; problem: 'policy'; failures: RuleFailure[] };

export function createPasswordChange({ config, db, users, hasher, tokens }: PasswordChangeDeps) {
  const policy = createPasswordPolicy(config);
  // Wrong current passwords count like failed logins: a stolen session must not become a password oracle.
  const limiter = createLimiter(db, { keyPrefix: 'password_change', points: config.rateLimitLogin, durationSeconds: 900 });

  return {
    policy,
    async change(
      user: User,
      input: { current: string; next: string },
      o: { keepSessionUid: string; locale: Locale; ip?: string },
    ): Promise<PasswordChangeResult> {
      // Counted before the check, atomically, so that parallel guesses cannot all pass as the first; the right
      // password gives its point back.
      const wait = await waitIfRefused(limiter, user.id);
      if (wait) return { ok: false, problem: 'rate_limited', wait };
      if (!(await hasher.verify(user.password_hash, input.current))) {
        await audit(db, 'password_change.failure', { userId: user.id, ip: o.ip, details: { reason: 'current_wrong' } });
        return { ok: false, problem: 'current_wrong' };
      }
      await limiter.delete(user.id);
      const check = policy.check(input.next, { username: user.username, email: user.email });
      if (!check.ok) return { ok: false, problem: 'policy', failures: check.failures };
      const hash = await hasher.hash(input.next);
      const accessGeneration = await db.transaction(async (trx) => {
        await users.updatePasswordHash(trx, user.id, hash);
        const generation = await endAccountAccess(trx, tokens, user, o.keepSessionUid);
        await enqueueNotice(trx, user, o.locale, {
          title: { key: 'account.mail.password_changed.title' },
          paragraphs: [{ key: 'account.mail.password_changed.body' }, { key: 'account.mail.password_changed.not_you' }],
          action: { href: `${config.issuerUrl}/recovery`, label: { key: 'account.mail.password_changed.action' } },
        });
        await audit(trx, 'password_changed', { userId: user.id, ip: o.ip, details: { otherSessionsEnded: true } });
        return generation;
      });
      return { ok: true, accessGeneration };
    },
  };
}

export type PasswordChange = ReturnType<typeof createPasswordChange>;
