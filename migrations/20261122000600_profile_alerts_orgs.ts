import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A new address or number waiting for its link or code. The users table holds only verified contact data, so
  // the old address or number stays in force (and in the ID token) until the new one is proven.
  await knex.schema.createTable('pending_contacts', (t) => {
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('channel').notNullable();
    t.text('value').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.primary(['user_id', 'channel']);
  });
  await knex.raw(`alter table pending_contacts add constraint pending_contacts_channel_check check (channel in ('email','sms'))`);

  // Which verified channels receive alerts. No row: the defaults of provider/domain/accounts/alerts.ts. `*_off_reason`
  // says why a channel is off when the user did not turn it off (a changed address or number), so the pages can
  // tell them to turn it on again instead of leaving them silently without alerts.
  await knex.schema.createTable('alert_settings', (t) => {
    t.uuid('user_id').primary().references('id').inTable('users').onDelete('CASCADE');
    t.boolean('email_enabled').notNullable();
    t.boolean('sms_enabled').notNullable();
    t.text('email_off_reason');
    t.text('sms_off_reason');
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('organisations', (t) => {
    t.uuid('id').primary();
    t.text('name').notNullable();
    // false: notifications addressed to this organisation are recorded as skipped, never sent.
    t.boolean('notify').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
  await knex.raw('create unique index organisations_name_lower on organisations (lower(name))');

  await knex.schema.createTable('organisation_members', (t) => {
    t.uuid('organisation_id').notNullable().references('id').inTable('organisations').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.primary(['organisation_id', 'user_id']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('notifications', (t) => {
    t.uuid('id').primary();
    t.text('client_id').notNullable();
    t.uuid('organisation_id').references('id').inTable('organisations').onDelete('SET NULL');
    t.text('subject').notNullable();
    t.text('text').notNullable();
    t.text('severity').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['client_id', 'created_at']);
  });
  await knex.raw(`alter table notifications add constraint notifications_severity_check check (severity in ('info','warning','critical'))`);

  // One row per recipient and channel. A sent or pending row points at its outbox message (outbox.reference is
  // this row's id); the final outcome is copied here when read, so it outlives the outbox's retention.
  await knex.schema.createTable('notification_deliveries', (t) => {
    t.uuid('id').primary();
    t.uuid('notification_id').notNullable().references('id').inTable('notifications').onDelete('CASCADE');
    t.uuid('user_id').references('id').inTable('users').onDelete('SET NULL');
    t.text('channel').notNullable();
    t.text('status').notNullable();
    t.text('reason');
    t.uuid('outbox_id');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['notification_id']);
  });
  await knex.raw(`alter table notification_deliveries add constraint notification_deliveries_channel_check check (channel in ('email','sms'))`);
  await knex.raw(`alter table notification_deliveries add constraint notification_deliveries_status_check check (status in ('pending','sent','skipped','failed'))`);
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['notification_deliveries', 'notifications', 'organisation_members', 'organisations', 'alert_settings', 'pending_contacts']) {
    await knex.schema.dropTableIfExists(t);
  }
}
