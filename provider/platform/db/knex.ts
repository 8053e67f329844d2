// One knex instance for the whole process: PostgreSQL through `pg` when DATABASE_URL is set, otherwise the
// embedded PGlite under DATA_DIR. Every query in the code base runs unchanged on both.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import type { PGlite } from '@electric-sql/pglite';

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
  /** An embedded database already open, in place of `dataDir`'s: tests start each of theirs from one migrated copy. */
  pglite?: PGlite;
  poolMax?: number;
}

/** Where the embedded database of `dataDir` lives. */
export const embeddedDatabaseDir = (dataDir: string): string => path.resolve(dataDir, 'pglite');

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
  if (opts.pglite) {
    connection = { pglite: opts.pglite };
  } else if (opts.dataDir !== 'memory://') {
    const dir = embeddedDatabaseDir(opts.dataDir);
    mkdirSync(dir, { recursive: true });
    connection = { filename: dir };
  }
  return knexFactory({ client: PgLiteClient as unknown as typeof knexFactory.Client, dialect: 'postgres', connection });
}

/** A json/jsonb column's value: parsed by the driver on one database, text on the other. */
export const fromJsonColumn = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

export const isEmbedded = (db: Db): boolean => db.client.config.client !== 'pg';

/** PostgreSQL's deadlock_detected, and how often a statement it ended so is made before its error is the answer. */
const DEADLOCK = '40P01';
const DEADLOCK_ATTEMPTS = 3;

/** What knex's client does with a connection of its pool; not in its published types. */
interface PoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  query(connection: unknown, query: { sql: string; bindings: readonly unknown[] }): Promise<{ response: { rows: unknown[] } }>;
}

/**
 * The rows of one statement (`?` bindings) that `db.raw` would return, sent on a connection of `db`'s pool (a
 * transaction's own, when `db` is one) past knex's query builder. For the statements every protocol request makes:
 * building a raw query and its runner costs more than the driver's own work. Errors are knex's, as from `db.raw`.
 */
export async function rowsOf<T>(db: Db, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  const client = db.client as PoolClient;
  for (let attempt = 1; ; attempt++) {
    const connection = await client.acquireConnection();
    try {
      return (await client.query(connection, { sql, bindings })).response.rows as T[];
    } catch (e) {
      // Requests that lock the same rows in different orders (a login's throttle counts the name's row, then the
      // address's; another's release, in the same instant, the other way round) deadlock, and PostgreSQL ends one
      // statement. Outside a transaction that statement was rolled back whole: made again, it is as if made a moment
      // later. In a transaction, the transaction is lost, and its caller must know.
      if ((e as { code?: string }).code !== DEADLOCK || db.isTransaction || attempt === DEADLOCK_ATTEMPTS) throw e;
    } finally {
      await client.releaseConnection(connection);
    }
  }
}
