// The scopes the provider knows and the claims each releases: oidc-provider's configuration and the consent page
// both read them from here, so that what a page says a scope shares is what the tokens carry.

/** In the order the consent page lists them. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'phone', 'offline_access'] as const;

/** The notification API's (provider/flows/api/notifications.ts), which names people by their public sub. */
export const NOTIFICATIONS_SCOPE = 'notifications:send';

/** Scopes of APIs rather than of the person's data: the ones a resource server's token may carry. */
export const API_SCOPES = [NOTIFICATIONS_SCOPE] as const;

export const CLAIMS_BY_SCOPE: Record<string, string[]> = {
  // acr and amr belong to every ID token: relying apps decide on assurance from them.
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** The scope whose claims include `claim` (one asked for on its own, with the claims parameter). */
export function scopeOfClaim(claim: string): string {
  return Object.entries(CLAIMS_BY_SCOPE).find(([, claims]) => claims.includes(claim))?.[0] ?? 'openid';
}

/**
 * The claims a claims parameter names (for the ID token or userinfo) of a scope not among `allowed`, a client's
 * registered scope: one by one they would otherwise reach a client that staff held to fewer scopes. The openid
 * scope's claims (and claims of no scope, which are never released) are every client's.
 */
export function claimsBeyondScope(claims: { id_token?: unknown; userinfo?: unknown }, allowed: string | undefined): string[] {
  const scopes = new Set((allowed ?? '').split(' '));
  const named = [claims.id_token, claims.userinfo].flatMap((c) => (c && typeof c === 'object' ? Object.keys(c) : []));
  return [...new Set(named)].filter((claim) => {
    const scope = scopeOfClaim(claim);
    return scope !== 'openid' && !scopes.has(scope);
  });
}
