// Organisations staff put users into. A notification can be addressed to one; an organisation set not to notify
// has its notifications recorded as skipped ("this organisation does not send notifications"), so a member who
// asks why no SMS came gets an answer instead of silence.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError } from '../../platform/errors.ts';
import { isUuid } from '../../platform/db/uuid.ts';
import { oneLine } from '../../platform/web/form.ts';

export interface Organisation {
  id: string;
  name: string;
  notify: boolean;
  createdAt: Date;
}

// One line of 2 to 200 characters that show: `idp orgs list` prints one organisation a line, and a tab, a line break
// or a bidi override in a name forged lines of that list (attack pass).
const NAME_RULE = 'an organisation name is one line of 2 to 200 visible characters';
export const organisationName = oneLine(200, NAME_RULE).min(2, NAME_RULE);

const toOrganisation = (r: Record<string, unknown>): Organisation => ({
  id: r.id as string,
  name: r.name as string,
  notify: Boolean(r.notify),
  createdAt: new Date(r.created_at as string),
});

export async function createOrganisation(db: Knex, name: string, notify = true): Promise<Organisation> {
  const row = { id: randomUUID(), name: organisationName.parse(name), notify, created_at: new Date() };
  try {
    await db('organisations').insert(row);
  } catch (e) {
    if ((e as { code?: string }).code === '23505') throw new AppError('organisation_exists', 'error.organisation_exists', 409, { name: row.name });
    throw e;
  }
  return toOrganisation(row);
}

/** By id or by name (case-insensitive): what staff type and what relying apps send. */
export async function findOrganisation(db: Knex, idOrName: string): Promise<Organisation | undefined> {
  const q = db('organisations');
  if (isUuid(idOrName)) q.where({ id: idOrName });
  else q.whereRaw('lower(name) = ?', [idOrName.trim().toLowerCase()]);
  const row = await q.first();
  return row && toOrganisation(row);
}

export async function getOrganisation(db: Knex, idOrName: string): Promise<Organisation> {
  const org = await findOrganisation(db, idOrName);
  if (!org) throw new AppError('organisation_unknown', 'error.organisation_unknown', 404, { name: idOrName });
  return org;
}

export async function listOrganisations(db: Knex): Promise<(Organisation & { members: number })[]> {
  const rows: Record<string, unknown>[] = await db('organisations as o')
    .leftJoin('organisation_members as m', 'm.organisation_id', 'o.id')
    .groupBy('o.id', 'o.name', 'o.notify', 'o.created_at')
    .orderByRaw('lower(o.name)')
    .select('o.id', 'o.name', 'o.notify', 'o.created_at', db.raw('count(m.user_id) as members'));
  return rows.map((r) => ({ ...toOrganisation(r), members: Number(r.members) }));
}

export async function setOrganisationNotify(db: Knex, id: string, notify: boolean): Promise<void> {
  await db('organisations').where({ id }).update({ notify });
}

/** Members of reviewer organisations (the school office): told, with the admins, of requests waiting for review. */
export async function setOrganisationReviewers(db: Knex, id: string, reviewers: boolean): Promise<void> {
  await db('organisations').where({ id }).update({ reviewers });
}

export async function reviewerMemberIds(db: Knex): Promise<string[]> {
  return (await db('organisation_members as m')
    .join('organisations as o', 'o.id', 'm.organisation_id')
    .where('o.reviewers', true)
    .distinct()
    .pluck('m.user_id')) as string[];
}

export async function addMember(db: Knex, organisationId: string, userId: string): Promise<boolean> {
  const added = await db('organisation_members')
    .insert({ organisation_id: organisationId, user_id: userId, created_at: new Date() })
    .onConflict(['organisation_id', 'user_id'])
    .ignore()
    .returning('user_id');
  return added.length > 0;
}

export async function removeMember(db: Knex, organisationId: string, userId: string): Promise<boolean> {
  return (await db('organisation_members').where({ organisation_id: organisationId, user_id: userId }).delete()) > 0;
}

export async function memberIds(db: Knex, organisationId: string): Promise<string[]> {
  return (await db('organisation_members').where({ organisation_id: organisationId }).pluck('user_id')) as string[];
}

/** Members as staff see them, by username. */
export async function membersOf(
  db: Knex,
  organisationId: string,
): Promise<{ id: string; username: string | null; email: string | null; given_name: string | null; family_name: string | null }[]> {
  return db('users as u')
    .join('organisation_members as m', 'm.user_id', 'u.id')
    .where('m.organisation_id', organisationId)
    .orderByRaw('lower(coalesce(u.username, u.email))')
    .select('u.id', 'u.username', 'u.email', 'u.given_name', 'u.family_name');
}

/** The organisations a user belongs to (shown on their profile). */
export async function organisationsOf(db: Knex, userId: string): Promise<Organisation[]> {
  const rows: Record<string, unknown>[] = await db('organisations as o')
    .join('organisation_members as m', 'm.organisation_id', 'o.id')
    .where('m.user_id', userId)
    .orderByRaw('lower(o.name)')
    .select('o.*');
  return rows.map(toOrganisation);
}
