// The oidc-provider instance: protocol endpoints only. Pages (login, consent, logout, errors) are ours and
// rendered from views/; every persisted model goes through the knex adapter.
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';
import type { Config } from '../app/settings.ts';
import type { Db } from '../platform/db/knex.ts';
import type { UserRepository } from '../domain/accounts/repository.ts';
import { createAdapterFactory } from '../domain/oidc-models/adapter.ts';
import { createClaimsCache } from '../domain/accounts/claims-cache.ts';
import { batchRequests } from './batch-requests.ts';
import { ACR } from './acr.ts';
import { claimsOf } from './claims.ts';
import { clientMetadata } from './client-metadata.ts';
import { aroundProtocol, pageNotFound } from './middleware.ts';
import { logoutPages, renderError } from './pages.ts';
import { recordSessionDevices } from './session-devices.ts';
import { rememberPortals } from './portal.ts';
import { rememberUiLocales } from './ui-locales.ts';
import { API_SCOPES, CLAIMS_BY_SCOPE, OIDC_SCOPES, claimsBeyondScope } from './scopes.ts';
import { eidStepUpPolicy } from './step-up.ts';
import { hasNul } from '../platform/nul.ts';
import { queueProviderLogouts } from './backchannel-logout.ts';
import { logoutDelivery } from './logout-delivery.ts';
import { cookieSigner } from '../platform/web/cookie-signer.ts';
import { hideClientAuthFailures, webOriginAllowed } from './web-origins.ts';
import { auditClientAuthFailures, evenClientAuthFailures } from './client-auth-failures.ts';
import { SUBJECT_TYPES, pairwiseIdentifier } from './pairwise-subject.ts';

export interface ProviderDeps {
  config: Config;
  db: Db;
  users: UserRepository;
  jwks: { keys: JWK[] };
  cookieKeys: string[];
  /** A browser's whole session ended at the person's wish (/session/end, "log out" confirmed): its own cookies go too. */
  onLogout?: (ctx: KoaContextWithOIDC) => void;
}

export function buildProvider({ config, db, users, jwks, cookieKeys, onLogout }: ProviderDeps): Provider {
  const logouts = logoutDelivery(config);
  const findForClaims = createClaimsCache(users, config.accountCacheSeconds * 1000);
  const configuration: Configuration = {
    adapter: createAdapterFactory(db, { clientCacheMs: config.clientCacheSeconds * 1000 }),
    jwks,
    cookies: {
      keys: cookieSigner(cookieKeys),
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
    // public stays the default: an app is pairwise only when registered so (./pairwise-subject.ts).
    subjectTypes: [...SUBJECT_TYPES],
    pairwiseIdentifier: pairwiseIdentifier(config, db),
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
    extraClientMetadata: clientMetadata(config, logouts),
    fetch: logouts.fetch,
    interactions: { policy: eidStepUpPolicy(), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      // A relying app may ask for the acr claim as essential instead of acr_values (step-up to the eID).
      claimsParameter: {
        enabled: true,
        // Written as \u0000 the NUL passes every check of the query string; it is refused once the JSON is read.
        assertClaimsParameter(_ctx, claims, client) {
          if (hasNul(claims)) throw new errors.InvalidRequest('the claims parameter must not contain NUL characters');
          // As a scope beyond the client's registered ones is refused (invalid_scope), so is a claim of one.
          const beyond = claimsBeyondScope(claims, client.scope);
          if (beyond.length) throw new errors.InvalidRequest(`the claims parameter asks for claims of scopes this client may not ask: ${beyond.join(', ')}`);
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
      revocation: {
        enabled: true,
        // A client revokes its own tokens only. Another's is answered as an unknown token is (200, nothing revoked),
        // not with oidc-provider's "not authorized" error, which told a client that a string was another's live token.
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
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
        ...logoutPages,
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
    renderError,
    clientBasedCORS: webOriginAllowed,
  };
  const provider = new Provider(config.issuerUrl, configuration);
  provider.proxy = config.trustProxy;
  provider.maxIpsCount = config.proxyHops;
  aroundProtocol(provider, config, db);
  batchRequests(provider, db);
  recordSessionDevices(provider, db);
  auditClientAuthFailures(provider, db);
  evenClientAuthFailures(provider);
  hideClientAuthFailures(provider);
  // Only for a whole logout: a logout from one app alone (no `logout` confirmed) keeps the browser's session.
  if (onLogout)
    provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
      if (ctx.oidc.params?.logout) onLogout(ctx);
    });
  rememberPortals(provider, config);
  rememberUiLocales(provider);
  queueProviderLogouts(provider, db);
  pageNotFound(provider);
  return provider;
}
