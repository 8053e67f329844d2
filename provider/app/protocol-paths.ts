// oidc-provider's fixed endpoint paths (/token, /me, /jwks, discovery, …) that no route of ours matches: a request to
// one of them needs neither our routers nor our assets, and matching it against every route of our pages would be
// most of what our app spends on it. The resume path /auth/:uid is not among them: it takes a parameter, and goes
// the long way like any other path.
import type { Next } from 'koa';
import type Router from '@koa/router';
import type Provider from 'oidc-provider';

/** Route names of oidc-provider (its initialize_app.js); those not enabled in the configuration are left out. */
const ENDPOINTS = [
  'authorization',
  'token',
  'userinfo',
  'jwks',
  'discovery',
  'introspection',
  'revocation',
  'registration',
  'end_session',
  'end_session_confirm',
  'end_session_success',
];

/**
 * The largest body oidc-provider reads (its selective_body.js): a larger one it answers "failed to parse the request
 * body", a 400 that a browser sees as our generic error page; refused before it, as too large (refuseLargeBody).
 */
export const PROTOCOL_BODY_LIMIT = 56 * 1024;

const OPENID_DISCOVERY = '/.well-known/openid-configuration';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/** The paths of `provider`'s endpoints that none of `routers` knows, whatever the method. */
export function protocolPaths(provider: Provider, routers: readonly Router[]): ReadonlySet<string> {
  // oidc-provider names both discovery documents 'discovery', and pathFor gives the first: the OpenID one is added.
  const paths = [
    OPENID_DISCOVERY,
    ...ENDPOINTS.flatMap((name) => {
      try {
        return [provider.pathFor(name)];
      } catch {
        return []; // a feature that is off has no route
      }
    }),
  ];
  const ours = (path: string) => routers.some((r) => METHODS.some((m) => r.match(path, m).route));
  return new Set(paths.filter((p) => !ours(p)));
}

/** `middleware`, except for requests to `paths`, which go on past it. */
export const exceptOn =
  <C extends { path: string }, R>(paths: ReadonlySet<string>, middleware: (ctx: C, next: Next) => R) =>
  (ctx: C, next: Next): R | Promise<void> =>
    paths.has(ctx.path) ? next() : middleware(ctx, next);
