// The claims of an account as oidc-provider releases them (each scope's share: ./scopes.ts).
import type { User } from '../domain/accounts/repository.ts';

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
