import type { Knex } from 'knex';

// Where names are locked (LOCKED_NAMES), a person asks the office to correct them; staff are told of waiting requests
// at most once an hour, each request once (`noticed_at`), invitation reviews included. Organisations marked as
// reviewers have their members told too.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('name_corrections', (t) => {
    t.uuid('id').primary();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('given_name', 100).notNullable();
    t.string('family_name', 100).notNullable();
    t.string('status', 16).notNullable();
    t.timestamp('requested_at', { useTz: true }).notNullable();
    t.timestamp('noticed_at', { useTz: true });
    t.uuid('reviewed_by');
    t.timestamp('reviewed_at', { useTz: true });
    t.string('reason', 500);
    t.index(['status', 'requested_at']);
  });
  // One waiting request per person: a new one replaces it.
  await knex.raw(`create unique index name_corrections_one_pending on name_corrections (user_id) where status = 'pending'`);
  await knex.schema.alterTable('invitations', (t) => t.timestamp('noticed_at', { useTz: true }));
  await knex.schema.alterTable('organisations', (t) => t.boolean('reviewers').notNullable().defaultTo(false));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('organisations', (t) => t.dropColumn('reviewers'));
  await knex.schema.alterTable('invitations', (t) => t.dropColumn('noticed_at'));
  await knex.schema.dropTable('name_corrections');
}
