// The route a request matched, for the labels of its duration and its access line: a raw path would carry ids and
// tokens, and one series per distinct path would grow without bound.
import type { Middleware, ParameterizedContext } from 'koa';

const UNMATCHED = 'unmatched';

interface RoutedRequest {
  route?: string;
}

/** The route pattern a request matched, in our app or in oidc-provider's. */
export const routeOf = (ctx: ParameterizedContext): string =>
  (ctx as { _matchedRoute?: string })._matchedRoute ?? (ctx.req as RoutedRequest).route ?? UNMATCHED;

/**
 * For oidc-provider's own koa app (`provider.use`): its route name (`authorization`, `token`, `userinfo`, …) is kept
 * on the request both apps share, where our app's `recordRequests` reads it when the response has gone.
 */
export function nameProtocolRoutes(): Middleware {
  return async (ctx: ParameterizedContext, next) => {
    try {
      await next();
    } finally {
      const route = (ctx as { oidc?: { route?: string } }).oidc?.route;
      (ctx.req as RoutedRequest).route = route ? `oidc:${route}` : UNMATCHED;
    }
  };
}
