// An app registered with ES256 ID tokens (`idp clients create --id-token-alg ES256`) gets them signed with the
// provider's P-256 key, at the login and at each refresh, verifiable against the published JWKS; an app registered
// without it keeps OpenID Connect's RS256.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { discover } from '../helpers/rp.ts';
import { createClient } from '../../provider/oidc/clients.ts';
import { Agent } from '../flows/account/agent.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/cb';

describe('the signature of ID tokens, chosen per app', () => {
  let idp: TestProvider;

  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users, hasher } = idp.services;
    await users.create(db, { username: 'noor', passwordHash: await hasher.hash(PASSWORD), status: 'active' });
  });
  afterAll(() => idp?.close());

  const loginWith = async (idTokenAlg?: 'ES256' | 'RS256') => {
    const c = await createClient(idp.services.provider(), { name: 'Portal', redirectUris: [REDIRECT], firstParty: true, idTokenAlg });
    const rp = await discover(idp.issuer, c.client_id, c.client_secret);
    const agent = new Agent(idp.issuer);
    await agent.login('noor', PASSWORD);
    return { rp, clientId: c.client_id, tokens: await agent.authorize(rp, REDIRECT, 'openid offline_access', undefined, { prompt: 'consent' }) };
  };
  const jwks = () => createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));

  it('signs with ES256 at the login and at every refresh, verifiable against the JWKS', async () => {
    const { rp, clientId, tokens } = await loginWith('ES256');
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('ES256');
    await jwtVerify(tokens.id_token!, jwks(), { issuer: idp.issuer, audience: clientId, algorithms: ['ES256'] });
    const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(decodeProtectedHeader(refreshed.id_token!).alg).toBe('ES256');
    await jwtVerify(refreshed.id_token!, jwks(), { issuer: idp.issuer, audience: clientId, algorithms: ['ES256'] });
  });

  it('keeps RS256 for an app that did not choose', async () => {
    const { clientId, tokens } = await loginWith();
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');
    await jwtVerify(tokens.id_token!, jwks(), { issuer: idp.issuer, audience: clientId, algorithms: ['RS256'] });
  });

  it('refuses another algorithm, and stores nothing', async () => {
    const before = await idp.db('oidc_models').where({ model: 'Client' }).count({ n: '*' });
    await expect(createClient(idp.services.provider(), { name: 'Odd', redirectUris: [REDIRECT], idTokenAlg: 'HS256' as never })).rejects.toThrow(
      'expected RS256 or ES256',
    );
    expect(await idp.db('oidc_models').where({ model: 'Client' }).count({ n: '*' })).toEqual(before);
  });
});
