// Registering relying apps from the CLI: metadata validated by oidc-provider's own client schema, stored
// through the same adapter as dynamically registered clients.
import { randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import { z } from 'zod';

export const clientInput = z.object({
  name: z.string().trim().min(1).max(200),
  redirectUris: z.array(z.url()).min(1, 'give at least one --redirect-uri'),
  postLogoutRedirectUris: z.array(z.url()).default([]),
  public: z.boolean().default(false),
  firstParty: z.boolean().default(false),
  grants: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).default(['authorization_code', 'refresh_token']),
  scope: z.string().max(1000).optional(),
  clientId: z.string().regex(/^[\w.-]{3,100}$/).optional(),
});
export type ClientInput = z.input<typeof clientInput>;

export async function createClient(provider: Provider, input: ClientInput): Promise<{ client_id: string; client_secret?: string }> {
  const c = clientInput.parse(input);
  const clientId = c.clientId ?? randomBytes(12).toString('base64url');
  const secret = c.public ? undefined : randomBytes(32).toString('base64url');
  const metadata = {
    client_id: clientId,
    ...(secret ? { client_secret: secret } : {}),
    client_name: c.name,
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    grant_types: c.grants,
    response_types: c.grants.includes('authorization_code') ? ['code'] : [],
    token_endpoint_auth_method: c.public ? 'none' : 'client_secret_basic',
    first_party: c.firstParty,
    ...(c.scope ? { scope: c.scope } : {}),
  };
  // The constructor runs oidc-provider's client schema: invalid metadata throws here, before anything is stored.
  const ClientModel = provider.Client as unknown as {
    new (m: object): { metadata(): Record<string, unknown> };
    adapter: { upsert(id: string, payload: object, expiresIn?: number): Promise<void> };
  };
  const client = new ClientModel(metadata);
  await ClientModel.adapter.upsert(clientId, client.metadata());
  return { client_id: clientId, ...(secret ? { client_secret: secret } : {}) };
}
