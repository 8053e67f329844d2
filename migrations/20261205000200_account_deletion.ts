import type { Knex } from 'knex';

// A person's request to delete their account waits ACCOUNT_DELETION_DAYS (a login in between cancels it); the
// purge erases the account once this time has passed.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.timestamp('deletion_due_at', { useTz: true });
    t.index(['deletion_due_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => t.dropColumn('deletion_due_at'));
}
