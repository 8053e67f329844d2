// What the login field accepts (LOGIN_IDENTIFIER, or the portal profile's own): each kind looks an account up by
// that kind only, so a portal whose people log in with a username never finds anyone by an address, and a customer
// portal finds by its number only an account a customer record was linked to at sign-up.
import type { Knex } from 'knex';
import type { User, UserRepository } from '../../domain/accounts/repository.ts';
import { accountOfCustomerNumber, normaliseCustomerNumber } from '../../domain/customers/customers.ts';
import { confirmedAppColumn, takeConfirmedApp } from '../../domain/second-factors/store.ts';

export const LOGIN_IDENTIFIERS = ['username_or_email', 'username', 'email', 'customer_number', 'email_or_customer_number'] as const;
export type LoginIdentifier = (typeof LOGIN_IDENTIFIERS)[number];

const byNumber = (identifier: string, kind: LoginIdentifier) =>
  kind === 'customer_number' || (kind === 'email_or_customer_number' && !identifier.includes('@'));

/** `identifier` as its lookup reads it: every way of writing one customer number is one name to the login throttle. */
export const lookedUpAs = (identifier: string, kind: LoginIdentifier): string =>
  byNumber(identifier, kind) ? normaliseCustomerNumber(identifier) : identifier;

/** The accounts `identifier` names under `kind`: none, one, or several sharing an address. */
export async function accountsNamed(db: Knex, users: UserRepository, identifier: string, kind: LoginIdentifier): Promise<User[]> {
  // Each account comes with whether it has an authenticator app: the second step after a right password asks.
  if (kind !== 'customer_number' && !byNumber(identifier, kind))
    return (await users.findByIdentifier(db, identifier, kind === 'email_or_customer_number' ? 'email' : kind, [confirmedAppColumn(db)])).map(takeConfirmedApp);
  const userId = await accountOfCustomerNumber(db, identifier);
  const user = userId ? await users.findById(db, userId) : undefined;
  return user ? [user] : [];
}
