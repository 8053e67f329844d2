// A citizen whose computer reads the eID through OpenSC instead of the official middleware: the card shows no
// identity objects, so the bridge sends no card number. The provider still links the card (by the national
// number's HMAC), says so without a number, and logs the holder in with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { Browser } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { startCallbackServer } from '../../helpers/callback-server.ts';
import { discover } from '../../helpers/rp.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import { readCardOnPage, signIn, startEidEnvironment, type EidEnvironment } from './environment.ts';

const PASSWORD = 'the passphrase of an OpenSC user';

describe.skipIf(!has('softhsm') || !has('chromium') || !has('openssl'))('an eID card read through OpenSC', () => {
  let e: EidEnvironment;
  let browser: Browser;
  let rp: Awaited<ReturnType<typeof startCallbackServer>>;
  let portal: client.Configuration;
  let eva: User;

  beforeAll(async () => {
    [e, browser, rp] = await Promise.all([startEidEnvironment({}, ['--style', 'opensc']), launchBrowser(), startCallbackServer()]);
    const { db, users, hasher } = e.idp.services;
    eva = await users.create(db, {
      username: 'eva.claes',
      email: 'eva@example.be',
      emailVerified: true,
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
      locale: 'en',
    });
    const c = await createClient(e.idp.services.provider(), {
      name: 'Citizen portal',
      redirectUris: [`${rp.url}/cb`],
      firstParty: true,
      grants: ['authorization_code'],
    });
    portal = await discover(e.idp.issuer, c.client_id, c.client_secret);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await rp?.close();
    await e?.stop();
  });

  it('links the card without a card number, and says so without one', async () => {
    const page = await signIn(browser, e.idp.issuer, 'eva.claes', PASSWORD, '/eid/link');
    await readCardOnPage(page, e.idp.issuer);
    expect(await page.locator('h1').innerText()).toBe('Your eID card is linked');
    expect(await page.locator('main').innerText()).toContain('Your eID card is now linked to your account.');
    expect(await e.idp.db('eid_links').where({ user_id: eva.id }).first()).toMatchObject({ national_number_hmac: e.hmac, card_number: null });
    await page.goto(`${e.idp.issuer}/eid/link`);
    expect(await page.locator('main').innerText()).toContain('Your account is linked to an eID card. Read your new card to link it instead.');
  }, 60_000);

  it('logs the holder in with that card', async () => {
    const page = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(portal, {
      redirect_uri: `${rp.url}/cb`,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    await page.goto(url.href);
    await page.click('text=Log in with eID');
    await page.waitForLoadState('domcontentloaded');
    await readCardOnPage(page, e.idp.issuer, false);
    await page.waitForURL((u) => u.href.startsWith(`${rp.url}/cb`));
    const tokens = await client.authorizationCodeGrant(portal, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ sub: eva.sub, acr: 'urn:belid:acr:eid' });
  }, 60_000);

  it('reactivates with that card: no number to compare is said plainly, never shown blank', async () => {
    const page = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    await page.goto(`${e.idp.issuer}/reactivation`);
    await page.fill('#mobile', '0470 12 34 56');
    await page.click('button[type=submit].primary');
    await page.waitForURL(`${e.idp.issuer}/reactivation/*/card`);
    await readCardOnPage(page, e.idp.issuer);
    expect(await page.locator('h1').innerText()).toBe('Is this your card?');
    expect(await page.locator('main').innerText()).toContain("Your card reader did not give us the card's number to compare");
    expect(await page.locator('#card-number').count()).toBe(0);
    await page.click('button[type=submit].primary');
    await page.waitForLoadState('domcontentloaded');
    expect(await page.locator('main').innerText()).toContain('For the account linked to your eID card:');
    expect(await page.locator('#activation-token').innerText()).toMatch(/^[0-9A-HJKMNP-TV-Z]{6}$/);
  }, 60_000);
});
