// HELPDESK_CONTACT: the operator's helpdesk, per language, on the recovery and reactivation pages, beside a
// blocked account's login error, and at the foot of the mails; a bad value stops the start naming the setting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import * as client from 'openid-client';
import { has } from '../../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { axeViolations } from '../../helpers/axe.ts';
import { discover } from '../../helpers/rp.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { loadConfig } from '../../../provider/app/settings.ts';
import { ConfigError } from '../../../provider/platform/errors.ts';
import { translate } from '../../../provider/platform/web/i18n.ts';
import { saveLink } from '../../../provider/domain/accounts/eid-links.ts';

const HELPDESK = {
  nl: { name: 'Helpdesk van de stad', email: 'hulp@stad.example.be', phone: '+32 9 123 45 67', hours: 'ma–vr 9–17 uur' },
  en: { email: 'help@city.example.be', url: 'https://city.example.be/help' },
};
const PASSWORD = 'correct horse battery staple';

describe('HELPDESK_CONTACT as a setting', () => {
  it('takes one contact for every language, or one per language with en as the fallback', () => {
    const one = loadConfig({ HELPDESK_CONTACT: '{"email":"help@example.be"}' }).helpdeskContact!;
    expect(one.de).toEqual({ email: 'help@example.be' });
    const per = loadConfig({ HELPDESK_CONTACT: JSON.stringify(HELPDESK) }).helpdeskContact!;
    expect(per.nl.email).toBe('hulp@stad.example.be');
    expect(per.fr).toEqual(HELPDESK.en);
  });

  it.each([
    ['not JSON', 'call us', /HELPDESK_CONTACT="call us": expected JSON/],
    ['a contact with no way to reach it', '{"name":"Helpdesk"}', /HELPDESK_CONTACT=.*a contact needs at least an email, a phone or a url/],
    ['an unknown language', '{"es":{"email":"a@example.be"}}', /HELPDESK_CONTACT=.*a contact has only the fields name, email, phone, url and hours/],
    ['a bad address in one language', '{"nl":{"email":"nobody"}}', /HELPDESK_CONTACT=.*nl\.email: email must be an e-mail address/],
  ])('refuses %s', (_, value, message) => {
    expect(() => loadConfig({ HELPDESK_CONTACT: value })).toThrow(ConfigError);
    expect(() => loadConfig({ HELPDESK_CONTACT: value })).toThrow(message);
  });
});

describe.skipIf(!has('chromium'))('the helpdesk on the pages and in the mails', { timeout: 120_000 }, () => {
  let idp: TestProvider;
  let browser: Browser;
  let partner: client.Configuration;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { HELPDESK_CONTACT: JSON.stringify(HELPDESK), CAPTCHA: 'off' });
    browser = await launchBrowser();
    const { db, users, hasher } = idp.services;
    const passwordHash = await hasher.hash(PASSWORD);
    await users.create(db, { username: 'jan.blocked', email: 'jan@example.be', emailVerified: true, passwordHash, status: 'blocked' });
    const piet = await users.create(db, { username: 'piet.blocked', email: 'piet@example.be', emailVerified: true, passwordHash, status: 'blocked' });
    await saveLink(db, { userId: piet.id, hmac: 'a'.repeat(64), cardNumber: '592123456789' });
    await users.create(db, { username: 'an.active', email: 'an@example.be', emailVerified: true, passwordHash, status: 'active' });
    const rp = await createClient(idp.services.provider(), { name: 'Stadsportaal', redirectUris: ['http://127.0.0.1:9/cb'] });
    partner = await discover(idp.issuer, rp.client_id, rp.client_secret);
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
  });

  const pageIn = async (locale: string): Promise<Page> => (await browser.newContext({ locale })).newPage();
  const helpdesk = (page: Page) => page.getByRole('region', { name: /Hulp nodig|Need help/ });

  it('names the Dutch helpdesk on the Dutch recovery page, the English one in English, with no axe violation', async () => {
    const nl = await pageIn('nl-BE');
    await nl.goto(`${idp.issuer}/recovery`);
    await expect(helpdesk(nl).innerText()).resolves.toContain('Helpdesk van de stad');
    expect(await nl.getByRole('link', { name: 'hulp@stad.example.be' }).getAttribute('href')).toBe('mailto:hulp@stad.example.be');
    expect(await nl.getByRole('link', { name: '+32 9 123 45 67' }).getAttribute('href')).toBe('tel:+3291234567');
    expect(await axeViolations(nl)).toEqual([]);
    await nl.context().close();

    const en = await pageIn('en-GB');
    await en.goto(`${idp.issuer}/reactivation`);
    expect(await en.getByRole('link', { name: translate('en', 'helpdesk.website') }).getAttribute('href')).toBe('https://city.example.be/help');
    await en.context().close();
  });

  // The eID reactivation needs a linked card: without one, the way back is the helpdesk.
  it.each([
    ['jan.blocked', 'without a linked eID card', 'reactivation.login_blocked_no_card'],
    ['piet.blocked', 'with a linked eID card', 'reactivation.login_blocked'],
  ])('stands beside the error of a blocked account at login: %s, %s', async (username, _, message) => {
    const page = await pageIn('nl-BE');
    await page.goto(
      client.buildAuthorizationUrl(partner, {
        redirect_uri: 'http://127.0.0.1:9/cb',
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      }).href,
    );
    await page.fill('#identifier', username);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await expect(page.locator('#form-error').innerText()).resolves.toBe(translate('nl', message));
    await expect(helpdesk(page).innerText()).resolves.toContain('hulp@stad.example.be');
    await page.context().close();
  });

  it('closes the mails with it, in the language of the mail', async () => {
    const page = await pageIn('nl-BE');
    await page.goto(`${idp.issuer}/recovery`);
    await page.fill('#email', 'an@example.be');
    await page.click('button[type=submit].primary');
    await page.waitForLoadState('domcontentloaded');
    await page.context().close();
    const mail = await idp.db('outbox').where({ recipient: 'an@example.be' }).first('body_text', 'body_html');
    expect(mail.body_text).toContain('Vragen? Neem contact op met de helpdesk: Helpdesk van de stad, hulp@stad.example.be, +32 9 123 45 67, ma–vr 9–17 uur');
    expect(mail.body_html).toContain('hulp@stad.example.be');
  });
});
