// A person whose names are locked (LOCKED_NAMES: the office vouched for them, as for pupils) cannot rewrite them on
// /account; they ask for a correction, which waits in the office's queue until staff approve or reject it. One
// request per person waits at a time: a new one replaces it.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { RegistrationMode } from '../../app/settings.ts';
import { invitations } from '../invitations/repository.ts';
import { customerNumbersOf } from '../customers/customers.ts';

export interface Names {
  givenName: string;
  familyName: string;
}

export interface NameCorrection extends Names {
  id: string;
  userId: string;
  requestedAt: Date;
}

/** A waiting request, with the account it names as staff see it. */
export interface QueuedCorrection extends NameCorrection {
  username: string | null;
  currentGivenName: string | null;
  currentFamilyName: string | null;
}

const toCorrection = (r: Record<string, unknown>): NameCorrection => ({
  id: r.id as string,
  userId: r.user_id as string,
  givenName: r.given_name as string,
  familyName: r.family_name as string,
  requestedAt: new Date(r.requested_at as string),
});

/** How the account came to be: from an invitation slip, a customer record, or an open sign-up (or staff). */
export async function accountOrigin(db: Knex, userId: string): Promise<RegistrationMode> {
  if (await invitations.ofUser(db, userId)) return 'invitation';
  return (await customerNumbersOf(db, [userId])).size ? 'customer' : 'open';
}

export async function namesLocked(db: Knex, lockedModes: readonly RegistrationMode[], userId: string): Promise<boolean> {
  return lockedModes.length > 0 && lockedModes.includes(await accountOrigin(db, userId));
}

export const nameCorrections = {
  async request(trx: Knex, userId: string, names: Names): Promise<NameCorrection> {
    // One statement, so that two requests sent at once leave one waiting, the later names in it. Staff decide on
    // the id their queue page showed: new names take a new id, so that a decision never applies names unseen.
    const { rows } = await trx.raw<{ rows: Record<string, unknown>[] }>(
      `insert into name_corrections (id, user_id, given_name, family_name, status, requested_at) values (?, ?, ?, ?, 'pending', ?)
       on conflict (user_id) where status = 'pending'
       do update set id = excluded.id, given_name = excluded.given_name, family_name = excluded.family_name, requested_at = excluded.requested_at, noticed_at = null
       returning *`,
      [randomUUID(), userId, names.givenName, names.familyName, new Date()],
    );
    return toCorrection(rows[0]!);
  },

  async pendingOf(db: Knex, userId: string): Promise<NameCorrection | undefined> {
    const row = await db('name_corrections').where({ user_id: userId, status: 'pending' }).first();
    return row && toCorrection(row);
  },

  async queue(db: Knex): Promise<QueuedCorrection[]> {
    const rows = await db('name_corrections as c')
      .join('users as u', 'u.id', 'c.user_id')
      .where('c.status', 'pending')
      .orderBy('c.requested_at')
      .select('c.*', 'u.username', 'u.given_name as current_given_name', 'u.family_name as current_family_name');
    return rows.map((r: Record<string, unknown>) => ({
      ...toCorrection(r),
      username: r.username as string | null,
      currentGivenName: r.current_given_name as string | null,
      currentFamilyName: r.current_family_name as string | null,
    }));
  },

  /** Closes a waiting request; undefined when it was no longer waiting (a double click, a second reviewer). */
  async decide(
    trx: Knex,
    id: string,
    decision: 'approved' | 'rejected',
    o: { reviewerId: string; reason?: string | undefined },
  ): Promise<NameCorrection | undefined> {
    const [row] = await trx('name_corrections')
      .where({ id, status: 'pending' })
      .update({ status: decision, reviewed_by: o.reviewerId, reviewed_at: new Date(), reason: o.reason ?? null })
      .returning('*');
    if (!row) return undefined;
    if (decision === 'approved')
      await trx('users').where({ id: row.user_id }).update({ given_name: row.given_name, family_name: row.family_name, updated_at: new Date() });
    return toCorrection(row);
  },

  /** The waiting requests no staff member has been told of yet, marked as told in the caller's transaction. */
  async takeUnnoticed(trx: Knex): Promise<number> {
    return trx('name_corrections').where({ status: 'pending' }).whereNull('noticed_at').update({ noticed_at: new Date() });
  },

  async waiting(db: Knex): Promise<number> {
    const [{ n }] = (await db('name_corrections').where({ status: 'pending' }).count({ n: '*' })) as [{ n: string | number }];
    return Number(n);
  },
};
