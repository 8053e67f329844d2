import type { Knex } from 'knex';

// How an identity came to be linked: the account was made from it (its sign-up through the upstream), or someone
// logged in to the account and linked it. Only the first stands in for the eID card at a reactivation: whoever knew
// the password could do the second (and add a second factor of his own first), and a link he made so vouched for
// taking the blocked account back. Links made before this column say nothing (null) and do not vouch either.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('upstream_links', (t) => {
    t.text('made_with');
  });
  await knex.raw("alter table upstream_links add constraint upstream_links_made_with check (made_with in ('sign_up', 'login'))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('upstream_links', (t) => {
    t.dropColumn('made_with');
  });
}
