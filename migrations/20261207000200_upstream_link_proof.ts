import type { Knex } from 'knex';

// How an identity came to be linked: by the account's sign-up at the upstream, by a login with two factors, or by a
// password alone. Only the first two stand in for the eID card at a reactivation: a password is what an intruder
// may have had, and a link he made with it vouched for taking the blocked account back. Links made before this
// column say nothing (null) and, like a password's, do not vouch.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('upstream_links', (t) => {
    t.text('made_with');
  });
  await knex.raw("alter table upstream_links add constraint upstream_links_made_with check (made_with in ('sign_up', 'two_factors', 'password'))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('upstream_links', (t) => {
    t.dropColumn('made_with');
  });
}
