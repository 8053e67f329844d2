// The language in force holds on every page reached from the login page: a relying app's ui_locales=nl, in a
// browser whose own language is English, gives Dutch on the eID, sign-up, recovery and reactivation pages the login
// page links to, until the person picks another language with the switch; a later request with other ui_locales
// is the app's newer word and wins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import * as client from 'openid-client';
import { has } from '../../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { discover } from '../../helpers/rp.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { translate, type Locale } from '../../../provider/platform/web/i18n.ts';

const REDIRECT = 'http://127.0.0.1:9/cb';

describe.skipIf(!has('chromium'))('the language chosen by ui_locales or the switch', { timeout: 180_000 }, () => {
  let idp: TestProvider;
  let browser: Browser;
  let partner: client.Configuration;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { REGISTRATION_MODES: 'open,invitation', CAPTCHA: 'off' });
    browser = await launchBrowser();
    const rp = await createClient(idp.services.provider(), { name: 'Schoolportaal', redirectUris: [REDIRECT] });
    partner = await discover(idp.issuer, rp.client_id, rp.client_secret);
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
  });

  const authorize = async (page: Page, uiLocales: string) => {
    const url = client.buildAuthorizationUrl(partner, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      ui_locales: uiLocales,
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    await page.goto(url.href);
  };

  /** Follows the login page's link to `path` and expects the page there in `locale`, headed `titleKey`. */
  const follow = async (page: Page, loginUrl: string, linkText: string, locale: Locale, titleKey: string) => {
    await page.goto(loginUrl);
    await page.getByRole('link', { name: linkText, exact: true }).click();
    await page.waitForLoadState('domcontentloaded');
    expect(await page.getAttribute('html', 'lang'), `${linkText}: page language`).toBe(locale);
    await expect(page.locator('h1').first().innerText()).resolves.toBe(translate(locale, titleKey));
  };

  it('holds ui_locales=nl across the links of the login page, then the switch, then newer ui_locales', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await authorize(page, 'nl');
    await expect(page.locator('h1').innerText()).resolves.toBe(translate('nl', 'login.title'));
    const loginUrl = page.url();
    const nl = (key: string) => translate('nl', key);

    await follow(page, loginUrl, nl('eid.login.button'), 'nl', 'eid.login.title');
    await follow(page, loginUrl, nl('registration.login.create_account'), 'nl', 'registration.choose.title');
    await follow(page, loginUrl, nl('login.forgot'), 'nl', 'recovery.request.title');
    await follow(page, loginUrl, nl('reactivation.link'), 'nl', 'reactivation.start.title');

    // The switch is the person's own choice: French from then on, on the login page and the pages it links to,
    // though used within the second of the app's request.
    await page.goto(loginUrl);
    await page.getByRole('link', { name: 'Français' }).click();
    await expect(page.getAttribute('html', 'lang')).resolves.toBe('fr');
    await follow(page, loginUrl, translate('fr', 'eid.login.button'), 'fr', 'eid.login.title');

    // A relying app asking later for German, within the second of the switch, is newer than it.
    await authorize(page, 'de');
    await expect(page.locator('h1').innerText()).resolves.toBe(translate('de', 'login.title'));
    await follow(page, page.url(), translate('de', 'eid.login.button'), 'de', 'eid.login.title');
    await context.close();
  });

  it('without ui_locales or a choice, follows the browser', async () => {
    const context = await browser.newContext({ locale: 'de-BE' });
    const page = await context.newPage();
    await page.goto(`${idp.issuer}/recovery`);
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await context.close();
  });
});
