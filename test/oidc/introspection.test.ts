// Introspection tells a client about its own tokens only; a resource server named in INTROSPECTION_CLIENTS may
// ask about any. Another confidential client learns nothing ("active": false), nor from revoking it: a client revokes
// its own tokens only, and another's is answered as a string that is no token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { discover } from '../helpers/rp.ts';
import { createClient } from '../../provider/oidc/clients.ts';

describe('token introspection', () => {
  let idp: TestProvider;
  const apps: Record<string, { client_id: string; client_secret?: string }> = {};
  let token: string;

  beforeAll(async () => {
    idp = await startTestProvider('pglite', { INTROSPECTION_CLIENTS: 'notifications-api' });
    const p = idp.services.provider();
    const make = (name: string, clientId?: string) =>
      createClient(p, { name, clientId, redirectUris: ['https://unused.invalid/'], grants: ['client_credentials'] });
    apps.owner = await make('Owner app');
    apps.other = await make('Other app');
    apps.api = await make('Notifications API', 'notifications-api');
    token = (await client.clientCredentialsGrant(await discover(idp.issuer, apps.owner.client_id, apps.owner.client_secret), { scope: 'openid' })).access_token;
  });
  afterAll(() => idp?.close());

  const post = (path: string, as: string, body: string) =>
    fetch(`${idp.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${apps[as]!.client_id}:${apps[as]!.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: body }),
    });
  const introspect = async (as: string) => {
    const res = await post('/token/introspection', as, token);
    expect(res.status).toBe(200);
    return (await res.json()) as { active: boolean; client_id?: string };
  };
  const revoke = async (as: string, what: string) => {
    const res = await post('/token/revocation', as, what);
    return { status: res.status, body: await res.text() };
  };

  it('answers the client the token was issued to', async () => {
    expect(await introspect('owner')).toMatchObject({ active: true, client_id: apps.owner!.client_id });
  });

  it('tells another client nothing', async () => {
    expect(await introspect('other')).toEqual({ active: false });
  });

  it('answers a resource server named in INTROSPECTION_CLIENTS', async () => {
    expect(await introspect('api')).toMatchObject({ active: true, client_id: apps.owner!.client_id });
  });

  it("answers another client's revocation as one of no token, and revokes nothing; the owner's revokes", async () => {
    const unknown = await revoke('other', 'no-such-token');
    expect(await revoke('other', token)).toEqual(unknown);
    expect(unknown.status).toBe(200);
    expect(await introspect('owner')).toMatchObject({ active: true });
    expect((await revoke('owner', token)).status).toBe(200);
    expect(await introspect('owner')).toEqual({ active: false });
  });
});
