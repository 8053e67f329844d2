// The provider's own pages (account, admin) are a first-party relying app of the provider itself, like
// Keycloak's account console: they log in through the same /auth as every app, and share its session.
import { createHash, randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import { createClient } from './clients.ts';

export const SELF_CLIENT_ID = 'belid-self';

export async function registerSelfClient(provider: Provider, issuer: string): Promise<void> {
  await createClient(
    provider,
    {
      clientId: SELF_CLIENT_ID,
      name: 'Your account',
      redirectUris: [`${issuer}/self/callback`],
      postLogoutRedirectUris: [`${issuer}/`],
      public: true,
      firstParty: true,
      grants: ['authorization_code'],
    },
    undefined,
    { replace: true },
  );
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export const challengeOf = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
