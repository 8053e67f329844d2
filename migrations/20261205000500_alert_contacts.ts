import type { Knex } from 'knex';

// Extra addresses and numbers a person keeps for alerts only, each verified by a code and each on or off; a
// notification's delivery to one of them names it, beside the deliveries to the account's own address and number.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('alert_contacts', (t) => {
    t.uuid('id').primary();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('channel', 8).notNullable();
    t.string('value', 320).notNullable();
    t.timestamp('verified_at', { useTz: true });
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['user_id', 'channel', 'value']);
  });
  await knex.raw(`alter table alert_contacts add constraint alert_contacts_channel_check check (channel in ('email','sms'))`);
  await knex.schema.alterTable('notification_deliveries', (t) => {
    // No foreign key: a removed contact's deliveries stay apart from the account's own.
    t.uuid('contact_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notification_deliveries', (t) => t.dropColumn('contact_id'));
  await knex.schema.dropTable('alert_contacts');
}
