import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The browser, address and last use of each login session (model Session's uid), for the account's session list:
  // a person recognises "Firefox on Windows, yesterday" where a login time alone says nothing. Rows of ended
  // sessions are deleted with them (provider/oidc/session-devices.ts).
  await knex.schema.createTable('session_devices', (t) => {
    t.text('session_uid').primary();
    t.text('account_id').notNullable().index();
    t.text('user_agent').notNullable();
    t.text('ip').notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('session_devices');
}
