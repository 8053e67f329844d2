// One knex instance for the whole process: PostgreSQL through `pg` when DATABASE_URL is set, otherwise the
// embedded PGlite under DATA_DIR. Every query in the code base runs unchanged on both.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';

export type Db = Knex;

// knex-pglite reports a delete's command as "DEL", so knex returns the raw result instead of the row count
// that the pg client returns; naming it DELETE makes both answer the same.
class PgLiteClient extends (ClientPgLite as unknown as new (config: Knex.Config) => { processResponse(obj: { method?: string }, runner: unknown): unknown }) {
  override processResponse(obj: { method?: string }, runner: unknown) {
    return super.processResponse(obj.method === 'del' ? { ...obj, method: 'delete' } : obj, runner);
  }
}

export interface DbOptions {
  databaseUrl?: string | undefined;
  /** Folder for the embedded database; `memory://` keeps it in memory (tests). */
  dataDir: string;
  poolMax?: number;
}

export function createDb(opts: DbOptions): Db {
  if (opts.databaseUrl) {
    return knexFactory({
      client: 'pg',
      connection: opts.databaseUrl,
      pool: { min: 0, max: opts.poolMax ?? 10, acquireTimeoutMillis: 5000 },
      acquireConnectionTimeout: 5000,
    });
  }
  let connection: object = {};
  if (opts.dataDir !== 'memory://') {
    const dir = path.resolve(opts.dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    connection = { filename: dir };
  }
  return knexFactory({ client: PgLiteClient as unknown as typeof knexFactory.Client, dialect: 'postgres', connection });
}

/** A json/jsonb column's value: parsed by the driver on one database, text on the other. */
export const fromJsonColumn = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

export const isEmbedded = (db: Db): boolean => db.client.config.client !== 'pg';
