import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A person's authenticator app (TOTP, RFC 6238): the secret sealed under SECOND_FACTOR_KEY
  // (provider/domain/second-factors/keys.ts), active once a first code confirmed it. `last_step` is the time step
  // of the last code accepted, so that a code works once.
  await knex.schema.createTable('totp_factors', (t) => {
    t.uuid('user_id').primary().references('id').inTable('users').onDelete('CASCADE');
    t.text('secret').notNullable();
    t.timestamp('confirmed_at', { useTz: true });
    t.bigInteger('last_step');
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
  // Single-use codes for when the app is lost, stored as an HMAC like the one-time tokens.
  await knex.schema.createTable('recovery_codes', (t) => {
    t.increments('id').primary();
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('code_hash').notNullable();
    t.timestamp('used_at', { useTz: true });
    t.unique(['user_id', 'code_hash']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('recovery_codes');
  await knex.schema.dropTableIfExists('totp_factors');
}
