// Request durations labelled by route pattern: a raw path would carry ids and tokens, and one series per distinct
// path would grow without bound.
import type { Middleware, ParameterizedContext } from 'koa';
import { httpDuration } from './counters.ts';

const UNMATCHED = 'unmatched';

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
      if (ctx.respond !== false) end({ route: (ctx as { _matchedRoute?: string })._matchedRoute ?? UNMATCHED, method: ctx.method, status: String(ctx.status) });
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
      end({ route: route ? `oidc:${route}` : UNMATCHED, method: ctx.method, status: String(ctx.status) });
    }
  };
}
