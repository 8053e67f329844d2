// The oidc-provider instance: protocol endpoints only. Pages (login, consent, logout, errors) are ours and
// rendered from views/; every persisted model goes through the knex adapter.
import { createHash, timingSafeEqual } from 'node:crypto';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';
import type { Config } from '../app/settings.ts';
import type { Db } from '../platform/db/knex.ts';
import type { UserRepository, User } from '../domain/accounts/repository.ts';
import { createAdapterFactory } from '../domain/oidc-models/adapter.ts';
import { createClaimsCache } from '../domain/accounts/claims-cache.ts';
import { batchRequests } from './batch-requests.ts';
import { ACR } from './acr.ts';
import { recordSessionDevices } from './session-devices.ts';
import { rememberPortals } from './portal.ts';
import { rememberUiLocales } from './ui-locales.ts';
import { API_SCOPES, CLAIMS_BY_SCOPE, OIDC_SCOPES } from './scopes.ts';
import { eidStepUpPolicy } from './step-up.ts';
import { render } from '../platform/web/views.ts';
import { requestLocale } from '../platform/web/locale.ts';
import { isDatabaseUnavailable } from '../platform/web/error-pages.ts';
import { createLimiter, isRateLimited } from '../domain/guards/rate-limit.ts';
import { hasNul } from '../platform/nul.ts';
import { tokensIssued } from '../platform/metrics/counters.ts';
import { nameProtocolRoutes } from '../platform/metrics/http.ts';
import { queueProviderLogouts } from './backchannel-logout.ts';
import { logoutDelivery } from './logout-delivery.ts';

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
    if (ctx.status === 200 && ctx.path === '/.well-known/openid-configuration') ctx.set('Cache-Control', 'public, max-age=300');
    if (ctx.status === 200 && ctx.path === '/jwks') ctx.set('Cache-Control', 'public, max-age=60');
  });
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
  const expected = Buffer.from(`Bearer ${token}`);
  provider.use(async (ctx, next) => {
    const sent = Buffer.from(ctx.get('authorization'));
    if (ctx.method !== 'POST' || ctx.path !== '/reg' || sent.length !== expected.length || !timingSafeEqual(sent, expected)) return next();
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

export interface ProviderDeps {
  config: Config;
  db: Db;
  users: UserRepository;
  jwks: { keys: JWK[] };
  cookieKeys: string[];
}

export function claimsOf(user: User) {
  const name = [user.given_name, user.family_name].filter(Boolean).join(' ');
  return {
    sub: user.sub,
    preferred_username: user.username ?? undefined,
    name: name || undefined,
    given_name: user.given_name ?? undefined,
    family_name: user.family_name ?? undefined,
    locale: user.locale ?? undefined,
    updated_at: Math.floor(new Date(user.updated_at).getTime() / 1000),
    email: user.email ?? undefined,
    email_verified: user.email ? user.email_verified : undefined,
    phone_number: user.phone_number ?? undefined,
    phone_number_verified: user.phone_number ? user.phone_number_verified : undefined,
  };
}

function page(ctx: KoaContextWithOIDC, template: string, context: Record<string, unknown>) {
  ctx.type = 'html';
  ctx.body = render(template, { locale: requestLocale(ctx), ...context });
}

export function buildProvider({ config, db, users, jwks, cookieKeys }: ProviderDeps): Provider {
  const logouts = logoutDelivery(config);
  const findForClaims = createClaimsCache(users, config.accountCacheSeconds * 1000);
  const configuration: Configuration = {
    adapter: createAdapterFactory(db, { clientCacheMs: config.clientCacheSeconds * 1000 }),
    jwks,
    cookies: {
      keys: cookieKeys,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    claims: CLAIMS_BY_SCOPE,
    responseTypes: config.responseTypes,
    // A client registered without `scope` (by staff or dynamically) may ask for the OpenID scopes only: oidc-provider
    // would otherwise let it ask for every scope listed below, API scopes included.
    clientDefaults: { scope: OIDC_SCOPES.join(' ') },
    // notifications:send is for client-credentials tokens of apps sending alerts (provider/flows/api/notifications.ts).
    // Being listed here makes oidc-provider check it against a client's registered `scope`: unlisted, any client
    // could ask for it.
    scopes: [...OIDC_SCOPES, ...API_SCOPES],
    acrValues: Object.values(ACR),
    conformIdTokenClaims: true,
    async findAccount(_ctx, sub) {
      const user = await findForClaims(db, sub);
      // A blocked or locked account keeps nothing: its refresh tokens and sessions stop working at once.
      if (!user || user.status !== 'active') return undefined;
      return { accountId: sub, claims: () => claimsOf(user) };
    },
    // First-party apps (the portals themselves) ask no consent: their grant is made at the login with what they
    // asked, which spares the browser the consent interaction's two redirects. offline_access still goes through
    // the consent prompt that oidc-provider requires for it (granted without a page for first-party apps).
    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(oidc.client!.clientId);
      // A grant the session remembers may be gone (password changed, app disconnected): then a first-party app
      // gets a new one below instead of a consent_required.
      const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
      if (existing) return existing;
      if (oidc.client?.['first_party'] !== true || !oidc.session?.accountId) return undefined;
      const grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
      grant.addOIDCScope([...oidc.requestParamScopes].filter((s) => s !== 'offline_access').join(' '));
      grant.addOIDCClaims([...oidc.requestParamClaims]);
      await grant.save();
      return grant;
    },
    extraClientMetadata: {
      // require_mfa: the app's users log in with a second factor (provider/oidc/step-up.ts); an app may ask it for itself.
      properties: ['first_party', 'portal_profile', 'require_mfa'],
      // ctx is set for dynamic registration (anyone with IDP_INITIAL_ACCESS_TOKEN), not for clients staff create or
      // the adapter loads: a registered app cannot declare itself first party (no consent) nor give itself an API scope.
      // oidc-provider calls it for each extra property of every client, with the whole metadata.
      // The backchannel_logout_uri is checked here too, being called for every client with its whole metadata.
      validator(ctx, key, value, metadata) {
        if (key === 'require_mfa' && value !== undefined && typeof value !== 'boolean') throw new errors.InvalidClientMetadata('require_mfa must be a boolean');
        if (key === 'portal_profile') {
          if (value === undefined) return;
          if (typeof value !== 'string' || !(value in config.portalProfiles))
            throw new errors.InvalidClientMetadata('portal_profile must name a profile of PORTAL_PROFILES');
          if (ctx) throw new errors.InvalidClientMetadata('portal_profile is set by staff (idp clients), not by registration');
          return;
        }
        if (key !== 'first_party') return;
        logouts.checkUri(metadata.backchannel_logout_uri);
        if (value !== undefined && typeof value !== 'boolean') throw new errors.InvalidClientMetadata('first_party must be a boolean');
        if (!ctx) return;
        if (value === true) throw new errors.InvalidClientMetadata('first_party is set by staff (idp clients), not by registration');
        if (
          String(metadata.scope ?? '')
            .split(' ')
            .some((s) => (API_SCOPES as readonly string[]).includes(s))
        ) {
          throw new errors.InvalidClientMetadata(`${API_SCOPES.join(', ')} is given by staff (idp clients), not by registration`);
        }
      },
    },
    fetch: logouts.fetch,
    interactions: { policy: eidStepUpPolicy(), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      // A relying app may ask for the acr claim as essential instead of acr_values (step-up to the eID).
      claimsParameter: {
        enabled: true,
        // Written as \u0000 the NUL passes every check of the query string; it is refused once the JSON is read.
        assertClaimsParameter(_ctx, claims) {
          if (hasNul(claims)) throw new errors.InvalidRequest('the claims parameter must not contain NUL characters');
        },
      },
      clientCredentials: { enabled: true },
      // Logout tokens leave through the outbox (backchannel-logout.ts), so that an app that is down gets them later.
      backchannelLogout: { enabled: true },
      introspection: {
        enabled: true,
        // A client learns about its own tokens only; resource servers named in INTROSPECTION_CLIENTS about any.
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId || config.introspectionClients.includes(client.clientId),
      },
      revocation: { enabled: true },
      // APIs named in RESOURCE_SERVERS get JWT access tokens (verified offline, never stored); an unknown resource
      // is refused with invalid_target. Without `resource`, tokens stay opaque (userinfo, introspection).
      resourceIndicators: {
        enabled: true,
        async getResourceServerInfo(_ctx, resource, client) {
          if (!config.resourceServers.includes(resource)) throw new errors.InvalidTarget();
          // An API scope goes only to a client registered with it: a token's aud and scope are all an API checks.
          const registered = String(client.scope ?? '').split(' ');
          const scope = API_SCOPES.filter((s) => registered.includes(s)).join(' ');
          return { audience: resource, scope, accessTokenTTL: config.accessTokenTtl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
        },
      },
      registration: config.initialAccessToken ? { enabled: true, initialAccessToken: config.initialAccessToken } : { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          page(ctx, 'pages/logout.njk', { titleKey: 'logout.title', form });
        },
        postLogoutSuccessSource(ctx) {
          page(ctx, 'pages/message.njk', { titleKey: 'logout.done.title', messageKey: 'logout.done.message' });
        },
      },
    },
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: config.accessTokenTtl,
      ClientCredentials: config.accessTokenTtl,
      IdToken: config.idTokenTtl,
      RefreshToken: config.refreshTokenTtl,
      Session: config.sessionTtl,
      Grant: config.refreshTokenTtl,
      Interaction: 3600,
      AuthorizationCode: 60,
    },
    renderError(ctx, out, error) {
      if (isDatabaseUnavailable(error)) {
        ctx.status = 503;
        ctx.set('Retry-After', '30');
        return page(ctx, 'pages/message.njk', { titleKey: 'error.unavailable.title', messageKey: 'error.unavailable.message', isError: true });
      }
      ctx.status = ctx.status && ctx.status >= 400 ? ctx.status : 400;
      const expired = out.error === 'invalid_request' && /interaction|session/i.test(String(out.error_description ?? ''));
      page(ctx, 'pages/message.njk', {
        titleKey: 'error.title',
        messageKey: expired ? 'error.session_expired' : 'error.message',
        isError: true,
        detail: `${out.error}${out.error_description ? `: ${out.error_description}` : ''}`,
      });
    },
  };
  const provider = new Provider(config.issuerUrl, configuration);
  provider.proxy = config.trustProxy;
  provider.maxIpsCount = config.proxyHops;
  measure(provider);
  urlsFromIssuer(provider, config.issuerUrl);
  capRegistrations(provider, db, config);
  answerOutagesWith503(provider);
  batchRequests(provider, db);
  recordSessionDevices(provider, db);
  rememberPortals(provider, config);
  rememberUiLocales(provider);
  queueProviderLogouts(provider, db);
  // A path no protocol route matched: our own "page not found", in the person's language.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && !ctx.oidc && ctx.body === undefined) {
      page(ctx as KoaContextWithOIDC, 'pages/message.njk', { titleKey: 'error.not_found.title', messageKey: 'error.not_found.message', isError: true });
      ctx.status = 404;
    }
  });
  return provider;
}
