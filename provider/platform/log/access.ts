// What every request leaves behind once its response has gone, whoever wrote it (our pages, or oidc-provider through
// ctx.res): its access line, its duration in the metrics, and the request id every other line of it carries. A
// reverse proxy's X-Request-Id is kept when the proxy is trusted, so that its log and ours meet; otherwise we make one.
import { randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';
import { inRequest, log } from '../log.ts';
import { routeOf } from '../metrics/http.ts';
import { httpDuration } from '../metrics/counters.ts';

const GIVEN_ID = /^[\w.-]{8,64}$/;

export function recordRequests(o: { trustProxy: boolean }): Middleware {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const id = o.trustProxy && GIVEN_ID.test(given) ? given : randomBytes(9).toString('base64url');
    ctx.set('X-Request-Id', id);
    const start = process.hrtime.bigint();
    ctx.res.once('finish', () => {
      const ms = Number((process.hrtime.bigint() - start) / 1000n) / 1000;
      const labels = { route: routeOf(ctx), method: ctx.method, status: String(ctx.res.statusCode) };
      httpDuration.observe(labels, ms / 1000);
      inRequest(id, () => log.info('request', { ...labels, status: ctx.res.statusCode, ms, ip: ctx.ip }));
    });
    await inRequest(id, next);
  };
}
