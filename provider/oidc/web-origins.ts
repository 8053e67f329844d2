// Which web pages may read the answers of the endpoints a client calls (/token, userinfo, introspection,
// revocation, pushed authorization requests): oidc-provider asks `clientBasedCORS` once the request names its
// client (shared/cors.js, on 'assign.client'), and a refusal removes Access-Control-Allow-Origin and answers 400
// invalid_request before the endpoint does anything, so a foreign page neither reads an answer nor spends a code.
// A preflight names no client: oidc-provider lets every one through, and the request that follows decides.
// Discovery and the JWKS never ask: they are public and open to every origin. The rule below is oidc-provider's default
// since 9.4, made ours: that default answered every origin in version 6, none from 7, and an upgrade must not change
// it unseen.
import type { Configuration } from 'oidc-provider';

/**
 * A page of an origin of one of the client's redirect_uris, compared whole (scheme, host and port), as Keycloak's
 * "Web origins" of "+": where the app's own pages are. With a secret a client is never answered across origins,
 * not even from its own: a secret in a browser is a secret published, and userinfo is the one endpoint where such an
 * app's page may present a token of its own. An `Origin: null` (a sandboxed frame, a file) is never an app's, though
 * a redirect_uri of a private scheme (com.example.app:/cb) has the origin "null" too.
 */
export const webOriginAllowed: NonNullable<Configuration['clientBasedCORS']> = (ctx, origin, client) => {
  if (origin === 'null') return false;
  if (ctx.oidc.route !== 'userinfo' && client.clientAuthMethod !== 'none') return false;
  return (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin);
};
