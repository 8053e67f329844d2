// The relying app's view of single sign-on: authorization code + PKCE through the provider's pages in Chromium,
// with openid-client as the relying party, on the embedded database and on the real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { has } from '../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { authorize, discover, login } from '../helpers/rp.ts';
import { startCallbackServer } from '../helpers/callback-server.ts';
import { createClient } from '../../provider/oidc/clients.ts';

const kinds = [...(has('chromium') ? ['pglite' as const] : []), ...(has('chromium') && has('postgres') ? ['postgres' as const] : [])];

describe.skipIf(!kinds.length).each(kinds)('SSO with authorization code + PKCE on %s', (kind) => {
  let idp: TestProvider;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let firstParty: client.Configuration;
  let firstPartyId: string;
  let rp: Awaited<ReturnType<typeof startCallbackServer>>;
  let REDIRECT: string;
  let LOGOUT_REDIRECT: string;

  beforeAll(async () => {
    rp = await startCallbackServer();
    REDIRECT = `${rp.url}/cb`;
    LOGOUT_REDIRECT = `${rp.url}/bye`;
    idp = await startTestProvider(kind);
    const { db, users, hasher } = idp.services;
    await users.create(db, {
      username: 'jan.peeters',
      email: 'jan@example.be',
      emailVerified: true,
      givenName: 'Jan',
      familyName: 'Peeters',
      passwordHash: await hasher.hash('correct horse battery staple'),
      status: 'active',
    });
    const c = await createClient(idp.services.provider(), {
      name: 'Crisis portal',
      redirectUris: [REDIRECT],
      postLogoutRedirectUris: [LOGOUT_REDIRECT],
      firstParty: true,
      grants: ['authorization_code', 'refresh_token'],
    });
    firstPartyId = c.client_id;
    firstParty = await discover(idp.issuer, c.client_id, c.client_secret);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await idp?.close();
    await rp?.close();
  });

  async function freshPage() {
    await context?.close();
    context = await browser.newContext();
    page = await context.newPage();
    return page;
  }

  it('logs in, verifies the ID token against the JWKS, reads userinfo, refreshes with rotation, introspects, revokes and logs out', async () => {
    await freshPage();
    const { tokens } = await login(page, firstParty, {
      redirectUri: REDIRECT,
      identifier: 'jan.peeters',
      password: 'correct horse battery staple',
      scope: 'openid profile email offline_access',
      params: { prompt: 'consent' },
    });

    // The ID token's signature, checked independently of openid-client against the published keys.
    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
    const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer: idp.issuer, audience: firstPartyId });
    expect(payload.sub).toBe(tokens.claims()!.sub);
    expect(payload.acr).toBe('urn:belid:acr:password');
    expect(payload.amr).toEqual(['pwd']);
    expect(['ES256', 'RS256']).toContain(decodeProtectedHeader(tokens.id_token!).alg);

    const sub = tokens.claims()!.sub;
    const info = await client.fetchUserInfo(firstParty, tokens.access_token, sub);
    expect(info).toMatchObject({
      preferred_username: 'jan.peeters',
      email: 'jan@example.be',
      email_verified: true,
      given_name: 'Jan',
      family_name: 'Peeters',
      name: 'Jan Peeters',
    });

    const active = await client.tokenIntrospection(firstParty, tokens.access_token);
    expect(active).toMatchObject({ active: true, sub, client_id: firstPartyId });

    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await client.refreshTokenGrant(firstParty, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect((await client.tokenIntrospection(firstParty, refreshed.access_token)).active).toBe(true);
    await client.tokenRevocation(firstParty, refreshed.access_token);
    expect((await client.tokenIntrospection(firstParty, refreshed.access_token)).active).toBe(false);

    // Rotation: the used refresh token is spent, and presenting it again revokes the whole grant (theft detection).
    await expect(client.refreshTokenGrant(firstParty, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.refreshTokenGrant(firstParty, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(firstParty, tokens.access_token)).active).toBe(false);

    const endSession = client.buildEndSessionUrl(firstParty, {
      id_token_hint: refreshed.id_token ?? tokens.id_token!,
      post_logout_redirect_uri: LOGOUT_REDIRECT,
    });
    await page.goto(endSession.href);
    await page.click('button[name=logout][value=yes]');
    await page.waitForURL(`${LOGOUT_REDIRECT}**`);

    // Logged out: the next authorization asks for the password again.
    await page.goto(
      client.buildAuthorizationUrl(firstParty, {
        redirect_uri: REDIRECT,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      }).href,
    );
    expect(await page.locator('#password').isVisible()).toBe(true);
  });

  it('shows a consent page to a third-party app and none to a first-party one', async () => {
    const third = await createClient(idp.services.provider(), { name: 'Partner app', redirectUris: [REDIRECT] });
    const thirdParty = await discover(idp.issuer, third.client_id, third.client_secret);
    await freshPage();
    let consentShown = false;
    const { tokens } = await login(page, thirdParty, {
      redirectUri: REDIRECT,
      identifier: 'jan@example.be',
      password: 'correct horse battery staple',
      onConsent: async (p) => {
        consentShown = true;
        expect(await p.locator('h1').innerText()).toContain('Partner app');
        // The browser's tab names the app too (it read "Allow {client} to use your data?").
        expect(await p.title()).toMatch(/^Allow Partner app to use your data\? – /);
        await p.click('form[action$="/confirm"] button');
      },
    });
    expect(consentShown).toBe(true);
    expect((await client.fetchUserInfo(thirdParty, tokens.access_token, tokens.claims()!.sub)).email).toBe('jan@example.be');

    // Same browser session, first-party app: no password, no consent.
    const again = await authorize(page, firstParty, { redirectUri: REDIRECT });
    expect(again.callback?.searchParams.get('code')).toBeTruthy();

    // A first-party login goes through one interaction only (the login): its grant is made then, with no consent
    // interaction and its two extra redirects.
    await freshPage();
    const interactions = new Set<string>();
    page.on('request', (r) => {
      const uid = /\/interaction\/([\w-]+)/.exec(new URL(r.url()).pathname)?.[1];
      if (uid) interactions.add(uid);
    });
    const first = await login(page, firstParty, {
      redirectUri: REDIRECT,
      identifier: 'jan@example.be',
      password: 'correct horse battery staple',
      scope: 'openid email',
    });
    expect(interactions.size).toBe(1);
    expect((await client.fetchUserInfo(firstParty, first.tokens.access_token, first.tokens.claims()!.sub)).email).toBe('jan@example.be');

    // Its grant gone (a password change or "disconnect" deletes grants, the session stays): a silent login still
    // succeeds, with a new grant, instead of consent_required.
    await idp.db('oidc_models').where({ model: 'Grant' }).delete();
    const silent = await authorize(page, firstParty, { redirectUri: REDIRECT, params: { prompt: 'none' } });
    expect([silent.callback?.searchParams.get('error'), Boolean(silent.callback?.searchParams.get('code'))]).toEqual([null, true]);
  });

  it('lists on the consent page everything "Allow" grants, claims asked one by one included', async () => {
    const third = await createClient(idp.services.provider(), { name: 'Claims app', redirectUris: [REDIRECT] });
    const claimsApp = await discover(idp.issuer, third.client_id, third.client_secret);
    await freshPage();
    let listed: string[] = [];
    const { tokens } = await login(page, claimsApp, {
      redirectUri: REDIRECT,
      identifier: 'jan@example.be',
      password: 'correct horse battery staple',
      scope: 'openid',
      params: { claims: JSON.stringify({ id_token: { email: null, family_name: null } }) },
      onConsent: async (p) => {
        listed = await p.locator('ul.scopes li').allInnerTexts();
        await p.click('form[action$="/confirm"] button');
      },
    });
    expect(listed).toEqual(['to know who you are', 'your name and username', 'your e-mail address']);
    expect(tokens.claims()).toMatchObject({ email: 'jan@example.be', family_name: 'Peeters' });
  });

  it('answers a wrong password with a generic message that names neither field', async () => {
    await freshPage();
    const res = await authorize(page, firstParty, { redirectUri: REDIRECT, identifier: 'jan.peeters', password: 'wrong password' });
    expect(res.callback).toBeUndefined();
    const alert = page.locator('#form-error');
    const message = await alert.innerText();
    expect(message).toMatch(/username, e-mail address or password is not correct/);
    await authorize(page, firstParty, { redirectUri: REDIRECT, identifier: 'nobody.here', password: 'wrong password' });
    expect(await page.locator('#form-error').innerText()).toBe(message);
    expect(await page.locator('#identifier').getAttribute('autocomplete')).toBe('username webauthn');
    expect(await page.locator('#password').getAttribute('autocomplete')).toBe('current-password');
    expect(await page.locator('label[for=identifier]').innerText()).toBe('Username or e-mail address');
  });

  it('refuses a replayed or expired authorization code', async () => {
    await freshPage();
    const a = await authorize(page, firstParty, { redirectUri: REDIRECT, identifier: 'jan.peeters', password: 'correct horse battery staple' });
    await client.authorizationCodeGrant(firstParty, a.callback!, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
    await expect(
      client.authorizationCodeGrant(firstParty, a.callback!, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });

    const b = await authorize(page, firstParty, { redirectUri: REDIRECT });
    // Age the code past its 60-second lifetime.
    await idp
      .db('oidc_models')
      .where({ model: 'AuthorizationCode' })
      .update({ expires_at: new Date(Date.now() - 1000) });
    await expect(
      client.authorizationCodeGrant(firstParty, b.callback!, { pkceCodeVerifier: b.verifier, expectedState: b.state, expectedNonce: b.nonce }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  /**
   * Fires PARALLEL uses of one code or refresh token at once: one gets the tokens, the others invalid_grant. A use
   * that read the code or token before the winner consumed it went through as far as its answer (oidc-provider
   * counts it a success), and lost the race when its writes were made; one that read it consumed is oidc-provider's
   * own replay, which revokes the grant by itself. Either way the grant must end. A round raced when every use
   * reached its answer (none was the replay that would revoke the grant anyway): rounds go on until two did.
   */
  const PARALLEL = 3;
  async function race(use: () => Promise<client.TokenEndpointResponse>) {
    let answered = 0;
    const count = () => answered++;
    const provider = idp.services.provider();
    provider.on('grant.success', count);
    const settled = await Promise.allSettled(Array.from({ length: PARALLEL }, use)).finally(() => provider.off('grant.success', count));
    const won = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const lost = settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as { error?: string }).error] : []));
    expect(won).toHaveLength(1);
    expect(lost).toEqual(Array(PARALLEL - 1).fill('invalid_grant'));
    return { winner: won[0]!, raced: answered === PARALLEL };
  }
  const atUserinfo = async (accessToken: string) =>
    (await fetch(firstParty.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${accessToken}` } })).status;

  it('revokes the grant when uses of one refresh token race, as it does when one follows the other', async () => {
    await freshPage();
    let raced = 0;
    for (let round = 0; round < 10 && raced < 2; round++) {
      const { tokens } = await login(page, firstParty, {
        redirectUri: REDIRECT,
        identifier: 'jan.peeters',
        password: 'correct horse battery staple',
        scope: 'openid offline_access',
        params: { prompt: 'consent' },
      });
      const r = await race(() => client.refreshTokenGrant(firstParty, tokens.refresh_token!));
      if (r.raced) raced++;
      await expect(client.refreshTokenGrant(firstParty, r.winner.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      expect(await atUserinfo(r.winner.access_token)).toBe(401);
    }
    expect(raced).toBeGreaterThan(0);
  });

  it('revokes the grant when exchanges of one authorization code race, as it does when one follows the other', async () => {
    await freshPage();
    let raced = 0;
    for (let round = 0; round < 10 && raced < 2; round++) {
      const a = await authorize(page, firstParty, { redirectUri: REDIRECT, identifier: 'jan.peeters', password: 'correct horse battery staple' });
      const r = await race(() =>
        client.authorizationCodeGrant(firstParty, a.callback!, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce }),
      );
      if (r.raced) raced++;
      expect(await atUserinfo(r.winner.access_token)).toBe(401);
    }
    expect(raced).toBeGreaterThan(0);
  });

  it('requires PKCE from public clients', async () => {
    const pub = await createClient(idp.services.provider(), { name: 'SPA', redirectUris: [REDIRECT], public: true, firstParty: true });
    const spa = await discover(idp.issuer, pub.client_id);
    await freshPage();
    const noPkce = client.buildAuthorizationUrl(spa, { redirect_uri: REDIRECT, scope: 'openid' });
    await page.goto(noPkce.href);
    const redirected = new URL(page.url());
    expect(redirected.href.startsWith(REDIRECT)).toBe(true);
    expect(redirected.searchParams.get('error')).toBe('invalid_request');
    expect(redirected.searchParams.get('error_description')).toMatch(/PKCE/);
    const { tokens } = await login(page, spa, { redirectUri: REDIRECT, identifier: 'jan.peeters', password: 'correct horse battery staple' });
    expect(tokens.access_token).toBeTruthy();
  });

  it('issues client-credentials tokens to machine clients and refuses a wrong secret', async () => {
    const m = await createClient(idp.services.provider(), { name: 'Alert sender', redirectUris: ['https://unused.invalid/'], grants: ['client_credentials'] });
    const machine = await discover(idp.issuer, m.client_id, m.client_secret);
    const t = await client.clientCredentialsGrant(machine);
    expect(t.token_type.toLowerCase()).toBe('bearer');
    expect((await client.tokenIntrospection(machine, t.access_token)).active).toBe(true);
    const wrong = await discover(idp.issuer, m.client_id, 'not-the-secret');
    await expect(client.clientCredentialsGrant(wrong)).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('speaks the language of ui_locales, then the switch, then Accept-Language, under a strict CSP', async () => {
    await context?.close();
    context = await browser.newContext({ locale: 'fr-BE' });
    page = await context.newPage();
    const start = async (params: Record<string, string> = {}) => {
      const res = await page.goto(
        client.buildAuthorizationUrl(firstParty, {
          redirect_uri: REDIRECT,
          scope: 'openid',
          code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
          ...params,
        }).href,
      );
      return res!;
    };
    const res = await start();
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    expect(await page.locator('label[for=password]').innerText()).toBe('Mot de passe');
    const csp = (await res.allHeaders())['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(await page.locator('script:not([src])').count()).toBe(0);

    await start({ ui_locales: 'de-BE nl' });
    expect(await page.locator('label[for=password]').innerText()).toBe('Passwort');

    await page.click('.language-switch a[lang=nl]');
    expect(await page.locator('label[for=password]').innerText()).toBe('Wachtwoord');
    await start();
    expect(await page.getAttribute('html', 'lang')).toBe('nl');
  });
});
