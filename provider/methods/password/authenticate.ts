// Password login: the same work and the same answer whether the identifier names no account, several, or one
// with a wrong password, so the page cannot be used to find out who has an account.
import type { Db } from '../../platform/db/knex.ts';
import type { PasswordHasher } from '../../domain/accounts/passwords.ts';
import type { User, UserRepository } from '../../domain/accounts/repository.ts';
import { accountsNamed, lookedUpAs, type LoginIdentifier } from './identifiers.ts';
import { audit } from '../../platform/audit.ts';
import type { KnownDevice } from '../../platform/web/devices.ts';
import type { LoginThrottle } from './throttle.ts';
import { ACR, AMR } from '../../oidc/acr.ts';
import { signInMethod } from '../strategy.ts';

/** A right password for an active account. */
export const passwordMethod = signInMethod<{ user: User }>('password', { acr: ACR.password, amr: AMR.password });

export type LoginOutcome =
  | { ok: true; user: User }
  /** Right password, but the account cannot log in yet or any more; safe to say, since the password proved who it is. */
  | { ok: false; reason: 'not_active'; user: User }
  | { ok: false; reason: 'invalid' };

export interface Authenticator {
  /**
   * `devices`: the browser's known devices (provider/platform/web/devices.ts), which the throttle counts on their own;
   * `kind`: what the identifier is in the portal the person came from, else the deployment's.
   */
  authenticate(
    identifier: string,
    password: string,
    at?: { ip?: string; devices?: ReadonlyMap<string, KnownDevice>; kind?: LoginIdentifier | undefined },
  ): Promise<LoginOutcome>;
}

export function createAuthenticator(deps: {
  db: Db;
  users: UserRepository;
  hasher: PasswordHasher;
  identifierKind: LoginIdentifier;
  throttle?: LoginThrottle;
}): Authenticator {
  const { db, users, hasher, identifierKind, throttle } = deps;
  return {
    async authenticate(identifier, password, { ip, devices, kind } = {}) {
      const named = () => accountsNamed(db, users, identifier, kind ?? identifierKind);
      let candidates = await named();
      const attempt = await throttle?.begin(lookedUpAs(identifier, kind ?? identifierKind), candidates, ip, devices);
      // After a delay the account is read again: its password may have been changed (or the account blocked) while
      // this attempt waited, and the delay is as long as others care to make it.
      if (attempt?.waited) candidates = await named();
      // A shared address cannot say which account is meant: only the username can.
      const user = candidates.length === 1 ? candidates[0] : undefined;
      const valid = await hasher.verify(user?.password_hash, password);
      if (!user || !valid) {
        await attempt?.failed();
        await audit(db, 'login.failure', { userId: user?.id, ip, details: { reason: 'invalid_credentials' } });
        return { ok: false, reason: 'invalid' };
      }
      // The password was right: the attempt is no failure, whatever the account's status.
      await attempt?.succeeded();
      if (user.status !== 'active') {
        await audit(db, 'login.refused', { userId: user.id, ip, details: { status: user.status } });
        return { ok: false, reason: 'not_active', user };
      }
      if (hasher.needsRehash(user.password_hash!)) await users.upgradePasswordHash(db, user.id, user.password_hash!, await hasher.hash(password));
      return { ok: true, user };
    },
  };
}
