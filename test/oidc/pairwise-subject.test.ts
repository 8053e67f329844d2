// Pairwise subject identifiers (OpenID Connect Core §8.1) from the relying apps' side: two apps registered pairwise
// on different hosts cannot tell by `sub` that they serve the same person, each keeps the same `sub` for her at every
// login (and in every process of the deployment), a public app keeps the account's own sub, and whatever a pairwise
// app is given names her by the one sub it knows. What cannot be kept apart is refused at registration, saying why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { discover } from '../helpers/rp.ts';
import { idp as cli } from '../helpers/cli.ts';
import { Agent } from '../flows/account/agent.ts';
import { createClient } from '../../provider/oidc/clients.ts';
import type { User } from '../../provider/domain/accounts/repository.ts';

const PASSWORD = 'correct horse battery staple';
const INITIAL_ACCESS_TOKEN = 'initial-access-token-for-pairwise-tests';
const CITY = 'https://city.example.be/cb';
const SCHOOL = 'https://school.example.be/cb';
const MAIL = 'https://mail.example.be/cb';

describe('pairwise subject identifiers', { timeout: 60_000 }, () => {
  let idp: TestProvider;
  let user: User;
  let n = 0;

  beforeAll(async () => {
    idp = await startTestProvider('pglite', { IDP_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN });
    const { db, users, hasher } = idp.services;
    user = await users.create(db, { username: 'noor', passwordHash: await hasher.hash(PASSWORD), status: 'active' });
  });
  afterAll(() => idp?.close());

  /** An app of the provider at `redirect`, pairwise unless told: its openid-client configuration. */
  async function app(redirect: string, subjectType?: 'public' | 'pairwise', on = idp) {
    const c = await createClient(on.services.provider(), {
      name: `App ${++n}`,
      redirectUris: [redirect],
      postLogoutRedirectUris: [`${new URL(redirect).origin}/bye`],
      firstParty: true,
      subjectType: subjectType ?? 'pairwise',
    });
    return { clientId: c.client_id, secret: c.client_secret, rp: await discover(on.issuer, c.client_id, c.client_secret) };
  }

  /** A login of noor to `rp` in a browser of its own. */
  const login = (rp: client.Configuration, redirect: string, on = idp) =>
    new Agent(on.issuer).authorize(rp, redirect, 'openid profile offline_access', { identifier: 'noor', password: PASSWORD }, { prompt: 'consent' });

  /** The sub an ID token gives a pairwise app: 32 bytes in base64url, not the account's own. */
  const pairwiseSub = (tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers) => {
    const { sub } = tokens.claims()!;
    expect(sub).toMatch(/^[\w-]{43}$/);
    expect(sub).not.toBe(user.sub);
    return sub;
  };

  it('is announced in discovery', async () => {
    const doc = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(doc.subject_types_supported).toEqual(['public', 'pairwise']);
  });

  it('gives two apps on different hosts different subs for one person, neither of them her own', async () => {
    const city = await app(CITY);
    const school = await app(SCHOOL);
    const atCity = pairwiseSub(await login(city.rp, CITY));
    expect(pairwiseSub(await login(school.rp, SCHOOL))).not.toBe(atCity);
  });

  it('gives an app the same sub at every login, and another app on its host the same one', async () => {
    const city = await app(CITY);
    const first = pairwiseSub(await login(city.rp, CITY));
    expect((await login(city.rp, CITY)).claims()!.sub).toBe(first);
    const sameHost = await app('https://city.example.be/other/cb');
    expect((await login(sameHost.rp, 'https://city.example.be/other/cb')).claims()!.sub).toBe(first);
  });

  it('gives the same sub in another process of the deployment', async () => {
    const city = await app(CITY);
    const here = pairwiseSub(await login(city.rp, CITY));
    const other = await startTestProvider('pglite', {}, { db: idp.db, databaseUrl: undefined });
    try {
      const there = await discover(other.issuer, city.clientId, city.secret);
      expect((await login(there, CITY, other)).claims()!.sub).toBe(here);
    } finally {
      await other.close();
    }
  });

  it('keeps the account’s own sub for a public app, beside a pairwise app of its host', async () => {
    const mail = await app(MAIL, 'public');
    expect((await login(mail.rp, MAIL)).claims()!.sub).toBe(user.sub);
    pairwiseSub(await login((await app(MAIL)).rp, MAIL));
  });

  it('names the person by the same sub in the ID token, userinfo, introspection and a refreshed ID token', async () => {
    const city = await app(CITY);
    const tokens = await login(city.rp, CITY);
    const sub = pairwiseSub(tokens);
    expect(await client.fetchUserInfo(city.rp, tokens.access_token, sub)).toMatchObject({ sub, preferred_username: 'noor' });
    expect(await client.tokenIntrospection(city.rp, tokens.access_token)).toMatchObject({ active: true, sub });
    expect((await client.refreshTokenGrant(city.rp, tokens.refresh_token!)).claims()!.sub).toBe(sub);
  });

  it('takes the app’s own ID token as id_token_hint, at a silent login and at logout', async () => {
    const city = await app(CITY);
    const agent = new Agent(idp.issuer);
    const first = await agent.authorize(city.rp, CITY, 'openid', { identifier: 'noor', password: PASSWORD });
    const again = await agent.authorize(city.rp, CITY, 'openid', undefined, { prompt: 'none', id_token_hint: first.id_token! });
    expect(pairwiseSub(again)).toBe(first.claims()!.sub);
    const bye = 'https://city.example.be/bye';
    const question = await agent.get(`/session/end?${new URLSearchParams({ id_token_hint: first.id_token!, post_logout_redirect_uri: bye })}`);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(question.html)![1]!;
    expect((await agent.go('/session/end/confirm', { form: { xsrf, logout: 'yes' } }, (l) => l.startsWith(bye))).url).toBe(bye);
  });

  it('says `idp clients show --json` which subject type an app has', async () => {
    const city = await app(CITY);
    const mail = await app(MAIL, 'public');
    expect(JSON.parse((await cli(idp, ['clients', 'show', city.clientId, '--json'])).out)).toMatchObject({ subject_type: 'pairwise' });
    expect(JSON.parse((await cli(idp, ['clients', 'show', mail.clientId, '--json'])).out)).toMatchObject({ subject_type: 'public' });
    const made = await cli(idp, ['clients', 'create', '--name', 'Library', '--redirect-uri', 'https://library.example.be/cb', '--subject-type', 'pairwise']);
    expect(made.err).toBe('');
    const id = /client_id: (\S+)/.exec(made.out)![1]!;
    const listed = JSON.parse((await cli(idp, ['clients', 'list', '--json'])).out) as { client_id: string; subject_type: string }[];
    expect(listed.find((c) => c.client_id === id)).toMatchObject({ subject_type: 'pairwise' });
    expect((await cli(idp, ['clients', 'show', id])).out).toContain('subject: pairwise (sector library.example.be)');
  });

  it('refuses from the command line what it cannot keep apart, saying why, and stores nothing', async () => {
    const before = await idp.db('oidc_models').where({ model: 'Client' }).count({ n: '*' });
    const create = (...args: string[]) => cli(idp, ['clients', 'create', '--name', 'Refused', '--subject-type', 'pairwise', ...args]);
    const hosts = await create('--redirect-uri', CITY, '--redirect-uri', SCHOOL);
    expect([hosts.code, hosts.err]).toEqual([2, expect.stringContaining('city.example.be, school.example.be')]);
    expect(hosts.err).toContain('one host');
    const notifying = await create(
      '--redirect-uri',
      CITY,
      '--grant',
      'authorization_code',
      '--grant',
      'client_credentials',
      '--scope',
      'openid notifications:send',
    );
    expect([notifying.code, notifying.err]).toEqual([2, expect.stringContaining('notifications:send')]);
    const machine = await create('--grant', 'client_credentials');
    expect([machine.code, machine.err]).toEqual([2, expect.stringContaining('client_credentials grant alone is given no sub')]);
    const odd = await cli(idp, ['clients', 'create', '--name', 'Odd', '--redirect-uri', CITY, '--subject-type', 'sideways']);
    expect([odd.code, odd.err]).toEqual([2, expect.stringContaining('expected public or pairwise')]);
    expect(await idp.db('oidc_models').where({ model: 'Client' }).count({ n: '*' })).toEqual(before);
  });

  // Making an app again under its client_id would switch its people's subs: a pairwise app would learn their public
  // subs at its next refresh, a public one would lose track of them.
  it('does not let staff switch an app between public and pairwise by creating it again under its client_id', async () => {
    const create = (type: string) =>
      cli(idp, ['clients', 'create', '--name', 'Town', '--redirect-uri', CITY, '--client-id', 'town-portal', '--subject-type', type]);
    expect((await create('pairwise')).code).toBe(0);
    const again = await create('public');
    expect([again.code, again.err]).toEqual([2, expect.stringContaining('"town-portal" already exists')]);
    expect(JSON.parse((await cli(idp, ['clients', 'show', 'town-portal', '--json'])).out)).toMatchObject({ subject_type: 'pairwise' });
  });

  // Its tokens outlived a deleted app: registered again under its client_id as public, the refresh token it had as
  // a pairwise app (a public one needs no secret) fetched the person's public sub.
  it('ends a deleted app’s tokens, which an app made later under its client_id cannot revive', async () => {
    const kiosk = { name: 'Kiosk', clientId: 'kiosk', public: true, redirectUris: [CITY], firstParty: true };
    const tokens = await login(
      await discover(idp.issuer, (await createClient(idp.services.provider(), { ...kiosk, subjectType: 'pairwise' })).client_id),
      CITY,
    );
    pairwiseSub(tokens);
    expect((await cli(idp, ['clients', 'delete', 'kiosk'])).code).toBe(0);
    await createClient(idp.services.provider(), { ...kiosk, subjectType: 'public' });
    await expect(client.refreshTokenGrant(await discover(idp.issuer, 'kiosk'), tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  describe('dynamic registration', () => {
    const register = async (metadata: Record<string, unknown>) => {
      const res = await fetch(`${idp.issuer}/reg`, {
        method: 'POST',
        headers: { authorization: `Bearer ${INITIAL_ACCESS_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(metadata),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    it('registers a pairwise app on one host', async () => {
      expect(await register({ redirect_uris: [CITY], subject_type: 'pairwise' })).toMatchObject({ status: 201, body: { subject_type: 'pairwise' } });
      expect(await register({ redirect_uris: [CITY] })).toMatchObject({ status: 201, body: { subject_type: 'public' } });
    });

    // Moved to another host, an app would get that sector's subs: its registration can be read, never changed.
    it('keeps a registered app on its host: its registration access token reads it and changes nothing', async () => {
      const { body } = await register({ redirect_uris: [CITY], subject_type: 'pairwise' });
      const {
        registration_client_uri: uri,
        registration_access_token: token,
        client_id_issued_at: _issued,
        client_secret_expires_at: _expires,
        ...metadata
      } = body;
      const auth = { authorization: `Bearer ${token as string}` };
      const moved = await fetch(uri as string, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ ...metadata, redirect_uris: [SCHOOL] }),
      });
      expect(moved.ok).toBe(false);
      expect(await (await fetch(uri as string, { headers: auth })).json()).toMatchObject({ redirect_uris: [CITY], subject_type: 'pairwise' });
    });

    it('refuses a pairwise app on several hosts, or with a sector_identifier_uri, naming why', async () => {
      expect(await register({ redirect_uris: [CITY, SCHOOL], subject_type: 'pairwise' })).toEqual({
        status: 400,
        body: { error: 'invalid_client_metadata', error_description: expect.stringContaining('city.example.be, school.example.be') },
      });
      expect(await register({ redirect_uris: [CITY], subject_type: 'pairwise', sector_identifier_uri: 'https://city.example.be/sector.json' })).toEqual({
        status: 400,
        body: { error: 'invalid_client_metadata', error_description: expect.stringContaining('sector_identifier_uri') },
      });
    });

    // A custom scheme has no host, and a native app's loopback address takes any port: every such app would share one
    // sector, and two apps of different makers would give a person the same sub.
    it('refuses a pairwise app whose redirect URI names no one host: a custom scheme, a native app’s loopback', async () => {
      const native = { application_type: 'native', token_endpoint_auth_method: 'none', subject_type: 'pairwise' };
      for (const uri of ['be.city.app:/cb', 'be.school.app:/cb', 'http://127.0.0.1/cb', 'http://localhost:8080/cb'])
        expect(await register({ ...native, redirect_uris: [uri] })).toEqual({
          status: 400,
          body: { error: 'invalid_client_metadata', error_description: expect.stringContaining('names no one host') },
        });
      expect(await register({ ...native, redirect_uris: ['https://app.city.example.be/cb'] })).toMatchObject({ status: 201 });
      expect(await register({ ...native, subject_type: 'public', redirect_uris: ['be.city.app:/cb'] })).toMatchObject({ status: 201 });
    });
  });
});
