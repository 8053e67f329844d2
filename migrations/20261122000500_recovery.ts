import type { Knex } from 'knex';

// CAPTCHA challenges already accepted once: a solved challenge is single use on every process. A row is only
// needed until the challenge itself expires (its signature carries the expiry), then it is deleted.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('captcha_spent', (t) => {
    t.text('id').primary();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('captcha_spent');
}
