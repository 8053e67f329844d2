// Two questions an orchestrator asks. Alive (/healthz): the process answers, whatever the database does, so that a
// database outage does not get every provider process restarted. Ready (/readyz): send traffic here, because the
// database answers and its schema is the one this code expects.
import type Router from '@koa/router';
import { createRouter } from './web/router.ts';
import type { Db } from './db/knex.ts';
import { pendingMigrations } from './db/migrate.ts';

export function healthRoutes(db: Db): Router {
  const router = createRouter();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    let pending: string[];
    try {
      pending = await pendingMigrations(db);
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: 'the database does not answer' };
      return;
    }
    ctx.status = pending.length ? 503 : 200;
    ctx.body = pending.length ? { status: 'unavailable', reason: `${pending.length} database migration(s) not applied; run idp migrate` } : { status: 'ready' };
  });
  return router;
}
