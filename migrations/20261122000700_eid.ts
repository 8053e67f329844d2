import type { Knex } from 'knex';

// An account linked to an eID card holds only a keyed HMAC of the national number (NATIONAL_NUMBER_HMAC_KEY),
// never the number, and the card number it was last verified with (shown back to the citizen to confirm).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('eid_links', (t) => {
    t.uuid('user_id').primary().references('id').inTable('users').onDelete('CASCADE');
    t.text('national_number_hmac').notNullable().unique();
    t.text('card_number');
    t.timestamp('linked_at', { useTz: true }).notNullable();
    t.timestamp('verified_at', { useTz: true }).notNullable();
  });

  // What the citizen agreed to share, and when: one row per consent page accepted (link, reactivation, registration).
  await knex.schema.createTable('eid_consents', (t) => {
    t.increments('id').primary();
    t.uuid('user_id').references('id').inTable('users').onDelete('CASCADE');
    t.text('purpose').notNullable();
    t.jsonb('data_shared').notNullable();
    t.timestamp('consented_at', { useTz: true }).notNullable();
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('eid_consents');
  await knex.schema.dropTableIfExists('eid_links');
}
