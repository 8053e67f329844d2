// Which web pages may read the answers of the endpoints a client calls (/token, userinfo, introspection,
// revocation, pushed authorization requests): oidc-provider asks `clientBasedCORS` once the request names its
// client (shared/cors.js, on 'assign.client'), before the endpoint does anything, so a foreign page neither reads an
// answer nor spends a code. That is before the client's secret is checked: where one is checked next (all but
// userinfo), a refusal is answered as a failed authentication, 401 invalid_client, as an unknown client_id is,
// since oidc-provider's own refusal (400 "origin … not allowed for client") told which client_ids exist. Every
// failed authentication is answered without Access-Control-Allow-Origin, an unknown client's too, for the same reason.
// A preflight names no client: oidc-provider lets every one through, and the request that follows decides.
// Discovery and the JWKS never ask: they are public and open to every origin. The rule below is oidc-provider's default
// since 9.4, made ours: that default answered every origin in version 6, none from 7, and an upgrade must not change
// it unseen.
import type Provider from 'oidc-provider';
import { errors, type Client, type Configuration } from 'oidc-provider';
import { onClientAuthFailure } from './client-auth-failures.ts';

/**
 * A page of an origin of one of the client's redirect_uris, compared whole (scheme, host and port), as Keycloak's
 * "Web origins" of "+": where the app's own pages are. With a secret a client is never answered across origins,
 * not even from its own: a secret in a browser is a secret published, and userinfo is the one endpoint where such an
 * app's page may present a token of its own. An `Origin: null` (a sandboxed frame, a file) is never an app's, though
 * a redirect_uri of a private scheme (com.example.app:/cb) has the origin "null" too.
 */
function appsOwnPage(route: string, origin: string, client: Client): boolean {
  if (origin === 'null') return false;
  if (route !== 'userinfo' && client.clientAuthMethod !== 'none') return false;
  return (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin);
}

/** The rule for oidc-provider; a refusal where the client's authentication comes next is that authentication failed. */
export const webOriginAllowed: NonNullable<Configuration['clientBasedCORS']> = (ctx, origin, client) => {
  if (appsOwnPage(ctx.oidc.route, origin, client)) return true;
  if (ctx.oidc.route === 'userinfo') return false;
  throw new errors.InvalidClientAuth(`origin ${origin} not allowed`);
};

/** A failed client authentication is read by no page: its answer must not differ by whether the client_id exists. */
export function hideClientAuthFailures(provider: Provider): void {
  onClientAuthFailure(provider, (ctx) => ctx.remove('Access-Control-Allow-Origin'));
}
