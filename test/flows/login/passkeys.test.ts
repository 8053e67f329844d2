// Passkeys in Chromium with a virtual authenticator (Chrome DevTools Protocol): made on the security page, used to
// log in to a relying app without a password (its ID token says acr urn:belid:acr:passkey, amr hwk and user), or
// after the password for an app requiring two factors (acr urn:belid:acr:mfa, amr pwd and hwk),
// offered in the username field's autofill, refused when its signature counter goes back (a clone) and once removed.
// The issuer is http://localhost: WebAuthn needs a domain name, never an IP address, as relying party.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { freePort, startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { authorize, discover } from '../../helpers/rp.ts';
import { startCallbackServer } from '../../helpers/callback-server.ts';
import { createClient } from '../../../provider/oidc/clients.ts';

const PASSWORD = 'correct horse battery staple';

describe.skipIf(!has('chromium'))('passkeys in Chromium', () => {
  let idp: TestProvider;
  let issuer: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  let rp: Awaited<ReturnType<typeof startCallbackServer>>;
  let app: client.Configuration;
  let strict: client.Configuration;
  let userId: string;
  let REDIRECT: string;

  beforeAll(async () => {
    rp = await startCallbackServer();
    REDIRECT = `${rp.url}/cb`;
    const port = await freePort();
    issuer = `http://localhost:${port}`;
    idp = await startTestProvider('pglite', { PORT: String(port), ISSUER: issuer });
    const { db, users, hasher } = idp.services;
    userId = (
      await users.create(db, {
        username: 'jan.peeters',
        email: 'jan@example.be',
        emailVerified: true,
        givenName: 'Jan',
        familyName: 'Peeters',
        passwordHash: await hasher.hash(PASSWORD),
        status: 'active',
      })
    ).id;
    const c = await createClient(idp.services.provider(), { name: 'Crisis portal', redirectUris: [REDIRECT], firstParty: true });
    app = await discover(issuer, c.client_id, c.client_secret);
    const s = await createClient(idp.services.provider(), { name: 'Tax portal', redirectUris: [REDIRECT], firstParty: true, requireMfa: true });
    strict = await discover(issuer, s.client_id, s.client_secret);
    browser = await launchBrowser();
    context = await browser.newContext({ locale: 'en' });
    page = await context.newPage();
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    }));
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
    await rp?.close();
  });

  const events = (event: string) => idp.db('audit_log').where({ event, user_id: userId }).orderBy('id');

  /** The ID token's claims of the code the browser brought back to the app, from the request `a` started. */
  async function claimsAt(config: client.Configuration, a: Awaited<ReturnType<typeof authorize>>) {
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: a.verifier,
      expectedState: a.state,
      expectedNonce: a.nonce,
    });
    return tokens.claims()!;
  }

  /**
   * The relying app's login in this browser, logged out first, with the passkey button or the username field's
   * autofill. The virtual authenticator answers the autofill's request as soon as the page makes it: for the button,
   * that request is dropped.
   */
  async function appLogin(how: 'button' | 'autofill') {
    await context.clearCookies();
    let autofill = true;
    if (how === 'button') await page.route('**/passkey/options', (route) => (autofill ? ((autofill = false), route.abort()) : route.continue()));
    const a = await authorize(page, app, { redirectUri: REDIRECT });
    if (how === 'button') await page.getByRole('button', { name: 'Log in with a passkey' }).click();
    await page.waitForURL((u) => u.href.startsWith(REDIRECT) || u.pathname.endsWith('/passkey'));
    await page.unrouteAll();
    if (!page.url().startsWith(REDIRECT)) return { page: await page.locator('main').innerText() };
    return { claims: await claimsAt(app, a) };
  }

  it('adds a passkey on the security page, then logs in with it and no password', async () => {
    await page.goto(`${issuer}/account/security`);
    await page.getByLabel('Username or e-mail address').fill('jan.peeters');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(`${issuer}/account/security`);
    await expect(page.locator('#passkeys-none').innerText()).resolves.toBe('You have no passkeys yet.');

    await page.getByRole('link', { name: 'Add a passkey' }).click();
    await page.waitForURL(`${issuer}/account/passkeys/new`);
    // Without a name the page says so, before any authenticator is asked.
    await page.getByRole('button', { name: 'Create the passkey' }).click();
    await expect(page.locator('#name-error').innerText()).resolves.toBe('Enter a name for the passkey, of at most 60 characters.');
    await page.getByLabel('Name of the passkey').fill('Laptop');
    await page.getByRole('button', { name: 'Create the passkey' }).click();
    await page.waitForURL(`${issuer}/account/security?done=passkey_added#passkeys`);
    await expect(page.locator('#passkey-list tbody th').innerText()).resolves.toBe('Laptop');
    await expect(page.locator('#passkey-list tbody td').nth(1).innerText()).resolves.toBe('Not used yet');
    const [stored] = await idp.db('passkeys').where({ user_id: userId });
    expect(stored).toMatchObject({ name: 'Laptop', backup_eligible: false, last_used_at: null });
    expect(await events('passkey.registered')).toHaveLength(1);
    expect(await idp.db('outbox').where({ recipient: 'jan@example.be' }).pluck('subject')).toEqual(['A passkey was added to your account']);

    const { claims } = await appLogin('button');
    expect(claims).toMatchObject({ acr: 'urn:belid:acr:passkey', amr: ['hwk', 'user'] });
    const [used] = await idp.db('passkeys').where({ user_id: userId });
    expect(used.last_used_at).not.toBeNull();
    expect(Number(used.counter)).toBeGreaterThan(Number(stored.counter));
    expect((await events('login.success')).at(-1).details).toMatchObject({ method: 'passkey' });
  });

  it('logs in to an app that accepts only the eID card or a passkey (essential acr values), once, with the passkey', async () => {
    await context.clearCookies();
    const acr = { essential: true, values: ['urn:belid:acr:eid', 'urn:belid:acr:passkey'] };
    const a = await authorize(page, app, { redirectUri: REDIRECT, params: { claims: JSON.stringify({ id_token: { acr } }) } });
    await expect(page.locator('#login-only').innerText()).resolves.toBe('This application asks you to log in with your eID card or a passkey.');
    // No password field, so no autofill: the button asks the authenticator.
    await page.getByRole('button', { name: 'Log in with a passkey' }).click();
    await page.waitForURL((u) => u.href.startsWith(REDIRECT));
    expect(await claimsAt(app, a)).toMatchObject({ acr: 'urn:belid:acr:passkey', amr: ['hwk', 'user'] });
  });

  it('logs in with the passkey the username field offers (conditional UI), with no click, also before adding a passkey', async () => {
    const { claims } = await appLogin('autofill');
    expect(claims).toMatchObject({ acr: 'urn:belid:acr:passkey', amr: ['hwk', 'user'] });

    // The login a passkey page asks for first is made with the passkey as well.
    await context.clearCookies();
    await page.goto(`${issuer}/account/passkeys/new`);
    await page.waitForURL(`${issuer}/account/passkeys/new`);
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Add a passkey');
  });

  it('asks for the passkey after the password where the app requires two factors: acr mfa, amr pwd and hwk', async () => {
    await context.clearCookies();
    // The password is the first step here: the login page's autofill is kept from answering with the passkey.
    await page.route('**/interaction/*/passkey/options', (route) => route.abort());
    const a = await authorize(page, strict, { redirectUri: REDIRECT });
    await page.getByLabel('Username or e-mail address').fill('jan.peeters');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL((u) => u.pathname.endsWith('/second-factor'));
    await page.unrouteAll();
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Confirm with a passkey');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL((u) => u.href.startsWith(REDIRECT));
    expect(await claimsAt(strict, a)).toMatchObject({ acr: 'urn:belid:acr:mfa', amr: ['pwd', 'hwk'] });
    expect((await events('second_factor.success')).at(-1).details).toEqual({ kind: 'passkey' });
  });

  it('refuses and audits a cloned passkey, whose signature counter went back', async () => {
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const [credential] = credentials;
    expect(credential!.signCount).toBeGreaterThan(1);
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: credential!.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credential!, signCount: 0 } });

    const { page: shown } = await appLogin('button');
    expect(shown).toContain('This passkey was refused because it may have been copied.');
    const [cloned] = await events('passkey.cloned');
    expect(cloned.details).toMatchObject({ counter: 1 });
  });

  it('removes a passkey after a login, and refuses it once removed', async () => {
    await context.clearCookies();
    const [passkey] = await idp.db('passkeys').where({ user_id: userId });
    // The password this time: the passkey's autofill is kept from answering.
    await page.route('**/passkey/options', (route) => route.abort());
    await page.goto(`${issuer}/account/passkeys/${passkey.id}/remove`);
    await page.getByLabel('Username or e-mail address').fill('jan.peeters');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(`${issuer}/account/passkeys/${passkey.id}/remove`);
    await page.unrouteAll();
    await page.getByRole('button', { name: 'Remove the passkey' }).click();
    await page.waitForURL(`${issuer}/account/security?done=passkey_removed#passkeys`);
    expect(await events('passkey.removed')).toHaveLength(1);

    const { page: shown } = await appLogin('button');
    expect(shown).toContain('This passkey is not known here');
    // A passkey the provider does not know names no account.
    const failure = await idp.db('audit_log').where({ event: 'login.failure' }).orderBy('id', 'desc').first();
    expect(failure).toMatchObject({ user_id: null, details: { method: 'passkey', reason: 'unknown_passkey' } });
  });
});
