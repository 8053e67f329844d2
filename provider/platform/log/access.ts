// The access line of every request, and the request id that every other line of the request carries. A reverse
// proxy's X-Request-Id is kept when the proxy is trusted, so that its log and ours meet; otherwise we make one.
import { randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';
import { inRequest, log } from '../log.ts';
import { routeOf } from '../metrics/http.ts';

const GIVEN_ID = /^[\w.-]{8,64}$/;

export function logRequests(o: { trustProxy: boolean }): Middleware {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const id = o.trustProxy && GIVEN_ID.test(given) ? given : randomBytes(9).toString('base64url');
    ctx.set('X-Request-Id', id);
    const start = process.hrtime.bigint();
    // After the response, whoever wrote it (our pages, or oidc-provider through ctx.res).
    ctx.res.once('finish', () =>
      inRequest(id, () =>
        log.info('request', {
          route: routeOf(ctx),
          method: ctx.method,
          status: ctx.res.statusCode,
          ms: Number((process.hrtime.bigint() - start) / 1000n) / 1000,
          ip: ctx.ip,
        }),
      ),
    );
    await inRequest(id, next);
  };
}
