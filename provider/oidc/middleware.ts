// What runs around every protocol request of oidc-provider: its URLs built from ISSUER, the route name and token
// count the metrics need, the cap on dynamic registrations, a database outage answered 503, and our own "page not
// found" for a path no protocol route matched.
import { createHash, timingSafeEqual } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../app/settings.ts';
import type { Db } from '../platform/db/knex.ts';
import { isDatabaseUnavailable } from '../platform/web/error-pages.ts';
import { createLimiter, isRateLimited } from '../domain/guards/rate-limit.ts';
import { tokensIssued } from '../platform/metrics/counters.ts';
import { nameProtocolRoutes } from '../platform/metrics/http.ts';
import { page } from './pages.ts';

/**
 * oidc-provider answers any failure of its adapter with 500 server_error. When the cause is the database being
 * unreachable, say so: 503 temporarily_unavailable with Retry-After, so clients and load balancers back off.
 */
function answerOutagesWith503(provider: Provider) {
  const causes = new WeakMap<object, unknown>();
  provider.on('server_error', (ctx: object, err: unknown) => causes.set(ctx, err));
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status === 500 && isDatabaseUnavailable(causes.get(ctx))) {
      ctx.status = 503;
      ctx.set('Retry-After', '30');
      if (ctx.body && typeof ctx.body === 'object' && 'error' in ctx.body) {
        ctx.body = { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable, try again shortly' };
      }
    }
  });
}

/** The route name each protocol request's access line and duration carry; tokens counted by grant as they are issued. */
function measure(provider: Provider) {
  provider.use(nameProtocolRoutes());
  provider.on('grant.success', (ctx: KoaContextWithOIDC) =>
    tokensIssued.inc({ grant: typeof ctx.oidc.params?.grant_type === 'string' ? ctx.oidc.params.grant_type : 'unknown' }),
  );
}

/**
 * Whether oidc-provider's router takes `path` to its endpoint at `endpoint`: it folds letter case and allows one
 * trailing slash (its helpers/router.js), so /REG and /reg/ register a client as /reg does. A character past ASCII
 * never folds to one in it.
 */
export function reaches(path: string, endpoint: string): boolean {
  const bare = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return /^[\x20-\x7e]*$/.test(bare) && bare.toUpperCase() === endpoint.toUpperCase();
}

/**
 * Every URL the provider publishes (discovery, redirects, registration_client_uri) is built by oidc-provider from
 * the request's Host and protocol: they are set from ISSUER, whatever the request said.
 */
function urlsFromIssuer(provider: Provider, issuerUrl: string) {
  const issuer = new URL(issuerUrl);
  provider.use(async (ctx, next) => {
    const headers = ctx.req.headers;
    headers.host = issuer.host;
    delete headers['x-forwarded-host'];
    if (provider.proxy) headers['x-forwarded-proto'] = issuer.protocol.slice(0, -1);
    await next();
    // Discovery changes only with a restart; keys rotate, and a process reloads them every KEYS_REFRESH_SECONDS.
    if (ctx.status === 200 && reaches(ctx.path, '/.well-known/openid-configuration')) ctx.set('Cache-Control', 'public, max-age=300');
    if (ctx.status === 200 && reaches(ctx.path, '/jwks')) ctx.set('Cache-Control', 'public, max-age=60');
  });
}

/**
 * The token of an Authorization header as oidc-provider reads it (helpers/oidc_context.js): two parts split at a
 * space, the scheme in any case. Registration takes it from nowhere else: its body is JSON, and query tokens are off.
 */
function bearerToken(header: string): string | undefined {
  const parts = header.split(' ');
  return parts.length === 2 && parts[0]!.toLowerCase() === 'bearer' ? parts[1] : undefined;
}

/**
 * Dynamic registration (RFC 7591) with the initial access token: at most RATE_LIMIT_CLIENT_REGISTRATION clients per
 * hour for that token, so a leaked token cannot fill the client table. Only registrations that succeed count.
 */
function capRegistrations(provider: Provider, db: Db, config: Config) {
  const token = config.initialAccessToken;
  if (!token) return;
  const limiter = createLimiter(db, { keyPrefix: 'client_registration', points: config.rateLimitClientRegistration, durationSeconds: 3600 });
  const key = createHash('sha256').update(token).digest('base64url');
  const expected = Buffer.from(token);
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || !reaches(ctx.path, '/reg')) return next();
    const sent = Buffer.from(bearerToken(ctx.get('authorization')) ?? '');
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) return next();
    try {
      await limiter.consume(key);
    } catch (e) {
      if (!isRateLimited(e)) throw e;
      ctx.status = 429;
      ctx.set('Retry-After', String(Math.ceil(e.msBeforeNext / 1000)));
      ctx.body = { error: 'rate_limited', error_description: 'too many client registrations with this initial access token; try again later' };
      return;
    }
    await next();
    if (ctx.status !== 201) await limiter.reward(key, 1);
  });
}

/** Every middleware above, in the order they wrap a protocol request. */
export function aroundProtocol(provider: Provider, config: Config, db: Db): void {
  measure(provider);
  urlsFromIssuer(provider, config.issuerUrl);
  capRegistrations(provider, db, config);
  answerOutagesWith503(provider);
}

/** A path no protocol route matched: our own "page not found", in the person's language. Added last, it sees what the others left. */
export function pageNotFound(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && !ctx.oidc && ctx.body === undefined) {
      page(ctx as KoaContextWithOIDC, 'pages/message.njk', { titleKey: 'error.not_found.title', messageKey: 'error.not_found.message', isError: true });
      ctx.status = 404;
    }
  });
}
