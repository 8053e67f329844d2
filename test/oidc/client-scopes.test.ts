// An API scope goes only to a client registered with it. A client created by staff without --scope, or registered
// dynamically without `scope`, may ask for the OpenID scopes only; the consent page names an API scope it grants.
// A claim asked for on its own with the claims parameter is held to the same scopes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { discover } from '../helpers/rp.ts';
import { Agent, text } from '../flows/account/agent.ts';
import { createClient } from '../../provider/oidc/clients.ts';

const TOKEN = 'initial-access-token-for-tests';
const REDIRECT = 'https://rp.example.be/cb';

describe('API scopes', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { IDP_INITIAL_ACCESS_TOKEN: TOKEN });
    const { db, users, hasher } = idp.services;
    await users.create(db, { username: 'an.claes', email: 'an@example.be', passwordHash: await hasher.hash('a long enough password'), status: 'active' });
  });
  afterAll(() => idp?.close());

  const machineToken = async (clientId: string, secret: string) =>
    client.clientCredentialsGrant(await discover(idp.issuer, clientId, secret), { scope: 'notifications:send' });

  it('are refused to a client created without --scope', async () => {
    const c = await createClient(idp.services.provider(), { name: 'Report app', redirectUris: [REDIRECT], grants: ['client_credentials'] });
    await expect(machineToken(c.client_id, c.client_secret!)).rejects.toMatchObject({ error: 'invalid_scope' });
  });

  it('are refused to a client registered dynamically without scope', async () => {
    const res = await fetch(`${idp.url}/reg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Registered app', redirect_uris: [REDIRECT], grant_types: ['client_credentials'], response_types: [] }),
    });
    expect(res.status).toBe(201);
    const registered = (await res.json()) as { client_id: string; client_secret: string; scope: string };
    expect(registered.scope.split(' ')).not.toContain('notifications:send');
    await expect(machineToken(registered.client_id, registered.client_secret)).rejects.toMatchObject({ error: 'invalid_scope' });
  });

  it('are granted to a client registered with one, and the consent page says so', async () => {
    const c = await createClient(idp.services.provider(), { name: 'Alert portal', redirectUris: [REDIRECT], scope: 'openid notifications:send' });
    const agent = new Agent(idp.url);
    const rp = await discover(idp.issuer, c.client_id, c.client_secret);
    const url = client.buildAuthorizationUrl(rp, {
      redirect_uri: REDIRECT,
      scope: 'openid notifications:send',
      state: 's',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const login = await agent.go(url.href);
    const consent = await agent.submitLogin(login, 'an.claes', 'a long enough password');
    expect(text(consent.html)).toContain('to send you notifications in its name');
  });
});

// A client registered with --scope asks for those scopes only; the claims parameter names claims one by one, and a
// claim of a scope the client may not ask was released all the same (OIDC attack pass).
describe('the claims parameter', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users, hasher } = idp.services;
    await users.create(db, { username: 'bart.peeters', email: 'bart@example.be', passwordHash: await hasher.hash('a long enough password'), status: 'active' });
  });
  afterAll(() => idp?.close());

  const credentials = { identifier: 'bart.peeters', password: 'a long enough password' };
  const emailClaims = [JSON.stringify({ id_token: { email: { essential: true } } }), JSON.stringify({ userinfo: { email: null, phone_number: null } })];

  it.each(emailClaims)('is refused for a claim outside the scope a first-party client was registered with: %s', async (claims) => {
    const c = await createClient(idp.services.provider(), { name: 'Minimal app', redirectUris: [REDIRECT], scope: 'openid', firstParty: true });
    const rp = await discover(idp.issuer, c.client_id, c.client_secret);
    const agent = new Agent(idp.url);
    const atCallback = (l: string) => l.startsWith(REDIRECT);
    const started = await agent.startAuthorization(rp, REDIRECT, 'openid', { claims });
    // Before the fix the login page came, and after it a code whose tokens carried the address.
    const page = atCallback(started.page.url) ? started.page : await agent.submitLogin(started.page, credentials.identifier, credentials.password, atCallback);
    const callback = new URL(page.url);
    expect(callback.searchParams.get('code')).toBeNull();
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/email/);
  });

  it.each([
    ['registered with that scope', 'openid email'],
    ['registered without a scope, which may ask for every OpenID scope', undefined],
  ])('still releases a claim of a scope the client may ask: a client %s', async (_, scope) => {
    const c = await createClient(idp.services.provider(), { name: 'Mail app', redirectUris: [REDIRECT], ...(scope ? { scope } : {}), firstParty: true });
    const rp = await discover(idp.issuer, c.client_id, c.client_secret);
    const tokens = await new Agent(idp.url).authorize(rp, REDIRECT, 'openid', credentials, { claims: emailClaims[0]! });
    expect(tokens.claims()?.email).toBe('bart@example.be');
  });
});
