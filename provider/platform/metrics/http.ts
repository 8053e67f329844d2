// Request durations labelled by route pattern: a raw path would carry ids and tokens, and one series per distinct
// path would grow without bound.
import type { Middleware, ParameterizedContext } from 'koa';
import { httpDuration } from './counters.ts';

const UNMATCHED = 'unmatched';

interface RoutedRequest {
  route?: string;
}

/** The route pattern a request matched, in our app or in oidc-provider's. */
export const routeOf = (ctx: ParameterizedContext): string =>
  (ctx as { _matchedRoute?: string })._matchedRoute ?? (ctx.req as RoutedRequest).route ?? UNMATCHED;

/**
 * For our own koa app. A request handed on to oidc-provider (`ctx.respond = false`) is not timed here but by
 * `timeProtocolRequests` inside the provider, which knows its route name.
 */
export function timeRequests(): Middleware {
  return async (ctx, next) => {
    const end = httpDuration.startTimer();
    try {
      await next();
    } finally {
      if (ctx.respond !== false) end({ route: routeOf(ctx), method: ctx.method, status: String(ctx.status) });
    }
  };
}

/** For oidc-provider's own koa app (`provider.use`): its route names (`authorization`, `token`, `userinfo`, …). */
export function timeProtocolRequests(): Middleware {
  return async (ctx: ParameterizedContext, next) => {
    const end = httpDuration.startTimer();
    try {
      await next();
    } finally {
      const route = (ctx as { oidc?: { route?: string } }).oidc?.route;
      // On the request both apps share, for the access line our app writes when the response has gone.
      (ctx.req as RoutedRequest).route = route ? `oidc:${route}` : UNMATCHED;
      end({ route: (ctx.req as RoutedRequest).route!, method: ctx.method, status: String(ctx.status) });
    }
  };
}
