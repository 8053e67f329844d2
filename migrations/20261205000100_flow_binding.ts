import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Who started a flow (provider/flows/binding.ts): a digest of the browser's id or of the API client's flow secret.
  // Flows started before this column existed match nobody, and are started again.
  await knex.schema.alterTable('self_service_flows', (t) => {
    t.text('binding').notNullable().defaultTo('');
  });
  // Matching a national number stated by an upstream to a card-linked account is full trust in that upstream:
  // staff turn it on per upstream (`idp upstreams add --trust-national-number`).
  await knex.schema.alterTable('upstream_providers', (t) => {
    t.boolean('trust_national_number').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('upstream_providers', (t) => t.dropColumn('trust_national_number'));
  await knex.schema.alterTable('self_service_flows', (t) => t.dropColumn('binding'));
}
