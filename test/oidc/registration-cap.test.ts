// Dynamic registration with the initial access token is capped per hour (RATE_LIMIT_CLIENT_REGISTRATION): beyond
// it /reg answers 429 and stores nothing; a refused (invalid) registration does not use up the allowance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';

const TOKEN = 'initial-access-token-for-tests';

describe('dynamic registration cap', () => {
  let idp: TestProvider;
  beforeAll(async () => (idp = await startTestProvider('pglite', { IDP_INITIAL_ACCESS_TOKEN: TOKEN, RATE_LIMIT_CLIENT_REGISTRATION: '2' })));
  afterAll(() => idp?.close());

  const register = (metadata: object) =>
    fetch(`${idp.url}/reg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(metadata),
    });
  const clients = async () => Number((await idp.db('oidc_models').where({ model: 'Client' }).count('* as n').first())!.n);

  it('answers 429 past the allowance of the hour', async () => {
    expect((await register({ redirect_uris: ['not a url'] })).status).toBe(400);
    expect((await register({ client_name: 'One', redirect_uris: ['https://rp.example.be/1'] })).status).toBe(201);
    expect((await register({ client_name: 'Two', redirect_uris: ['https://rp.example.be/2'] })).status).toBe(201);
    const before = await clients();
    const refused = await register({ client_name: 'Three', redirect_uris: ['https://rp.example.be/3'] });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ error: 'rate_limited' });
    expect(await clients()).toBe(before);
  });

  it('is no help to a caller without the token', async () => {
    const res = await fetch(`${idp.url}/reg`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong-token-of-some-length', 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['https://rp.example.be/4'] }),
    });
    expect(res.status).toBe(401);
  });
});
