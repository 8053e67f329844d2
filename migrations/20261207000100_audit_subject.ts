import type { Knex } from 'knex';

// Staff's actions on a person were recorded under the staff member's id (or none, from the command line), the person
// only in `details.account`: the person's own trail, export and erasure, which go by `user_id`, missed them, and the
// staff member's export listed other people's accounts. An event about a person now has that person as `user_id` and
// who acted in `details.by` (or `via`), as the events of provider/flows/admin/person.ts always had.
const STAFF_ACTIONS = [
  'admin.blocked',
  'admin.locked',
  'admin.unblocked',
  'admin.activation_resent',
  'admin.organisation_member_added',
  'admin.organisation_member_removed',
  'admin.account_created',
  'admin.password_set',
  'registration.approved',
];
// Written once the account is gone: it had no user_id, and `by` already.
const ERASURE = 'admin.deleted';
const NAMES_AN_ACCOUNT = `details->>'account' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;
// Only the command line acts without an account; its older registration approvals did not say so.
const ACTOR = `case
  when details->>'by' is not null or details->>'via' is not null then '{}'::jsonb
  when user_id is not null then jsonb_build_object('by', user_id)
  else '{"via":"cli"}'::jsonb
end`;

export async function up(knex: Knex): Promise<void> {
  // An erasure deletes the account's events but these, filed under someone else: had they been under the account,
  // they would have gone with it. They go now, so that nothing of an erased person stays but the records of the
  // erasure itself (account.deleted, and admin.deleted).
  await knex('audit_log as a')
    .whereIn('event', STAFF_ACTIONS)
    .whereRaw(NAMES_AN_ACCOUNT)
    .whereNotExists(knex('users as u').whereRaw(`u.id::text = lower(a.details->>'account')`))
    .delete();
  await knex('audit_log')
    .whereIn('event', [...STAFF_ACTIONS, ERASURE])
    .whereRaw(NAMES_AN_ACCOUNT)
    .update({ user_id: knex.raw(`(details->>'account')::uuid`), details: knex.raw(`(details - 'account') || ${ACTOR}`) });
  // A refused registration made no account; the person it concerns is the one the invitation was given to, if any.
  await knex('audit_log as a')
    .where('event', 'registration.rejected')
    .whereRaw(`details->>'by' is null and details->>'via' is null`)
    .update({
      user_id: knex('invitations as i').whereRaw(`i.id::text = a.details->>'invitation'`).select('i.user_id'),
      details: knex.raw(`details || ${ACTOR}`),
    });
  // Staff's search for a staff member finds what they did to others by this.
  await knex.raw(`create index if not exists audit_log_by on audit_log ((details->>'by')) where details->>'by' is not null`);
}

// The old shape again, for the rows that kept their account; those of erased accounts do not come back.
export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists audit_log_by');
  await knex('audit_log')
    .whereIn('event', STAFF_ACTIONS)
    .whereNotNull('user_id')
    .update({ user_id: knex.raw(`(details->>'by')::uuid`), details: knex.raw(`(details - 'by') || jsonb_build_object('account', user_id)`) });
  await knex('audit_log')
    .where('event', ERASURE)
    .whereNotNull('user_id')
    .update({ user_id: null, details: knex.raw(`details || jsonb_build_object('account', user_id)`) });
  await knex('audit_log')
    .where('event', 'registration.rejected')
    .update({ user_id: knex.raw(`(details->>'by')::uuid`), details: knex.raw(`details - 'by'`) });
}
