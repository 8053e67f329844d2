// The endpoints a client calls with its credentials or tokens: /token, introspection, revocation, userinfo.
// Introspection tells a client about its own tokens only; a resource server named in INTROSPECTION_CLIENTS may
// ask about any. Another confidential client learns nothing ("active": false), nor from revoking it: a client revokes
// its own tokens only, and another's is answered as a string that is no token. A wrong secret is answered as an
// unknown client is, and audited for staff. A browser reads these answers only from its app's own origin.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { discover } from '../helpers/rp.ts';
import { Agent } from '../flows/account/agent.ts';
import { createClient } from '../../provider/oidc/clients.ts';
import { clientAuthFailures } from '../../provider/platform/metrics/counters.ts';
import { foldByMinute } from '../../provider/oidc/client-auth-failures.ts';

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

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const post = (path: string, as: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${idp.url}${path}`, {
    method: 'POST',
    headers: { authorization: basic(apps[as]!.client_id, apps[as]!.client_secret!), 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body),
  });

describe('token introspection', () => {
  const introspect = async (as: string) => {
    const res = await post('/token/introspection', as, { token });
    expect(res.status).toBe(200);
    return (await res.json()) as { active: boolean; client_id?: string };
  };
  const revoke = async (as: string, what: string) => {
    const res = await post('/token/revocation', as, { token: what });
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

describe('a wrong client secret', () => {
  const WRONG = 'a-wrong-secret-that-must-never-be-stored';
  const answerOf = async (res: Response) => ({ status: res.status, body: await res.json(), challenge: res.headers.get('www-authenticate') });
  const attempt = (path: string, clientId: string) =>
    fetch(`${idp.url}${path}`, {
      method: 'POST',
      headers: { authorization: basic(clientId, WRONG), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(path === '/token' ? { grant_type: 'client_credentials' } : { token: 'whatever' }),
    });
  const failures = async (endpoint: string, client: string) =>
    (await clientAuthFailures.get()).values.find((v) => v.labels.endpoint === endpoint && v.labels.client === client)?.value ?? 0;

  it.each([
    ['/token', 'token'],
    ['/token/introspection', 'introspection'],
    ['/token/revocation', 'revocation'],
  ])('at %s is answered as an unknown client is, and audited with the client and the address, never the secret', async (path, endpoint) => {
    const before = { registered: await failures(endpoint, 'registered'), unknown: await failures(endpoint, 'unknown') };
    const wrong = await answerOf(await attempt(path, apps.other!.client_id));
    expect(wrong).toEqual(await answerOf(await attempt(path, 'no-such-client')));
    expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_client' } });

    const rows = await vi.waitFor(async () => {
      const found = await idp.db('audit_log').where({ event: 'client.auth_failed' }).whereRaw("details->>'endpoint' = ?", [endpoint]).select('ip', 'details');
      expect(found).toHaveLength(1);
      return found;
    });
    expect(rows[0]).toMatchObject({ ip: expect.stringMatching(/127\.0\.0\.1$/), details: { client: apps.other!.client_id, endpoint } });
    expect(JSON.stringify(rows)).not.toContain(WRONG);
    expect(await failures(endpoint, 'registered')).toBe(before.registered + 1);
    expect(await failures(endpoint, 'unknown')).toBe(before.unknown + 1);
  });

  // With an Origin, oidc-provider asked our CORS rule as soon as the client_id named a client, before its secret:
  // a registered client_id was refused there with 400 "origin … not allowed for client", an unknown one with 401,
  // which told anyone which client_ids exist (attack pass).
  it.each(['/token', '/token/introspection', '/token/revocation', '/request'])(
    'at %s from a web page is answered as an unknown client is, whatever the origin, and unreadable by the page',
    async (path) => {
      const withOrigin = (clientId: string, origin: string) =>
        fetch(`${idp.url}${path}`, {
          method: 'POST',
          headers: { authorization: basic(clientId, WRONG), 'content-type': 'application/x-www-form-urlencoded', origin },
          body: new URLSearchParams(path === '/token' ? { grant_type: 'client_credentials' } : { token: 'whatever', response_type: 'code' }),
        });
      const answer = async (res: Response) => ({ ...(await answerOf(res)), origin: res.headers.get('access-control-allow-origin') });
      // The client's own origin (of its redirect_uris) and another's.
      for (const origin of ['https://unused.invalid', 'https://evil.example']) {
        const wrong = await answer(await withOrigin(apps.other!.client_id, origin));
        expect(wrong).toEqual(await answer(await withOrigin('no-such-client', origin)));
        expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_client' }, origin: null });
      }
    },
  );

  // A registered client comes from the adapter's cache, an unknown client_id from the database: it was refused a
  // millisecond or two later, every time, which a patient guesser measures.
  it('is answered no sooner than a fixed time after the request, registered client or not', async () => {
    const took = async (clientId: string) => {
      const started = performance.now();
      await (await attempt('/token', clientId)).text();
      return performance.now() - started;
    };
    await took(apps.other!.client_id);
    expect(await took(apps.other!.client_id)).toBeGreaterThanOrEqual(100);
    expect(await took('no-such-client')).toBeGreaterThanOrEqual(100);
  });

  it('is answered the same when its audit row cannot be written', async () => {
    await idp.db.raw('alter table audit_log rename to audit_log_away');
    try {
      // A client with no failure yet here: its row is written, not folded into an earlier one.
      expect((await attempt('/token', apps.owner!.client_id)).status).toBe(401);
    } finally {
      await idp.db.raw('alter table audit_log_away rename to audit_log');
    }
  });

  it('leaves the client working with its right secret: nothing holds it; a stream of wrong ones is one row a minute', async () => {
    const before = await failures('token', 'registered');
    for (let i = 0; i < 20; i++) await attempt('/token', apps.api!.client_id);
    const res = await post('/token', 'api', { grant_type: 'client_credentials', scope: 'openid' });
    expect(res.status).toBe(200);
    expect(await failures('token', 'registered')).toBe(before + 20);
    const rows = () => idp.db('audit_log').where({ event: 'client.auth_failed' }).whereRaw("details->>'client' = ?", [apps.api!.client_id]);
    await vi.waitFor(async () => expect(await rows()).toHaveLength(1));
  });

  it('folds the failures of one client, endpoint and address into a row a minute, which says how many it stands for', () => {
    let now = 0;
    const fold = foldByMinute(() => now);
    expect(fold('app token 192.0.2.1')).toEqual({ record: true, repeats: 0 });
    for (let i = 0; i < 5; i++) expect(fold('app token 192.0.2.1').record).toBe(false);
    expect(fold('app token 192.0.2.2')).toEqual({ record: true, repeats: 0 });
    now = 60_000;
    expect(fold('app token 192.0.2.1')).toEqual({ record: true, repeats: 5 });
  });
});

describe('cross-origin reads', () => {
  const APP = 'https://app.example';
  const EVIL = 'https://evil.example';
  const REDIRECT = `${APP}/cb`;
  let spa: client.Configuration;

  beforeAll(async () => {
    const { db, users, hasher } = idp.services;
    await users.create(db, { username: 'els.maes', email: 'els@example.be', passwordHash: await hasher.hash('a long enough password'), status: 'active' });
    const c = await createClient(idp.services.provider(), { name: 'Browser app', redirectUris: [REDIRECT], public: true, firstParty: true });
    spa = await discover(idp.issuer, c.client_id);
  });

  /** openid-client's requests sent as a browser page of `origin` sends them; the answers kept to read their headers. */
  function from(origin: string) {
    const answers: Response[] = [];
    spa[client.customFetch] = async (url, init) => {
      const headers = new Headers(init.headers);
      headers.set('origin', origin);
      const res = await fetch(url, { ...init, headers } as RequestInit);
      answers.push(res);
      return res;
    };
    return answers;
  }
  const allowed = (res: Response | undefined) => res?.headers.get('access-control-allow-origin');

  it("answers the app's own origin at /token and userinfo, and refuses another before its code is spent", async () => {
    const agent = new Agent(idp.url);
    const started = await agent.startAuthorization(spa, REDIRECT, 'openid');
    const callback = await agent.submitLogin(started.page, 'els.maes', 'a long enough password', (l) => l.startsWith(REDIRECT));

    const evil = from(EVIL);
    await expect(started.tokens(callback)).rejects.toMatchObject({ error: 'invalid_client' });
    expect(evil.at(-1)?.status).toBe(401);
    expect(allowed(evil.at(-1))).toBeNull();

    const app = from(APP);
    const tokens = await started.tokens(callback);
    expect(allowed(app.at(-1))).toBe(APP);

    const userinfo = (origin: string) => fetch(`${idp.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}`, origin } });
    const own = await userinfo(APP);
    expect([own.status, allowed(own)]).toEqual([200, APP]);
    expect(allowed(await userinfo(EVIL))).toBeNull();
    // Same scheme and host, another port: another origin.
    expect(allowed(await userinfo(`${APP}:8443`))).toBeNull();
  });

  it("lets the app's preflight through, as oidc-provider answers every preflight: the request itself decides", async () => {
    const res = await fetch(`${idp.url}/token`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(204);
    expect([allowed(res), res.headers.get('access-control-allow-methods')]).toEqual([APP, 'POST']);
  });

  it('answers no origin for a client with a secret, which no browser may hold, not even its own', async () => {
    const res = await post('/token', 'owner', { grant_type: 'client_credentials', scope: 'openid' }, { origin: 'https://unused.invalid' });
    expect([res.status, allowed(res)]).toEqual([401, null]);
    // A server sends no Origin, and is answered as ever.
    expect((await post('/token', 'owner', { grant_type: 'client_credentials', scope: 'openid' })).status).toBe(200);
  });

  it("answers a public client given a secret as an unknown client, from its app's origin as from another", async () => {
    const attempt = async (clientId: string, origin: string) => {
      const res = await fetch(`${idp.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', client_id: clientId, client_secret: 'made-up' }),
      });
      return { status: res.status, body: await res.json(), origin: allowed(res) };
    };
    for (const origin of [APP, EVIL]) {
      const known = await attempt(spa.clientMetadata().client_id, origin);
      expect(known).toEqual(await attempt('no-such-client', origin));
      expect(known).toMatchObject({ status: 401, body: { error: 'invalid_client' }, origin: null });
    }
  });

  it('leaves discovery and the JWKS open to every origin: they are public', async () => {
    for (const path of ['/.well-known/openid-configuration', '/jwks'])
      expect(allowed(await fetch(`${idp.url}${path}`, { headers: { origin: EVIL } }))).toBe(EVIL);
  });
});
