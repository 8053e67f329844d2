// What a client may carry besides the standard metadata (first_party, portal_profile, require_mfa) and who may set
// it; its backchannel_logout_uri is checked by the logout delivery's rules (./logout-delivery.ts), a pairwise
// subject_type by ./pairwise-subject.ts.
import { errors, type Configuration } from 'oidc-provider';
import type { Config } from '../app/settings.ts';
import type { LogoutDelivery } from './logout-delivery.ts';
import { API_SCOPES } from './scopes.ts';
import { checkPairwise } from './pairwise-subject.ts';

/** oidc-provider's extraClientMetadata. */
export function clientMetadata(config: Config, logouts: Pick<LogoutDelivery, 'checkUri'>): NonNullable<Configuration['extraClientMetadata']> {
  return {
    // require_mfa: the app's users log in with a second factor (provider/oidc/step-up.ts); an app may ask it for itself.
    properties: ['first_party', 'portal_profile', 'require_mfa'],
    // ctx is set for dynamic registration (anyone with IDP_INITIAL_ACCESS_TOKEN), not for clients staff create or
    // the adapter loads: a registered app cannot declare itself first party (no consent) nor give itself an API scope.
    // oidc-provider calls it for each extra property of every client, with the whole metadata.
    // The backchannel_logout_uri and a pairwise subject_type are checked here too, being called for every client with
    // its whole metadata.
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
      checkPairwise(metadata);
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
