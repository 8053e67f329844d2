// The provider's services on a test database, without a server: for the tests of a flow's service or of the domain.
import { loadConfig } from '../../provider/app/settings.ts';
import { createServices, type Services } from '../../provider/app/server.ts';
import type { Db } from '../../provider/platform/db/knex.ts';
import { testDb, type DbKind } from './db.ts';

/** The services on a fresh database of `kind`, with cheap argon2 and `env`'s settings; the caller destroys `db`. */
export async function testServices(kind: DbKind = 'pglite', env: Record<string, string> = {}): Promise<{ db: Db; services: Services }> {
  const { db } = await testDb(kind);
  const services = await createServices(loadConfig({ NODE_ENV: 'test', ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1', ...env }), db);
  return { db, services };
}
