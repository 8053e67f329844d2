// Secrets that development may generate: created once, kept in the database, so that restarts (and every
// process on the same database) share them. Production refuses to start without them (see config.ts).
import { randomBytes } from 'node:crypto';
import type { Db } from './db/knex.ts';

export async function generatedSecret(db: Db, name: string, bytes = 32): Promise<string> {
  await db('generated_secrets')
    .insert({ name, value: randomBytes(bytes).toString('base64url') })
    .onConflict('name')
    .ignore();
  const row = await db('generated_secrets').where({ name }).first();
  return row.value as string;
}
