// The account a sign-up makes, shared by every mode and by the staff's approval: the pending account (new, or an
// earlier pending one taking the newest data), its consents and its activation mail.
import type { Knex } from 'knex';
import type { Services } from '../../app/services.ts';
import type { User } from '../../domain/accounts/repository.ts';
import { type PendingRegistration } from '../../domain/invitations/repository.ts';
import { audit } from '../../platform/audit.ts';
import { isAppError } from '../../platform/errors.ts';
import { registrationErrors } from './errors.ts';
import type { SignUp } from './service.ts';
import type { Activation } from './activation.ts';

export function createSignUpAccounts(services: Pick<Services, 'config' | 'db' | 'users' | 'hasher' | 'tokens'>, activation: Activation) {
  const { config, users } = services;
  async function recordConsents(trx: Knex, userId: string, versions: { terms: string; privacy: string }, at: Date): Promise<void> {
    await trx('consents').insert([
      { user_id: userId, document: 'terms', version: versions.terms, accepted_at: at },
      { user_id: userId, document: 'privacy', version: versions.privacy, accepted_at: at },
    ]);
  }

  /** The pending account takes the newest data, or is created; either way it gets a new link (the old one is void). */
  async function pendingAccount(trx: Knex, existing: User | undefined, s: SignUp, username: string | null): Promise<User> {
    const data = { username, email: s.email, givenName: s.givenName, familyName: s.familyName, locale: s.locale, passwordHash: s.passwordHash };
    if (existing?.status === 'pending') {
      await users.updatePending(trx, existing.id, data);
      return (await users.findById(trx, existing.id))!;
    }
    try {
      return await users.create(trx, { ...data, status: 'pending' });
    } catch (e) {
      if (isAppError(e) && e.code === 'account_exists' && username) throw registrationErrors.usernameTaken(username);
      throw e;
    }
  }

  async function finish(trx: Knex, user: User, s: SignUp, mode: string, intro?: Parameters<typeof activation.send>[2], titleKey?: string): Promise<void> {
    await recordConsents(trx, user.id, { terms: config.termsVersion, privacy: config.privacyVersion }, s.acceptedAt);
    await activation.send(trx, user, intro, titleKey, s.from);
    await audit(trx, 'registration.signed_up', { userId: user.id, ip: s.ip, details: { mode } });
  }

  /** Terms and privacy versions and time, kept with a registration that waits for review. */
  const pendingRegistration = (s: SignUp): PendingRegistration => ({
    email: s.email,
    passwordHash: s.passwordHash,
    locale: s.locale,
    termsVersion: config.termsVersion,
    privacyVersion: config.privacyVersion,
    acceptedAt: s.acceptedAt.toISOString(),
  });

  return { pendingAccount, finish, pendingRegistration };
}

export type SignUpAccounts = ReturnType<typeof createSignUpAccounts>;
