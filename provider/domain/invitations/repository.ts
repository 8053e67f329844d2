// The invitations table: credentials staff issued to one person, and a registration waiting for review.
import type { Knex } from 'knex';
import { fromJsonColumn } from '../../platform/db/knex.ts';
import { isUuid } from '../../platform/db/uuid.ts';

export type InvitationStatus = 'issued' | 'registered' | 'pending_review' | 'rejected';

/** What a registration with corrected names leaves for the reviewer to complete. */
export interface PendingRegistration {
  email: string;
  passwordHash: string;
  locale: string;
  termsVersion: string;
  privacyVersion: string;
  acceptedAt: string;
}

export interface Invitation {
  id: string;
  username: string;
  initial_password_hash: string;
  given_name: string;
  family_name: string;
  group_name: string | null;
  email: string | null;
  status: InvitationStatus;
  corrected_given_name: string | null;
  corrected_family_name: string | null;
  pending_registration: PendingRegistration | null;
  user_id: string | null;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  review_reason: string | null;
  noticed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const parse = (row: any): Invitation | undefined => row && { ...row, pending_registration: fromJsonColumn(row.pending_registration) };

export const invitations = {
  async findById(db: Knex, id: string): Promise<Invitation | undefined> {
    return isUuid(id) ? parse(await db('invitations').where({ id }).first()) : undefined;
  },

  async findByUsername(db: Knex, username: string): Promise<Invitation | undefined> {
    return parse(await db('invitations').whereRaw('lower(username) = ?', [username.trim().toLowerCase()]).first());
  },

  async ofUser(db: Knex, userId: string): Promise<{ id: string } | undefined> {
    return db('invitations').where({ user_id: userId }).first('id');
  },

  /** The sign-ups waiting for review no staff member has been told of yet, marked as told in the caller's transaction. */
  async takeUnnoticed(trx: Knex): Promise<number> {
    return trx('invitations').where({ status: 'pending_review' }).whereNull('noticed_at').update({ noticed_at: new Date() });
  },

  async pendingReview(db: Knex): Promise<Invitation[]> {
    return (await db('invitations').where({ status: 'pending_review' }).orderBy('updated_at')).map((r) => parse(r)!);
  },

  /** Moves an invitation from `from` only: a double click or a second reviewer changes nothing. */
  async update(
    db: Knex,
    id: string,
    from: InvitationStatus[],
    changes: Partial<Omit<Invitation, 'id' | 'pending_registration'>> & { pending_registration?: PendingRegistration | null },
  ): Promise<boolean> {
    const row: Record<string, unknown> = { ...changes, updated_at: new Date() };
    if ('pending_registration' in changes) row.pending_registration = changes.pending_registration ? JSON.stringify(changes.pending_registration) : null;
    return (await db('invitations').where({ id }).whereIn('status', from).update(row)) === 1;
  },
};
