import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Everything oidc-provider persists (sessions, grants, codes, tokens, interactions, clients, …).
  await knex.schema.createTable('oidc_models', (t) => {
    t.text('model').notNullable();
    t.text('id').notNullable();
    t.jsonb('payload').notNullable();
    t.text('grant_id');
    t.text('user_code');
    t.text('uid');
    t.text('account_id');
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.primary(['model', 'id']);
    t.index(['grant_id']);
    t.index(['uid']);
    t.index(['user_code']);
    t.index(['account_id']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('signing_keys', (t) => {
    t.text('kid').primary();
    t.text('alg').notNullable();
    t.jsonb('private_jwk').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // A retired key no longer signs but stays published until retire_after passes.
    t.timestamp('retired_at', { useTz: true });
    t.timestamp('remove_after', { useTz: true });
  });

  // Secrets generated in development so that restarts keep sessions and keys.
  await knex.schema.createTable('generated_secrets', (t) => {
    t.text('name').primary();
    t.text('value').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary();
    t.text('sub').notNullable().unique();
    t.text('username');
    t.text('email');
    // lower(email) where the deployment wants one account per address, else null (shared addresses allowed).
    t.text('email_unique_key').unique();
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.text('phone_number');
    t.boolean('phone_number_verified').notNullable().defaultTo(false);
    t.text('given_name');
    t.text('family_name');
    t.text('locale');
    t.text('password_hash');
    t.text('status').notNullable().defaultTo('pending');
    t.jsonb('roles').notNullable().defaultTo('[]');
    t.timestamp('password_changed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`alter table users add constraint users_status_check check (status in ('pending','active','locked','blocked'))`);
  await knex.raw('create unique index users_username_lower on users (lower(username))');
  await knex.raw('create index users_email_lower on users (lower(email))');

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('event').notNullable();
    t.uuid('user_id');
    t.text('ip');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.index(['user_id']);
    t.index(['event', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['audit_log', 'users', 'generated_secrets', 'signing_keys', 'oidc_models']) await knex.schema.dropTableIfExists(t);
}
