import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The account's device cookies (provider/platform/web/devices.ts) name the generation they were given in; whatever
  // ends the account's access (a new password, a block, a lock) moves it on, so that a browser which once logged in
  // with a stolen password loses its own place at the login throttle with everything else.
  await knex.schema.alterTable('users', (t) => {
    t.integer('device_generation').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('device_generation');
  });
}
