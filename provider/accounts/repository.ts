// The users table: lookups by opaque `sub`, by username or e-mail (case-insensitively), creation and status.
import { randomUUID, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError } from '../errors.ts';

export type UserStatus = 'pending' | 'active' | 'locked' | 'blocked';

export interface User {
  id: string;
  sub: string;
  username: string | null;
  email: string | null;
  email_verified: boolean;
  phone_number: string | null;
  phone_number_verified: boolean;
  given_name: string | null;
  family_name: string | null;
  locale: string | null;
  password_hash: string | null;
  status: UserStatus;
  roles: string[];
  password_changed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewUser {
  username?: string | null;
  email?: string | null;
  emailVerified?: boolean;
  givenName?: string | null;
  familyName?: string | null;
  locale?: string | null;
  passwordHash?: string | null;
  status?: UserStatus;
  roles?: string[];
}

export type IdentifierKind = 'username_or_email' | 'username' | 'email';

/** An opaque, stable subject identifier: never the username, which relying apps must not key on. */
const newSub = () => randomBytes(16).toString('base64url');

export function createUserRepository(options: { uniqueEmail: boolean }) {
  const emailKey = (email: string | null | undefined) => (options.uniqueEmail && email ? email.toLowerCase() : null);

  return {
    async create(db: Knex, u: NewUser): Promise<User> {
      const row = {
        id: randomUUID(),
        sub: newSub(),
        username: u.username ?? null,
        email: u.email ?? null,
        email_unique_key: emailKey(u.email),
        email_verified: u.emailVerified ?? false,
        given_name: u.givenName ?? null,
        family_name: u.familyName ?? null,
        locale: u.locale ?? null,
        password_hash: u.passwordHash ?? null,
        password_changed_at: u.passwordHash ? new Date() : null,
        status: u.status ?? 'pending',
        roles: JSON.stringify(u.roles ?? []),
      };
      try {
        const [created] = await db('users').insert(row).returning('*');
        return normalise(created);
      } catch (e) {
        if ((e as { code?: string }).code === '23505') {
          throw new AppError('account_exists', 'An account with this username or e-mail address already exists', 409);
        }
        throw e;
      }
    },

    async findBySub(db: Knex, sub: string): Promise<User | undefined> {
      return normalise(await db('users').where({ sub }).first());
    },

    async findById(db: Knex, id: string): Promise<User | undefined> {
      return normalise(await db('users').where({ id }).first());
    },

    /** Accounts a login identifier may name; more than one only when addresses are shared and no username matched. */
    async findByIdentifier(db: Knex, identifier: string, kind: IdentifierKind): Promise<User[]> {
      const value = identifier.trim().toLowerCase();
      if (!value) return [];
      if (kind !== 'email') {
        const byUsername = await db('users').whereRaw('lower(username) = ?', [value]).first();
        if (byUsername) return [normalise(byUsername)];
      }
      if (kind !== 'username' && value.includes('@')) {
        return (await db('users').whereRaw('lower(email) = ?', [value]).orderBy('created_at')).map(normalise);
      }
      return [];
    },

    async updatePasswordHash(db: Knex, id: string, passwordHash: string): Promise<void> {
      await db('users').where({ id }).update({ password_hash: passwordHash, password_changed_at: new Date(), updated_at: new Date() });
    },

    async setStatus(db: Knex, id: string, status: UserStatus): Promise<void> {
      await db('users').where({ id }).update({ status, updated_at: new Date() });
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;

function normalise(row: any): any {
  if (!row) return row;
  return { ...row, roles: typeof row.roles === 'string' ? JSON.parse(row.roles) : row.roles };
}
