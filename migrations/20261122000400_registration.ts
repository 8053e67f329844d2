import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Which version of which document (terms, privacy) an account accepted, and when: one row per acceptance,
  // so a re-sent sign-up or a new version adds history instead of overwriting it.
  await knex.schema.createTable('consents', (t) => {
    t.bigIncrements('id');
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('document').notNullable();
    t.text('version').notNullable();
    t.timestamp('accepted_at', { useTz: true }).notNullable();
    t.index(['user_id', 'document']);
  });
  await knex.raw(`alter table consents add constraint consents_document_check check (document in ('terms','privacy'))`);

  // Credentials issued by staff (school): a username and an initial password printed on a slip. The account is
  // created when the person registers; a registration with corrected names waits here for review.
  await knex.schema.createTable('invitations', (t) => {
    t.uuid('id').primary();
    t.text('username').notNullable();
    t.text('initial_password_hash').notNullable();
    t.text('given_name').notNullable();
    t.text('family_name').notNullable();
    t.text('group_name');
    t.text('email');
    t.text('status').notNullable().defaultTo('issued');
    t.text('corrected_given_name');
    t.text('corrected_family_name');
    // The registration waiting for review: address, chosen password hash, language, accepted documents.
    t.jsonb('pending_registration');
    t.uuid('user_id').references('id').inTable('users').onDelete('SET NULL');
    t.uuid('reviewed_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('reviewed_at', { useTz: true });
    t.text('review_reason');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['status']);
    t.index(['user_id']);
  });
  await knex.raw('create unique index invitations_username_lower on invitations (lower(username))');
  await knex.raw(`alter table invitations add constraint invitations_status_check check (status in ('issued','registered','pending_review','rejected'))`);

  // Customer records imported by staff: a sign-up must name the number and the family or company name.
  await knex.schema.createTable('customers', (t) => {
    t.text('customer_number').primary();
    t.text('name').notNullable();
    // The name folded for comparison (case, accents, spacing): see provider/domain/accounts/usernames.ts nameKey().
    t.text('name_key').notNullable();
    t.uuid('user_id').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('imported_at', { useTz: true }).notNullable();
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['customers', 'invitations', 'consents']) await knex.schema.dropTableIfExists(t);
}
