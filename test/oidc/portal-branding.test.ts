// One provider, two portals under their own names: people coming from the school's app see the school's name, logo
// and colours on every page and in the mails those pages send, and log in with their username; people coming from the
// city's app see the deployment's theme; customers log in with their e-mail address or customer number. Each portal
// looks an account up by its own kind of identifier only.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import * as client from 'openid-client';
import { has } from '../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { axeViolations } from '../helpers/axe.ts';
import { discover } from '../helpers/rp.ts';
import { Agent, text } from '../flows/account/agent.ts';
import { createClient } from '../../provider/oidc/clients.ts';
import { loadTheme } from '../../provider/platform/web/theme.ts';
import { translate } from '../../provider/platform/web/i18n.ts';

const CITY = fileURLToPath(new URL('../../examples/theme/', import.meta.url));
const SCHOOL = fileURLToPath(new URL('../../examples/themes/school/', import.meta.url));
const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/cb';
const PROFILES = {
  school: { registrationModes: ['invitation'], alerts: false, phone: false, theme: SCHOOL, loginIdentifier: 'username' },
  shop: { customerNumber: true, alerts: false, loginIdentifier: 'email_or_customer_number' },
};
type App = 'school' | 'shop' | 'plain';

describe('portal profiles with their own theme and login identifier', { timeout: 180_000 }, () => {
  let idp: TestProvider;
  const apps = {} as Record<App, client.Configuration>;

  beforeAll(async () => {
    idp = await startTestProvider('pglite', {
      THEME_DIR: CITY,
      PORTAL_PROFILES: JSON.stringify(PROFILES),
      REGISTRATION_MODES: 'open,invitation,customer',
      CAPTCHA: 'off',
    });
    const { db, users, hasher, provider } = idp.services;
    const passwordHash = await hasher.hash(PASSWORD);
    await users.create(db, { username: 'pupil', email: 'pupil@example.be', emailVerified: true, passwordHash, status: 'active' });
    const shopper = await users.create(db, { username: 'shopper', email: 'shopper@example.be', emailVerified: true, passwordHash, status: 'active' });
    await db('customers').insert({ customer_number: 'K4711', name: 'Shopper', name_key: 'shopper', user_id: shopper.id, imported_at: new Date() });
    // A customer record no account claimed yet: its number finds nobody.
    await db('customers').insert({ customer_number: 'K0001', name: 'Nobody', name_key: 'nobody', user_id: null, imported_at: new Date() });
    for (const name of ['school', 'shop', 'plain'] as const) {
      const c = await createClient(provider(), { name, redirectUris: [REDIRECT], firstParty: true, portalProfile: name === 'plain' ? undefined : name });
      apps[name] = await discover(idp.issuer, c.client_id, c.client_secret);
    }
  });
  afterAll(() => idp?.close());

  async function loginPage(agent: Agent, app: App) {
    const url = client.buildAuthorizationUrl(apps[app], {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    return agent.go(url.href);
  }

  const brand = (html: string) => text(/<span class="brand">([\s\S]*?)<\/span>/.exec(html)?.[1] ?? '');
  const field = (html: string) => /<input id="identifier"[^>]*>/.exec(html)?.[0] ?? '';

  it('brands the login page, its label and autocomplete token by the app the person came from', async () => {
    const school = await loginPage(new Agent(idp.issuer), 'school');
    expect(brand(school.html)).toBe('Sint-Voorbeeldschool');
    expect(school.html).toContain('src="/static/portal/school/logo.svg"');
    expect(school.html).toContain('href="/static/portal/school/theme.css"');
    expect(text(school.html)).toContain(`${translate('en', 'login.identifier.username')} `);
    expect(field(school.html)).toContain('autocomplete="username webauthn"');

    const shop = await loginPage(new Agent(idp.issuer), 'shop');
    expect(brand(shop.html)).toBe('Stad Voorbeeld');
    expect(text(shop.html)).toContain('E-mail address or customer number');
    expect(field(shop.html)).toContain('autocomplete="username webauthn"');

    const plain = await loginPage(new Agent(idp.issuer), 'plain');
    expect(brand(plain.html)).toBe('Stad Voorbeeld');
    expect(plain.html).toContain('href="/static/theme.css"');
    expect(text(plain.html)).toContain('Username or e-mail address');
  });

  it("serves the profile's files under its own path and leaves /static/ the deployment's", async () => {
    const agent = new Agent(idp.issuer);
    await loginPage(agent, 'school');
    const logo = await agent.raw('/static/portal/school/logo.svg');
    expect(logo.headers.get('content-type')).toContain('image/svg+xml');
    expect(await logo.text()).toContain('#6a1b9a');
    expect(await (await agent.raw('/static/portal/school/theme.css')).text()).toContain('--accent: #6a1b9a');
    // Shared URLs, cached by browsers and proxies: the same for everyone whatever portal they came from.
    expect(await (await agent.raw('/static/theme.css')).text()).toContain('--accent: #00594f');
    expect((await agent.raw('/static/portal/shop/theme.css')).status).toBe(404);
    expect((await agent.raw('/static/portal/school/theme.json')).status).toBe(404);
  });

  it("keeps the school's look on the account, sign-up and recovery pages and in the recovery mail", async () => {
    const pupil = new Agent(idp.issuer);
    await pupil.authorize(apps.school, REDIRECT, 'openid', { identifier: 'pupil', password: PASSWORD });
    for (const page of ['/account', '/registration', '/recovery', '/reactivation'])
      expect(brand((await pupil.get(page)).html), page).toBe('Sint-Voorbeeldschool');
    await pupil.post('/recovery', { email: 'pupil@example.be' });
    const schoolMail = await idp.services.db('outbox').where({ recipient: 'pupil@example.be', template: 'recovery' }).first();
    expect(schoolMail.body_text).toContain('Sint-Voorbeeldschool – leerlingenaccount');
    expect(schoolMail.body_html).toContain('background:#6a1b9a');

    const resident = new Agent(idp.issuer);
    await loginPage(resident, 'plain');
    expect(brand((await resident.get('/recovery')).html)).toBe('Stad Voorbeeld');
    await resident.post('/recovery', { email: 'shopper@example.be', customer_number: 'K4711' });
    const cityMail = await idp.services.db('outbox').where({ recipient: 'shopper@example.be', template: 'recovery' }).first();
    expect(cityMail.body_text).toContain('Stad Voorbeeld – digitale diensten');
  });

  async function logsIn(app: App, identifier: string): Promise<boolean> {
    const agent = new Agent(idp.issuer);
    const page = await loginPage(agent, app);
    const after = await agent.submitLogin(page, identifier, PASSWORD, (l) => l.startsWith(REDIRECT));
    if (after.url.startsWith(REDIRECT)) return true;
    expect(text(after.html)).toContain(translate('en', 'login.error.invalid'));
    return false;
  }

  it('looks an account up by the kind of identifier its portal asks for, and by no other', async () => {
    expect(await logsIn('school', 'pupil')).toBe(true);
    // A pupil's address is not how the school's portal finds anyone.
    expect(await logsIn('school', 'pupil@example.be')).toBe(false);
    expect(await logsIn('shop', 'k-47.11')).toBe(true);
    expect(await logsIn('shop', 'shopper@example.be')).toBe(true);
    // Neither a username nor a customer number no account claimed.
    expect(await logsIn('shop', 'shopper')).toBe(false);
    expect(await logsIn('shop', 'K0001')).toBe(false);
    // The deployment's LOGIN_IDENTIFIER elsewhere: username or address, no customer number.
    expect(await logsIn('plain', 'pupil@example.be')).toBe(true);
    expect(await logsIn('plain', 'K4711')).toBe(false);
  });

  it("asks on the account pages' own login for what the portal the person came from asks", async () => {
    const shopper = new Agent(idp.issuer);
    await loginPage(shopper, 'shop');
    const page = await shopper.get('/self/login?return_to=/account');
    expect(text(page.html)).toContain('E-mail address or customer number');
    const account = await shopper.submitLogin(page, 'K4711', PASSWORD);
    expect(account.url).toBe(`${idp.issuer}/account`);
    expect(text(account.html)).toContain('You log in with your e-mail address or your customer number.');
    // The shop sends no alerts: its people are not told that a new number turns them off.
    expect(text(account.html)).not.toContain(translate('en', 'account.profile.phone_alerts_off'));
  });

  it("is refused at start when a profile's theme could not be read, naming the profile", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'belid-theme-'));
    writeFileSync(path.join(dir, 'theme.json'), JSON.stringify({ organisation: 'Grey', colours: { accent: '#ffcc00' } }));
    expect(() => loadTheme(dir, 'school')).toThrow(/^PORTAL_PROFILES\.school\.theme: .*colours\.accent #ffcc00 on colours\.background/);
  });

  describe.skipIf(!has('chromium'))('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchBrowser();
    });
    afterAll(() => browser?.close());

    for (const [width, viewport] of Object.entries({ phone: { width: 375, height: 740 }, desktop: { width: 1280, height: 900 } })) {
      it(`shows the school's login page in its colours, with no axe violation, at ${width} width`, async () => {
        const context = await browser.newContext({ locale: 'nl-BE', viewport });
        const page = await context.newPage();
        await page.goto(
          client.buildAuthorizationUrl(apps.school, {
            redirect_uri: REDIRECT,
            scope: 'openid',
            code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
            code_challenge_method: 'S256',
          }).href,
        );
        await expect(page.locator('header .brand').innerText()).resolves.toBe('Sint-Voorbeeldschool');
        await expect(page.title()).resolves.toBe(`${translate('nl', 'login.title')} – Sint-Voorbeeldschool`);
        expect(await page.locator('header .brand img').evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0)).toBe(true);
        expect(await page.getByLabel(translate('nl', 'login.identifier.username'), { exact: true }).getAttribute('autocomplete')).toBe('username webauthn');
        expect(await page.locator('button.primary').evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(106, 27, 154)');
        expect(await axeViolations(page)).toEqual([]);
        expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(1);
        await context.close();
      });
    }
  });
});
