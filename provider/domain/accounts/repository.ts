// The users table: lookups by opaque `sub`, by username or e-mail (case-insensitively), creation and status.
import { randomUUID, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError } from '../../platform/errors.ts';
import { fromJsonColumn } from '../../platform/db/knex.ts';
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

    /** Pending sign-ups last touched before `before`, locked for the caller's transaction (the purge). */
    async stalePending(db: Knex, before: Date): Promise<string[]> {
      return db('users').where({ status: 'pending' }).where('updated_at', '<', before).forUpdate().pluck('id');
    },

    /**
     * An open sign-up still pending (no username, no customer record), by its address or by its id: what a repeated
     * open sign-up takes over.
     */
    async findOpenPending(db: Knex, by: { email: string } | { id: string }): Promise<{ id: string } | undefined> {
      const q = db('users')
        .where({ status: 'pending' })
        .whereNull('username')
        .whereNotExists((s) => s.select(db.raw('1')).from('customers').whereRaw('customers.user_id = users.id'));
      return 'email' in by
        ? q.whereRaw('lower(email) = ?', [by.email.toLowerCase()]).orderBy('created_at', 'desc').first('id')
        : q.where({ id: by.id }).first('id');
    },

    /**
     * Takes `email` from the other pending accounts holding it (only those without a username when `onlyWithoutUsername`);
     * returns their ids.
     */
    async releasePendingAddress(db: Knex, email: string, exceptId: string, onlyWithoutUsername: boolean): Promise<string[]> {
      const q = db('users').where({ status: 'pending' }).whereNot({ id: exceptId }).whereRaw('lower(email) = ?', [email.toLowerCase()]);
      if (onlyWithoutUsername) q.whereNull('username');
      const ids: string[] = await q.clone().pluck('id');
      if (ids.length) await q.update({ email: null, updated_at: new Date() });
      return ids;
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
    async holderOfAddress(db: Knex, email: string): Promise<{ id: string } | undefined> {
      return db('users').whereRaw('lower(email) = ?', [email.toLowerCase()]).whereNot({ status: 'pending' }).first('id');
    },

    /** Holds the account's row until the transaction ends, so that no one else erases it meanwhile; false once it is gone. */
    async lock(db: Knex, id: string): Promise<boolean> {
      return Boolean(await db('users').where({ id }).forUpdate().first('id'));
    },

    /** Deletes the account; its sessions, tokens, links and memberships go with it (the caller ended its access). */
    async delete(db: Knex, id: string): Promise<void> {
      await db('users').where({ id }).delete();
    },

    /** Activation: the link proved the address, which the account now claims. False when it was not pending. */
    async activate(db: Knex, id: string): Promise<boolean> {
      const user = await db('users').where({ id, status: 'pending' }).first('email');
      if (!user) return false;
      try {
        const n = await db('users')
          .where({ id, status: 'pending' })
          .update({ status: 'active', email_verified: Boolean(user.email), email_unique_key: emailKey(user.email), updated_at: new Date() });
        return n === 1;
      } catch (e) {
        if ((e as { code?: string }).code === '23505') throw new AppError('email_taken', 'error.email_taken', 409);
        throw e;
      }
    },

    /** A repeated sign-up before activation: the pending account takes the newest data. */
    async updatePending(db: Knex, id: string, u: Pick<NewUser, 'username' | 'email' | 'givenName' | 'familyName' | 'locale' | 'passwordHash'>): Promise<void> {
      const changes: Record<string, unknown> = { updated_at: new Date() };
      if (u.username !== undefined) changes.username = u.username;
      if (u.email !== undefined) changes.email = u.email;
      if (u.givenName !== undefined) changes.given_name = u.givenName;
      if (u.familyName !== undefined) changes.family_name = u.familyName;
      if (u.locale !== undefined) changes.locale = u.locale;
      if (u.passwordHash) Object.assign(changes, { password_hash: u.passwordHash, password_changed_at: new Date() });
      await db('users').where({ id, status: 'pending' }).update(changes);
    },

    /** Marks a pending account as mailed now: its unactivated life counts from its newest activation mail. */
    async touchPending(db: Knex, id: string): Promise<void> {
      await db('users').where({ id, status: 'pending' }).update({ updated_at: new Date() });
    },

    /**
     * Sign-ups that never got activated (superseded or purged) go with their one-time tokens, so that no token
     * outlives its account; an account that was ever active is never deleted.
     */
    async deletePending(db: Knex, ids: readonly string[]): Promise<number> {
      const pending = () => db('users').whereIn('id', ids).where({ status: 'pending' });
      await db('one_time_tokens').whereIn('user_id', pending().select('id')).delete();
      return pending().delete();
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
      await db('users').where({ id }).update({ password_hash: passwordHash, password_changed_at: new Date(), updated_at: new Date() });
    },

    async setStatus(db: Knex, id: string, status: UserStatus): Promise<void> {
      await db('users').where({ id }).update({ status, updated_at: new Date() });
    },

    /** A new address, proven by its link: only verified addresses are stored (the old one served until now). */
    async setVerifiedEmail(db: Knex, id: string, email: string): Promise<void> {
      try {
        await db('users')
          .where({ id })
          .update({ email, email_unique_key: emailKey(email), email_verified: true, updated_at: new Date() });
      } catch (e) {
        if ((e as { code?: string }).code === '23505') throw new AppError('email_taken', 'error.email_taken', 409);
        throw e;
      }
    },

    async setName(db: Knex, id: string, name: { givenName: string | null; familyName: string | null }): Promise<void> {
      await db('users').where({ id }).update({ given_name: name.givenName, family_name: name.familyName, updated_at: new Date() });
    },

    async setLocale(db: Knex, id: string, locale: Locale): Promise<void> {
      await db('users').where({ id }).update({ locale, updated_at: new Date() });
    },

    async setRoles(db: Knex, id: string, roles: readonly string[]): Promise<void> {
      await db('users')
        .where({ id })
        .update({ roles: JSON.stringify([...new Set(roles)]), updated_at: new Date() });
    },

    /** The person asked to delete the account (a date), or took it back by logging in (null). */
    async scheduleDeletion(db: Knex, id: string, due: Date | null): Promise<void> {
      await db('users').where({ id }).update({ deletion_due_at: due, updated_at: new Date() });
    },

    async dueForDeletion(db: Knex, now = new Date()): Promise<User[]> {
      return (await db('users').where('deletion_due_at', '<=', now)).map(normalise);
    },

    /** A new mobile number, proven by its SMS code (E.164). */
    async setVerifiedPhone(db: Knex, id: string, e164: string): Promise<void> {
      await db('users').where({ id }).update({ phone_number: e164, phone_number_verified: true, updated_at: new Date() });
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

function normalise(row: any): any {
  if (!row) return row;
  return { ...row, roles: fromJsonColumn<string[]>(row.roles) };
}
