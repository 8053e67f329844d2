// The Back button after a page that answered a form: a refused password, then the right one, then Back. The refusal
// was the answer to a POST; without more, Chromium offers to send the form again ("Confirm form resubmission").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { launchBrowser } from '../../helpers/browser.ts';

const PASSWORD = 'correct horse battery staple';

describe.skipIf(!has('chromium'))('Back after a refused login', () => {
  let idp: TestProvider;
  let browser: Browser;

  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users, hasher } = idp.services;
    await users.create(db, { username: 'els.maes', email: 'els@example.be', emailVerified: true, passwordHash: await hasher.hash(PASSWORD), status: 'active' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
  });

  it('shows a page of ours loaded again by GET, not the offer to send the form again', async () => {
    const page = await (await browser.newContext({ locale: 'en' })).newPage();
    await page.goto(`${idp.issuer}/account`);
    const logIn = async (password: string) => {
      await page.getByLabel('Username or e-mail address').fill('els.maes');
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
    };
    await logIn('not the password');
    await expect(page.locator('#password-error').textContent()).resolves.toContain('is not correct');
    // The answer's deferred script names the login's own page in the address bar.
    await page.waitForURL(/\/interaction\/[^/]+$/);
    await logIn(PASSWORD);
    await page.waitForURL(`${idp.issuer}/account`);

    // Chromium's offer to send the form again is no page: goBack fails with net::ERR_CACHE_MISS.
    const back = await page.goBack();
    expect([back?.request().method(), new URL(page.url()).pathname]).toEqual(['GET', expect.stringMatching(/^\/interaction\/[^/]+$/)]);
    // The login is over: the interaction's page, ours, says so and leads on (it was a bare "Something went wrong").
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('This login is over');
    await page.getByRole('link', { name: 'My account' }).click();
    await page.waitForURL(`${idp.issuer}/account`);
  });
});
