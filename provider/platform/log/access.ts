// What every request leaves behind once its response has gone, whoever wrote it (our pages, or oidc-provider through
// ctx.res): its access line, its duration in the metrics, and the request id every other line of it carries. A
// reverse proxy's X-Request-Id is kept when the proxy is trusted, so that its log and ours meet; otherwise we make one.
import { randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';
import { inRequest, log } from '../log.ts';
import { routeOf } from '../metrics/http.ts';
import { httpDuration } from '../metrics/counters.ts';

const GIVEN_ID = /^[\w.-]{8,64}$/;
const ID_BYTES = 9;
// Ids are cut from a pool of random bytes: one call to the CSPRNG per 512 requests instead of one per request.
let pool = Buffer.alloc(0);
let used = 0;
function freshId(): string {
  if (used + ID_BYTES > pool.length) {
    pool = randomBytes(ID_BYTES * 512);
    used = 0;
  }
  return pool.toString('base64url', used, (used += ID_BYTES));
}

export function recordRequests(o: { trustProxy: boolean }): Middleware {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const id = o.trustProxy && GIVEN_ID.test(given) ? given : freshId();
    ctx.set('X-Request-Id', id);
    const start = process.hrtime.bigint();
    ctx.res.once('finish', () => {
      const ms = Number((process.hrtime.bigint() - start) / 1000n) / 1000;
      const labels = { route: routeOf(ctx), method: ctx.method, status: String(ctx.res.statusCode) };
      httpDuration.observe(labels, ms / 1000);
      if (log.enabled('info')) inRequest(id, () => log.info('request', { ...labels, status: ctx.res.statusCode, ms, ip: ctx.ip }));
    });
    await inRequest(id, next, () => ctx.ip);
  };
}
