import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Trusted external OpenID providers (a bank, a government login), configured by staff with `idp upstreams`.
  // The client secret is kept encrypted (AES-256-GCM under UPSTREAM_SECRET_KEY, see provider/domain/upstreams/secret-box.ts).
  await knex.schema.createTable('upstream_providers', (t) => {
    t.text('slug').primary();
    t.text('name').notNullable();
    t.text('issuer').notNullable();
    t.text('client_id').notNullable();
    t.text('client_secret').notNullable();
    t.text('scopes').notNullable();
    t.text('subject_claim').notNullable();
    // Any of login, link, reactivation.
    t.jsonb('uses').notNullable();
    // A data: URI, so that the strict CSP (img-src 'self' data:) shows it without a request to another site.
    t.text('logo_url');
    t.boolean('acr_from_upstream').notNullable().defaultTo(false);
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable();
  });

  // A person's identity at an upstream, linked to one account: the upstream `sub`, the verified e-mail address, or
  // the HMAC of the national number (as eid_links keeps it), according to the upstream's subject_claim.
  await knex.schema.createTable('upstream_links', (t) => {
    t.increments('id').primary();
    t.text('upstream_slug').notNullable().references('slug').inTable('upstream_providers').onDelete('CASCADE');
    t.text('subject_key').notNullable();
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    // What the account page shows of the identity (a name or an address), never the national number.
    t.text('label');
    t.timestamp('linked_at', { useTz: true }).notNullable();
    t.unique(['upstream_slug', 'subject_key']);
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('upstream_links');
  await knex.schema.dropTableIfExists('upstream_providers');
}
