import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Every self-service flow (registration, recovery, reactivation, settings, …) is a stored object with an id,
  // a type, a state and an expiry, as in Ory Kratos.
  await knex.schema.createTable('self_service_flows', (t) => {
    t.uuid('id').primary();
    t.text('type').notNullable();
    t.text('state').notNullable();
    t.uuid('user_id');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['type', 'state']);
    t.index(['user_id']);
    t.index(['expires_at']);
  });

  // Tokens mailed, texted or shown to a person: only a keyed hash is stored; single use, expiring, attempt-limited.
  await knex.schema.createTable('one_time_tokens', (t) => {
    t.uuid('id').primary();
    t.text('purpose').notNullable();
    t.uuid('user_id');
    t.uuid('flow_id');
    t.text('token_hash').notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('max_attempts').notNullable();
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('consumed_at', { useTz: true });
    t.timestamp('voided_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['purpose', 'token_hash']);
    t.index(['user_id', 'purpose']);
    t.index(['flow_id']);
    t.index(['expires_at']);
  });

  // rate-limiter-flexible's PostgreSQL table, created here so that every process and both databases share it.
  await knex.schema.createTable('rate_limits', (t) => {
    t.string('key', 255).primary();
    t.integer('points').notNullable().defaultTo(0);
    t.bigInteger('expire');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['rate_limits', 'one_time_tokens', 'self_service_flows']) await knex.schema.dropTableIfExists(t);
}
