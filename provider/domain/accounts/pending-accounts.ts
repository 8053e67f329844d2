// The accounts of sign-ups not yet activated: what registration and its purge do with them. Part of the users
// repository (./repository.ts), which spreads these in; kept apart because the table's other queries fill a file.
import type { Knex } from 'knex';
import type { NewUser } from './repository.ts';
import { claimingAddress } from './address-claim.ts';

export function pendingAccountQueries(emailKey: (email: string | null | undefined) => string | null) {
  return {
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

    /** Activation: the link proved the address, which the account now claims. False when it was not pending. */
    async activate(db: Knex, id: string): Promise<boolean> {
      const user = await db('users').where({ id, status: 'pending' }).first('email');
      if (!user) return false;
      const n = await claimingAddress(() =>
        db('users')
          .where({ id, status: 'pending' })
          .update({ status: 'active', email_verified: Boolean(user.email), email_unique_key: emailKey(user.email), updated_at: new Date() }),
      );
      return n === 1;
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
  };
}
