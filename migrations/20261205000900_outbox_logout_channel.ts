import type { Knex } from 'knex';

// Logout tokens for relying apps (Back-Channel Logout) go through the outbox too, for its retries.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table outbox drop constraint outbox_channel_check`);
  await knex.raw(`alter table outbox add constraint outbox_channel_check check (channel in ('email','sms','logout'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex('outbox').where({ channel: 'logout' }).delete();
  await knex.raw(`alter table outbox drop constraint outbox_channel_check`);
  await knex.raw(`alter table outbox add constraint outbox_channel_check check (channel in ('email','sms'))`);
}
