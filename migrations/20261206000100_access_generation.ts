import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Whatever ends the account's access (a new password, a block, a lock) moves it on. What was proved before names the
  // generation it was proved in and ends with it: a device cookie (provider/platform/web/devices.ts), so that a browser
  // which logged in with a stolen password loses its own place at the login throttle, and a login's first step waiting
  // for its second (provider/flows/login/second-factor.ts).
  await knex.schema.alterTable('users', (t) => {
    t.integer('access_generation').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('access_generation');
  });
}
