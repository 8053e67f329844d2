// The account pages in Chromium, as a person uses them: log in through the real login page, fill in a mobile
// number, read the code on the development messages page (no gateway in development), turn SMS alerts on, and
// end a session opened in another browser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { axeViolations } from '../../helpers/axe.ts';

const PASSWORD = 'correct horse battery staple';

describe.skipIf(!has('chromium'))('account pages in Chromium', () => {
  let idp: TestProvider;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users, hasher } = idp.services;
    await users.create(db, {
      username: 'jan.peeters',
      email: 'jan@example.be',
      emailVerified: true,
      givenName: 'Jan',
      familyName: 'Peeters',
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
  });

  /** A new browser (axe needs to inject its script past the CSP) logged in through /account → login page. */
  async function loggedIn(): Promise<Page> {
    const context = await browser.newContext({ locale: 'en' });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${idp.issuer}/account`);
    await page.getByLabel('Username or e-mail address').fill('jan.peeters');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForURL(`${idp.issuer}/account`);
    return page;
  }

  async function expectAccessible(page: Page) {
    expect(await axeViolations(page)).toEqual([]);
  }

  /** The code texted to `number` (E.164), read on the development messages page (no gateway in development). */
  async function textedCode(page: Page, number: string): Promise<string> {
    const messages = await page.context().newPage();
    await messages.goto(`${idp.issuer}/dev/messages`);
    const sms = await messages.locator('article', { hasText: number }).first().innerText();
    await messages.close();
    const code = /(\d{6}) is your code/.exec(sms)?.[1];
    expect(code).toBeDefined();
    return code!;
  }

  /** The newest mail on the development messages page whose text has `title`. */
  async function mailTitled(page: Page, title: string): Promise<string | undefined> {
    const messages = await page.context().newPage();
    await messages.goto(`${idp.issuer}/dev/messages`);
    const found = messages.locator('article', { hasText: title });
    const text = (await found.count()) ? await found.first().innerText() : undefined;
    await messages.close();
    return text;
  }

  it('shows the profile, verifies a mobile number with the texted code, and turns SMS alerts on', async () => {
    const page = await loggedIn();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Your profile');
    await expect(page.locator('#username').textContent()).resolves.toBe('jan.peeters');
    await expect(page.getByLabel('Given name').inputValue()).resolves.toBe('Jan');

    await page.getByLabel('New mobile number').fill('02 512 34 56');
    await page.getByRole('button', { name: 'Send code' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Please correct the following:');
    await expect(page.locator('#phone-error').textContent()).resolves.toMatch(/^This number cannot receive SMS\. Enter a mobile number such as 04/);
    await expectAccessible(page);

    await page.getByLabel('New mobile number').fill('0490 12 34 56');
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.waitForURL(`${idp.issuer}/account/phone/verify`);
    await expectAccessible(page);

    // In development the SMS is not sent but listed on /dev/messages.
    await page.getByLabel('Code from the SMS').fill(await textedCode(page, '+32490123456'));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${idp.issuer}/account/alerts?done=phone_verified`);
    // A first number changed nothing: no warning about a change, on the page or in the mail.
    await expect(page.locator('#alerts-off-sms').count()).resolves.toBe(0);
    await expect(page.getByRole('status').first().textContent()).resolves.toBe('Your mobile number is verified. Choose below whether it receives alerts.');
    await expectAccessible(page);
    const added = await mailTitled(page, 'A mobile number was added to your account');
    expect(added).toContain('+32 490 12 34 56');
    expect(added).toContain('Alerts by SMS to it are off: you can turn them on on your alerts page.');
    await expect(mailTitled(page, 'Your mobile number was changed')).resolves.toBeUndefined();

    const sms2 = page.getByLabel('By SMS to +32 490 12 34 56');
    await expect(sms2.isChecked()).resolves.toBe(false);
    await sms2.check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(`${idp.issuer}/account/alerts?done=alerts_saved`);
    await expect(page.getByRole('status').first().textContent()).resolves.toBe('Your alert settings have been saved.');
    await expect(page.locator('#alerts-off-sms').count()).resolves.toBe(0);
    await expect(page.getByLabel('By SMS to +32 490 12 34 56').isChecked()).resolves.toBe(true);

    await page.getByRole('link', { name: 'Profile' }).click();
    await expect(page.locator('#current-phone').innerText()).resolves.toBe('+32 490 12 34 56 — verified');

    // A real change of the number: SMS alerts go off until turned on again, and every page says so.
    await page.getByLabel('New mobile number').fill('0490 65 43 21');
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.waitForURL(`${idp.issuer}/account/phone/verify`);
    await page.getByLabel('Code from the SMS').fill(await textedCode(page, '+32490654321'));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${idp.issuer}/account/alerts?done=phone_verified`);
    await expect(page.locator('#alerts-off-sms').innerText()).resolves.toBe('Alerts by SMS are off since you changed your mobile number: turn them on again');
    await expect(page.getByLabel('By SMS to +32 490 65 43 21').isChecked()).resolves.toBe(false);
    await expectAccessible(page);
    expect(await mailTitled(page, 'Your mobile number was changed')).toContain('+32 490 65 43 21');
  });

  it('lists the sessions and ends the one of another browser', async () => {
    const here = await loggedIn();
    // Login times are in seconds: a second apart, the other browser's session is listed first.
    await new Promise((r) => setTimeout(r, 1100));
    const there = await loggedIn();
    await here.getByRole('link', { name: 'Sessions and apps' }).click();
    await here.waitForURL(`${idp.issuer}/account/sessions`);
    await expectAccessible(here);
    const rows = here.locator('#sessions tbody tr');
    const before = await rows.count();
    expect(before).toBeGreaterThanOrEqual(2);
    await expect(rows.filter({ hasText: '(this browser)' }).count()).resolves.toBe(1);

    // The newest other session is the other browser's.
    await rows.filter({ hasNotText: '(this browser)' }).first().getByRole('button', { name: 'End session' }).click();
    await here.waitForURL(`${idp.issuer}/account/sessions?done=session_revoked`);
    await expect(rows.count()).resolves.toBe(before - 1);

    await there.reload();
    await expect(there.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Log in');
    await here.reload();
    await expect(here.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sessions and apps');
  });

  it('puts the eID consent checkbox beside its label, as the sign-up page does', async () => {
    const page = await loggedIn();
    await page.goto(`${idp.issuer}/eid/link`);
    const box = (await page.getByRole('checkbox').boundingBox())!;
    const label = page.locator('label[for=consent]');
    const text = (await label.boundingBox())!;
    // On one line: the label starts right of the box, and its first line is level with it.
    expect(text.x).toBeGreaterThan(box.x + box.width);
    expect(Math.abs(text.y - box.y)).toBeLessThan(box.height);
    expect(await label.evaluate((l) => getComputedStyle(l).fontWeight)).toBe('400');
    await expectAccessible(page);
  });
});
