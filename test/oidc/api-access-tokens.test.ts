// Access tokens for APIs (RESOURCE_SERVERS): a client that names the API with `resource` gets a JWT access token
// (RFC 9068) that the API verifies offline against the JWKS, and nothing is written to the database; without
// `resource` the token stays opaque and stored; an API not configured is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { discover } from '../helpers/rp.ts';
import { createClient } from '../../provider/oidc/clients.ts';

const API = 'https://api.example.be/notifications';

describe('access tokens for configured APIs', () => {
  let idp: TestProvider;
  let machine: client.Configuration;
  let clientId: string;

  beforeAll(async () => {
    idp = await startTestProvider('pglite', { RESOURCE_SERVERS: `${API},https://other.example.be` });
    const c = await createClient(idp.services.provider(), {
      name: 'Alert sender',
      redirectUris: ['https://unused.invalid/'],
      grants: ['client_credentials'],
      scope: 'notifications:send',
    });
    clientId = c.client_id;
    machine = await discover(idp.issuer, c.client_id, c.client_secret);
  });
  afterAll(() => idp?.close());

  const storedTokens = async () => Number((await idp.db('oidc_models').where({ model: 'ClientCredentials' }).count('* as n').first())!.n);

  it('gives a JWT the API verifies against the JWKS, bound to that API, and stores nothing', async () => {
    const before = await storedTokens();
    const tokens = await client.clientCredentialsGrant(machine, { resource: API, scope: 'notifications:send' });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: idp.issuer, audience: API, typ: 'at+jwt' });
    expect(payload).toMatchObject({ client_id: clientId, sub: clientId, scope: 'notifications:send' });
    expect(payload.exp! - payload.iat!).toBe(600);
    // Another API does not accept it.
    await expect(jwtVerify(tokens.access_token, jwks, { issuer: idp.issuer, audience: 'https://other.example.be' })).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    });
    expect(await storedTokens()).toBe(before);
  });

  it('gives the API scope only to a client registered with it', async () => {
    const c = await createClient(idp.services.provider(), {
      name: 'Another machine',
      redirectUris: ['https://unused.invalid/'],
      grants: ['client_credentials'],
    });
    const other = await discover(idp.issuer, c.client_id, c.client_secret);
    // Registered without a scope, it may ask for the OpenID scopes only (#16).
    await expect(client.clientCredentialsGrant(other, { resource: API, scope: 'notifications:send' })).rejects.toMatchObject({ error: 'invalid_scope' });
    // Without asking, the token names the API but carries no scope it could act on.
    const tokens = await client.clientCredentialsGrant(other, { resource: API });
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${idp.issuer}/jwks`)), { issuer: idp.issuer, audience: API });
    expect(payload.client_id).toBe(c.client_id);
    expect(payload.scope).toBeUndefined();
  });

  it('keeps tokens without a resource opaque and stored, and refuses an API that is not configured', async () => {
    const before = await storedTokens();
    const opaque = await client.clientCredentialsGrant(machine, { scope: 'notifications:send' });
    expect(opaque.access_token).not.toContain('.');
    expect(await storedTokens()).toBe(before + 1);
    await expect(client.clientCredentialsGrant(machine, { resource: 'https://unknown.example.be' })).rejects.toMatchObject({ error: 'invalid_target' });
  });
});
