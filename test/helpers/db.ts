// Databases for tests: the embedded PGlite in memory, or a fresh schema of the real PostgreSQL per use, so that
// parallel test files never see each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db } from '../../provider/platform/db/knex.ts';
import { migrate } from '../../provider/platform/db/migrate.ts';
import { POSTGRES_TEST_URL } from './components.ts';

export type DbKind = 'pglite' | 'postgres';

/** A PostgreSQL URL whose connections use a new, empty schema. */
export async function freshPostgresUrl(): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: POSTGRES_TEST_URL });
  await c.connect();
  await c.query(`create schema ${schema}`);
  await c.end();
  const url = new URL(POSTGRES_TEST_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

export async function testDb(kind: DbKind): Promise<{ db: Db; databaseUrl: string | undefined }> {
  const databaseUrl = kind === 'postgres' ? await freshPostgresUrl() : undefined;
  const db = createDb({ databaseUrl, dataDir: 'memory://' });
  await migrate(db, databaseUrl);
  return { db, databaseUrl };
}
