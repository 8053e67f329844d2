// A NUL written as the JSON escape \u0000 (which no query-string or form check sees) is bad input: dynamic
// registration answers 400 invalid_client_metadata and the claims parameter invalid_request; nothing is stored
// and nothing answers 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { createClient } from '../../provider/oidc/clients.ts';

const TOKEN = 'initial-access-token-for-tests';
const REDIRECT = 'https://rp.example.be/cb';

describe('NUL in JSON', () => {
  let idp: TestProvider;
  beforeAll(async () => (idp = await startTestProvider('pglite', { IDP_INITIAL_ACCESS_TOKEN: TOKEN })));
  afterAll(() => idp?.close());

  const stored = async (model: string) => Number((await idp.db('oidc_models').where({ model }).count('* as n').first())!.n);

  it('in client metadata at /reg: 400 invalid_client_metadata, no client stored', async () => {
    const before = await stored('Client');
    const res = await fetch(`${idp.url}/reg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{"client_name":"evil\\u0000app","redirect_uris":["https://rp.example.be/cb"]}',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_client_metadata' });
    expect(await stored('Client')).toBe(before);
  });

  it('in the claims parameter: invalid_request, no interaction stored', async () => {
    const { client_id } = await createClient(idp.services.provider(), { name: 'App', redirectUris: [REDIRECT] });
    const before = await stored('Interaction');
    const params = new URLSearchParams({
      client_id,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid',
      state: 's',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      claims: '{"userinfo":{"name\\u0000":null,"email":{"value":"a\\u0000b"}}}',
    });
    const res = await fetch(`${idp.url}/auth?${params}`, { redirect: 'manual' });
    expect(res.status).toBeLessThan(500);
    // The error goes back to the app, as every error of a valid client and redirect_uri does.
    const back = new URL(res.headers.get('location') ?? `${idp.url}/`, idp.url);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(await stored('Interaction')).toBe(before);
  });
});
