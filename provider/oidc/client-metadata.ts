// What a client may carry besides the standard metadata (first_party, portal_profile, require_mfa) and who may set
// it, the check of its backchannel_logout_uri, and the fetch that reaches a loopback one outside production.
import { errors, type Configuration } from 'oidc-provider';
import type { Config } from '../app/settings.ts';
import { isLoopback } from '../domain/upstreams/repository.ts';
import { API_SCOPES } from './scopes.ts';

/**
 * A backchannel_logout_uri receives the logout tokens from the server side: https, or http on the app's own machine
 * (127.0.0.1, localhost) outside production, where an app under development listens.
 */
function checkBackchannelLogoutUri(uri: unknown, production: boolean) {
  if (uri === undefined) return;
  const url = typeof uri === 'string' ? URL.parse(uri) : null;
  // Back-Channel Logout 1.0, section 2.2.
  if (url?.hash) throw new errors.InvalidClientMetadata('backchannel_logout_uri must not contain a fragment');
  if (url?.protocol === 'https:' || (url?.protocol === 'http:' && !production && isLoopback(url))) return;
  throw new errors.InvalidClientMetadata(
    production ? 'backchannel_logout_uri must use https' : 'backchannel_logout_uri must use https (http only on 127.0.0.1 or localhost)',
  );
}

/**
 * oidc-provider refuses to send to loopback and private addresses (its SSRF protection): outside production a
 * loopback backchannel_logout_uri, allowed above, is reached without it.
 */
export function loopbackFetch(production: boolean): NonNullable<Configuration['fetch']> {
  return (url, options) => {
    const target = URL.parse(url instanceof Request ? url.url : url);
    if (!production && target && isLoopback(target)) delete (options as { dispatcher?: unknown }).dispatcher;
    return globalThis.fetch(url, options);
  };
}

/** oidc-provider's extraClientMetadata. */
export function clientMetadata(config: Config): NonNullable<Configuration['extraClientMetadata']> {
  return {
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
      checkBackchannelLogoutUri(metadata.backchannel_logout_uri, config.production);
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
  };
}
