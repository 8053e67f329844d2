// A whole login with the keyboard alone (Tab, typing, Enter), with a visible focus indicator at every stop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { has } from '../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { discover } from '../helpers/rp.ts';
import { startCallbackServer } from '../helpers/callback-server.ts';
import { createClient } from '../../provider/oidc/clients.ts';

/** Tabs until `selector` has focus, checking on the way that each focused element shows a focus ring. */
async function tabTo(page: Page, selector: string, max = 20) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate((sel) => {
      const el = document.activeElement as HTMLElement;
      const style = getComputedStyle(el);
      return { matches: el.matches(sel), ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2, tag: el.outerHTML.slice(0, 80) };
    }, selector);
    expect(focused.ring, `no visible focus on ${focused.tag}`).toBe(true);
    if (focused.matches) return;
  }
  throw new Error(`${selector} never got focus`);
}

describe.skipIf(!has('chromium'))('keyboard only', () => {
  let idp: TestProvider;
  let browser: Browser;
  let rp: Awaited<ReturnType<typeof startCallbackServer>>;
  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    rp = await startCallbackServer();
    browser = await launchBrowser();
    const { db, users, hasher } = idp.services;
    await users.create(db, { username: 'luc.peeters', passwordHash: await hasher.hash('keyboard only please'), status: 'active' });
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
    await rp?.close();
  });

  it('logs in and grants consent with Tab and Enter only', async () => {
    const c = await createClient(idp.services.provider(), { name: 'Partner', redirectUris: [`${rp.url}/cb`] });
    const config = await discover(idp.issuer, c.client_id, c.client_secret);
    const page = await (await browser.newContext()).newPage();
    await page.goto(
      client.buildAuthorizationUrl(config, {
        redirect_uri: `${rp.url}/cb`,
        scope: 'openid profile',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      }).href,
    );

    await tabTo(page, '#identifier');
    await page.keyboard.type('luc.peeters');
    await tabTo(page, '#password');
    await page.keyboard.type('keyboard only please');
    await page.keyboard.press('Enter');
    await page.waitForSelector('form[action$="/confirm"]');

    await tabTo(page, 'form[action$="/confirm"] button');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${rp.url}/cb**`);
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
  });
});
