// The provider as a relying party of an upstream: discovery (cached per process), the authorization request with
// PKCE, state and nonce, and the callback: code exchange, ID token validation (signature, issuer, audience, expiry,
// nonce) and the userinfo, all by openid-client. Every way an upstream can fail becomes an AppError with a page:
// unreachable (503), answering nonsense (502), or an answer that does not verify (400).
import * as client from 'openid-client';
import { AppError } from '../../platform/errors.ts';
import { log } from '../../platform/log.ts';
import { isLoopback, type Upstream } from '../../domain/upstreams/repository.ts';
import type { SecretBox } from '../../domain/upstreams/secret-box.ts';

/** What the callback must find again: kept in the stored flow, never in the browser. */
export interface Checks {
  state: string;
  nonce: string;
  verifier: string;
}

const DISCOVERY_TTL_MS = 3600_000;
const TIMEOUT_SECONDS = 10;

const UNREACHABLE = new Set([
  'OAUTH_TIMEOUT',
  'OAUTH_ABORT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
// oauth4webapi's codes (openid-client does not re-export the constants): a state, nonce, signature, audience or
// expiry that does not match.
const NOT_VERIFIED = new Set([
  'OAUTH_INVALID_RESPONSE',
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
]);

function unreachable(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string; status?: number }; name?: string; message?: string };
  if (UNREACHABLE.has(err.code ?? '') || UNREACHABLE.has(err.cause?.code ?? '')) return true;
  if (err.name === 'TypeError' && /fetch failed/.test(err.message ?? '')) return true;
  // An error page of the upstream (502 from its proxy, 503 in maintenance) is "down" too.
  return err.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && (err.cause?.status ?? 0) >= 500;
}

/** The page-worthy error for an upstream failure in `phase`; the cause goes to the log only. */
export function upstreamFailure(e: unknown, u: Pick<Upstream, 'slug' | 'name'>, phase: 'discovery' | 'callback'): AppError {
  if (e instanceof AppError) return e;
  const params = { name: u.name };
  let failure: AppError;
  if (unreachable(e)) failure = new AppError('upstream_unavailable', 'upstream.error.unavailable', 503, params);
  else if (e instanceof client.AuthorizationResponseError) {
    failure =
      e.error === 'access_denied'
        ? new AppError('upstream_cancelled', 'upstream.error.cancelled', 400, params)
        : new AppError('upstream_refused', 'upstream.error.refused', 400, params);
  } else if (phase === 'callback' && (e instanceof client.ResponseBodyError || NOT_VERIFIED.has((e as { code?: string }).code ?? ''))) {
    failure = new AppError('upstream_not_verified', 'upstream.error.not_verified', 400, params);
  } else failure = new AppError('upstream_bad_answer', 'upstream.error.bad_answer', 502, params);
  log.warn('upstream failure', { upstream: u.slug, phase, code: failure.code, cause: (e as Error).message, causeCode: (e as { code?: string }).code });
  return failure;
}

export function createUpstreamClient(box: () => Promise<SecretBox>, now: () => number = Date.now) {
  const cache = new Map<string, { key: string; at: number; config: Promise<client.Configuration> }>();

  async function configuration(u: Upstream): Promise<client.Configuration> {
    const secret = (await box()).open(u.sealedSecret, u.slug);
    // A changed issuer, client or secret (`idp upstreams remove` + `add`) is a new configuration.
    const key = JSON.stringify([u.issuer, u.clientId, u.sealedSecret]);
    const hit = cache.get(u.slug);
    if (hit && hit.key === key && now() - hit.at < DISCOVERY_TTL_MS) return hit.config;
    const issuer = new URL(u.issuer);
    const config = client.discovery(issuer, u.clientId, undefined, client.ClientSecretBasic(secret), {
      execute: isLoopback(issuer) ? [client.allowInsecureRequests] : [],
      timeout: TIMEOUT_SECONDS,
    });
    const entry = { key, at: now(), config };
    cache.set(u.slug, entry);
    config.then(
      (c) => (c.timeout = TIMEOUT_SECONDS),
      () => forget(u.slug, entry),
    );
    return config;
  }

  // A failed discovery is not kept: the next attempt asks again.
  function forget(slug: string, entry?: object) {
    if (!entry || cache.get(slug) === entry) cache.delete(slug);
  }

  return {
    /** The URL to send the browser to, and the checks its answer must pass. */
    async begin(u: Upstream, redirectUri: string, params: Record<string, string> = {}): Promise<{ url: URL; checks: Checks }> {
      try {
        const config = await configuration(u);
        const checks = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier() };
        const url = client.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: u.scopes,
          state: checks.state,
          nonce: checks.nonce,
          code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
          code_challenge_method: 'S256',
          ...params,
        });
        return { url, checks };
      } catch (e) {
        throw upstreamFailure(e, u, 'discovery');
      }
    },

    /** Redeems the code in `callbackUrl` and returns the person's claims: the ID token's, completed by userinfo. */
    async finish(u: Upstream, callbackUrl: URL, checks: Checks): Promise<Record<string, unknown>> {
      try {
        const config = await configuration(u);
        const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          pkceCodeVerifier: checks.verifier,
          idTokenExpected: true,
        });
        const claims = tokens.claims()!;
        const userinfo =
          config.serverMetadata().userinfo_endpoint && tokens.access_token ? await client.fetchUserInfo(config, tokens.access_token, claims.sub) : {};
        return { ...userinfo, ...claims };
      } catch (e) {
        const failure = upstreamFailure(e, u, 'callback');
        // Keys or endpoints may have changed, or the upstream came back on another address: discover afresh.
        if (failure.code !== 'upstream_cancelled') forget(u.slug);
        throw failure;
      }
    },
  };
}
