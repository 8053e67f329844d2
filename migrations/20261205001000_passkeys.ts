import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per passkey (WebAuthn credential), found at login by the credential id the authenticator names. The
  // counter is the authenticator's signature counter, which a cloned credential cannot keep in step.
  await knex.schema.createTable('passkeys', (t) => {
    t.uuid('id').primary();
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE').index();
    t.text('credential_id').notNullable().unique();
    t.binary('public_key').notNullable();
    t.bigInteger('counter').notNullable();
    t.jsonb('transports').notNullable();
    t.boolean('backup_eligible').notNullable();
    t.boolean('backed_up').notNullable();
    t.text('aaguid').notNullable();
    t.text('name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_used_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('passkeys');
}
