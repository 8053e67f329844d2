// The users table: lookups by opaque `sub`, by username or e-mail (case-insensitively), creation and status.
import { randomUUID, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError } from '../../platform/errors.ts';
import { fromJsonColumn } from '../../platform/db/knex.ts';
import { claimingAddress } from './address-claim.ts';
import { pendingAccountQueries } from './pending-accounts.ts';
import { isLocale, type Locale } from '../../platform/web/i18n.ts';

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
  /** Moved on by whatever ends the account's access: device cookies and first login steps of an earlier one no longer count. */
  access_generation: number;
  created_at: Date;
  updated_at: Date;
  /** Set while the person's request to delete the account waits out its grace period. */
  deletion_due_at: Date | null;
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

/** The language an account's mails and SMS go out in: its own, or `fallback` when it has none we speak. */
export const localeOf = (user: Pick<User, 'locale'>, fallback: Locale): Locale => (isLocale(user.locale) ? user.locale : fallback);

/** The language of one mail about several accounts (an address they share): theirs when they agree, else `fallback`. */
export function localeOfAll(users: Pick<User, 'locale'>[], fallback: Locale): Locale {
  const [first, ...others] = users.map((u) => localeOf(u, fallback));
  return first !== undefined && others.every((l) => l === first) ? first : fallback;
}

export type IdentifierKind = 'username_or_email' | 'username' | 'email';

/** An opaque, stable subject identifier: never the username, which relying apps must not key on. */
const newSub = () => randomBytes(16).toString('base64url');

export function createUserRepository(options: { uniqueEmail: boolean }) {
  const emailKey = (email: string | null | undefined) => (options.uniqueEmail && email ? email.toLowerCase() : null);

  return {
    ...pendingAccountQueries(emailKey),
    async create(db: Knex, u: NewUser): Promise<User> {
      const row = {
        id: randomUUID(),
        sub: newSub(),
        username: u.username ?? null,
        email: u.email ?? null,
        // A pending (not yet activated) account claims its address only when its link proves it: otherwise anyone
        // could block an address forever by signing it up. See activate().
        email_unique_key: (u.status ?? 'pending') === 'pending' ? null : emailKey(u.email),
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
          throw new AppError('account_exists', 'error.account_exists', 409);
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
    async findByIds(db: Knex, ids: readonly string[]): Promise<User[]> {
      return ids.length ? db('users').whereIn('id', [...new Set(ids)]) : [];
    },

    /** The accounts named by username (any case) or sub, as a relying app addresses people. */
    async findByUsernamesOrSubs(db: Knex, usernames: readonly string[], subs: readonly string[]): Promise<User[]> {
      const lower = usernames.map((u) => u.toLowerCase());
      if (!lower.length && !subs.length) return [];
      const rows = await db('users').where((q) => {
        if (lower.length) q.orWhereRaw(`lower(username) in (${lower.map(() => '?').join(',')})`, lower);
        if (subs.length) q.orWhereIn('sub', subs);
      });
      return rows.map(normalise);
    },

    /** Active accounts holding `role`. */
    async withRole(db: Knex, role: string): Promise<User[]> {
      return (
        await db('users')
          .where({ status: 'active' })
          .whereRaw('roles @> ?::jsonb', [JSON.stringify([role])])
      ).map(normalise);
    },

    /** `also`: columns another table's module answers of each account (`users.id`), read in the same statement. */
    async findByIdentifier(db: Knex, identifier: string, kind: IdentifierKind, also: Knex.Raw[] = []): Promise<User[]> {
      const value = identifier.trim().toLowerCase();
      if (!value) return [];
      if (kind !== 'email') {
        const byUsername = await db('users')
          .whereRaw('lower(username) = ?', [value])
          .first('users.*', ...also);
        if (byUsername) return [normalise(byUsername)];
      }
      if (kind !== 'username' && value.includes('@')) {
        return (
          await db('users')
            .whereRaw('lower(email) = ?', [value])
            .orderBy('created_at')
            .select('users.*', ...also)
        ).map(normalise);
      }
      return [];
    },

    /** An account that is not pending and holds `email`: an active one, or one blocked or locked by now. */
    async holderOfAddress(db: Knex, email: string): Promise<Pick<User, 'id' | 'locale'> | undefined> {
      return db('users').whereRaw('lower(email) = ?', [email.toLowerCase()]).whereNot({ status: 'pending' }).first('id', 'locale');
    },

    /** Holds the account's row until the transaction ends, so that no one else erases it meanwhile; false once it is gone. */
    async lock(db: Knex, id: string): Promise<boolean> {
      return Boolean(await db('users').where({ id }).forUpdate().first('id'));
    },

    /** Deletes the account; its sessions, tokens, links and memberships go with it (the caller ended its access). */
    async delete(db: Knex, id: string): Promise<void> {
      await db('users').where({ id }).delete();
    },

    /** Staff search: part of a username, an address or a name, case-insensitively. */
    async search(db: Knex, text: string, limit = 50): Promise<User[]> {
      const like = `%${text
        .trim()
        .toLowerCase()
        .replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const rows = await db('users')
        .where((q) => {
          for (const column of ['username', 'email', 'given_name', 'family_name']) q.orWhereRaw(`lower(${column}) like ?`, [like]);
          q.orWhereRaw("lower(coalesce(given_name, '') || ' ' || coalesce(family_name, '')) like ?", [like]);
        })
        .orderByRaw('lower(coalesce(username, email))')
        .limit(limit);
      return rows.map(normalise);
    },

    async updatePasswordHash(db: Knex, id: string, passwordHash: string): Promise<void> {
      await update(db, id, { password_hash: passwordHash, password_changed_at: new Date() });
    },

    /**
     * The same password under the hasher's current parameters, in place of `from`, only if the account still has it:
     * a login's upgrade must not write an old password back over the one the owner chose meanwhile.
     */
    async upgradePasswordHash(db: Knex, id: string, from: string, to: string): Promise<void> {
      await db('users').where({ id, password_hash: from }).update({ password_hash: to, updated_at: new Date() });
    },

    async setStatus(db: Knex, id: string, status: UserStatus): Promise<void> {
      await update(db, id, { status });
    },

    /**
     * Gives an account back (`active`) if it is still in the access generation the caller proved it in and nobody
     * locked it: one statement, so that a lock, a new password or another reactivation committed after the caller read
     * the account (a reactivation reads it, then hashes the new password) is never overwritten. False otherwise.
     */
    async reactivate(db: Knex, id: string, generation: number): Promise<boolean> {
      const n = await db('users')
        .where({ id, access_generation: generation })
        .whereNot({ status: 'locked' })
        .update({ status: 'active', updated_at: new Date() });
      return n === 1;
    },

    /** A new address, proven by its link: only verified addresses are stored (the old one served until now). */
    async setVerifiedEmail(db: Knex, id: string, email: string): Promise<void> {
      await claimingAddress(() => update(db, id, { email, email_unique_key: emailKey(email), email_verified: true }));
    },

    async setName(db: Knex, id: string, name: { givenName: string | null; familyName: string | null }): Promise<void> {
      await update(db, id, { given_name: name.givenName, family_name: name.familyName });
    },

    async setLocale(db: Knex, id: string, locale: Locale): Promise<void> {
      await update(db, id, { locale });
    },

    async setRoles(db: Knex, id: string, roles: readonly string[]): Promise<void> {
      await update(db, id, { roles: JSON.stringify([...new Set(roles)]) });
    },

    /** The person asked to delete the account (a date), or took it back by logging in (null). */
    async scheduleDeletion(db: Knex, id: string, due: Date | null): Promise<void> {
      await update(db, id, { deletion_due_at: due });
    },

    async dueForDeletion(db: Knex, now = new Date()): Promise<User[]> {
      return (await db('users').where('deletion_due_at', '<=', now)).map(normalise);
    },

    /** A new mobile number, proven by its SMS code (E.164). */
    async setVerifiedPhone(db: Knex, id: string, e164: string): Promise<void> {
      await update(db, id, { phone_number: e164, phone_number_verified: true });
    },

    /** False when the account had no number (any more): two removals at once take it away once. */
    async removePhone(db: Knex, id: string): Promise<boolean> {
      const n = await db('users')
        .where({ id })
        .whereNotNull('phone_number')
        .update({ phone_number: null, phone_number_verified: false, updated_at: new Date() });
      return n > 0;
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;

const update = (db: Knex, id: string, fields: Record<string, unknown>) =>
  db('users')
    .where({ id })
    .update({ ...fields, updated_at: new Date() });

function normalise(row: any): any {
  if (!row) return row;
  return { ...row, roles: fromJsonColumn<string[]>(row.roles) };
}
