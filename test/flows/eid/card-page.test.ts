// The eID card page in Chromium as a citizen meets it: the bridge's window in the page's language, an operation
// abandoned by a closed tab or a reload freed at once, and the Web eID browser extension as the second way to the
// card. The extension is a stand-in injected into the page that speaks the extension's page protocol
// (web-eid:status / web-eid:authenticate, each answered by -ack then -success) with tokens the SoftHSM card signs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { authenticate } from '../../../card-bridge/card.ts';
import { closeModule, loadModule, type Pkcs11Module } from '../../../card-bridge/pkcs11/module.ts';
import { findEid } from '../../../card-bridge/pkcs11/slots.ts';
import { has } from '../../helpers/components.ts';
import { axeViolations } from '../../helpers/axe.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { pollUntil, SOFTHSM_MODULE } from '../../card-bridge/helpers.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import { PIN, signIn, startEidEnvironment, type EidEnvironment } from './environment.ts';

const PASSWORD = 'the passphrase of a card page visitor';

/** Runs in the page before its scripts, as the extension's content script would, and asks the test to sign. */
const STAND_IN_EXTENSION = `
window.addEventListener('message', async (event) => {
  if (event.source !== window) return;
  const { action, challengeNonce } = event.data ?? {};
  const post = (m) => window.postMessage(m, location.origin);
  if (action === 'web-eid:status') {
    post({ action: 'web-eid:status-ack' });
    post({ action: 'web-eid:status-success', library: event.data.libraryVersion, extension: '2.6.0', nativeApp: '2.6.0' });
  }
  if (action === 'web-eid:authenticate') {
    post({ action: 'web-eid:authenticate-ack' });
    post({ action: 'web-eid:authenticate-success', ...(await window.webEidStandInSign(location.origin, challengeNonce)) });
  }
});`;

describe.skipIf(!has('softhsm') || !has('chromium') || !has('openssl'))('the eID card page', () => {
  let e: EidEnvironment;
  let browser: Browser;
  let module: Pkcs11Module;
  let zoe: User;
  const extensionSigned: string[] = [];

  beforeAll(async () => {
    [e, browser] = await Promise.all([startEidEnvironment({ EID_REGISTRATION: 'true' }), launchBrowser()]);
    process.env.SOFTHSM2_CONF = e.card.conf;
    module = loadModule(SOFTHSM_MODULE);
    const { db, users, hasher } = e.idp.services;
    zoe = await users.create(db, {
      username: 'zoe.maes',
      email: 'zoe@example.be',
      emailVerified: true,
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
      locale: 'nl',
    });
  }, 60_000);

  afterAll(async () => {
    if (module) closeModule(module);
    await browser?.close();
    await e?.stop();
  });

  /** A browser context whose pages have the Web eID extension (the stand-in), signing with the virtual card. */
  async function withExtension(locale = 'en-GB'): Promise<BrowserContext> {
    const context = await browser.newContext({ locale });
    await context.exposeFunction('webEidStandInSign', (origin: string, nonce: string) => {
      extensionSigned.push(origin);
      return authenticate(module.api, findEid(module.api).handle, { pin: PIN, origin, nonce }).authToken;
    });
    await context.addInitScript(STAND_IN_EXTENSION);
    return context;
  }

  const operation = async (id: string) => (await fetch(`${e.bridge.url}/operations/${id}`, { headers: { origin: e.idp.issuer } })).json();
  const storedOperation = (page: import('playwright-core').Page) =>
    page.evaluate(() => JSON.parse(sessionStorage.getItem('eid-bridge-operation') ?? 'null')?.id as string | undefined);

  it("opens the bridge's window in the page's language, and a closed tab frees the bridge at once", async () => {
    const context = await browser.newContext({ locale: 'nl-BE' });
    const page = await signIn(context, e.idp.issuer, 'zoe.maes', PASSWORD, '/eid/link');
    expect(await page.getAttribute('html', 'lang')).toBe('nl');
    await page.waitForSelector('[data-eid-start]:not([disabled])');
    await page.check('#consent');
    const [popup] = await Promise.all([context.waitForEvent('page'), page.click('[data-eid-start]')]);
    await popup.waitForLoadState('domcontentloaded');
    expect(await popup.getAttribute('html', 'lang')).toBe('nl');
    expect(await popup.locator('h1').innerText()).toBe('Geef de pincode van uw eID');
    expect(await popup.locator('#asking-host').innerText()).toBe(new URL(e.idp.issuer).host);
    expect(await popup.locator('#card').innerText()).toBe('Kaart van Jan Karel Specimen, kaartnummer 592-1234567-89');
    expect(await axeViolations(popup)).toEqual([]);
    const id = (await storedOperation(page))!;
    expect((await operation(id)).state).toBe('pin_required');

    await page.close({ runBeforeUnload: true });
    const ended = await pollUntil(
      async () => {
        const op = await operation(id);
        return op.state === 'pin_required' ? undefined : op;
      },
      5000,
      'the abandoned operation to end',
    );
    expect(ended).toMatchObject({ state: 'failed', error: 'cancelled' });
    expect((await popup.reload(), await popup.locator('main').innerText())).toContain('Geannuleerd.');
    await context.close();
  }, 60_000);

  it('uses the bridge when both answer, offers the extension, and links the card through the extension when chosen', async () => {
    const context = await withExtension();
    const page = await signIn(context, e.idp.issuer, 'zoe.maes', PASSWORD, '/eid/link');
    await page.waitForSelector('[data-eid-start]:not([disabled])');
    expect(await page.locator('[data-eid-status]').innerText()).toContain('You will type your PIN in the window of the card bridge');
    const other = page.locator('[data-eid-use-extension]');
    expect(await other.isVisible()).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await other.click();
    expect(await page.locator('[data-eid-status]').innerText()).toBe(
      'Your eID card will be read by the Web eID browser extension. You will type your PIN in its window, never on this page.',
    );
    await page.check('#consent');
    const before = extensionSigned.length;
    await Promise.all([page.waitForURL(`${e.idp.issuer}/eid/link`, { waitUntil: 'domcontentloaded' }), page.click('[data-eid-start]')]);
    await page.waitForSelector('h1:text("Your eID card is linked")');
    expect(extensionSigned.slice(before)).toEqual([e.idp.issuer]);
    expect(await e.idp.db('eid_links').where({ user_id: zoe.id }).first()).toMatchObject({ national_number_hmac: e.hmac, card_number: null });
    await context.close();
  }, 60_000);

  it('says precisely that the browser refuses this site the way to the bridge (Local Network Access), without asking the bridge', async () => {
    // The provider's address counts as public and its page is served as http://idp.test: Chromium then refuses a
    // public, non-secure page any request to this computer, as it does for a real site the person blocked.
    const port = new URL(e.idp.issuer).port;
    const lna = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--host-resolver-rules=MAP idp.test 127.0.0.1',
        `--ip-address-space-overrides=127.0.0.1:${port}=public`,
      ],
    });
    try {
      const context = await lna.newContext({ locale: 'en-GB' });
      const page = await context.newPage();
      const bridgeRequests: string[] = [];
      page.on('request', (r) => void (r.url().startsWith(e.bridge.url) && bridgeRequests.push(r.url())));
      await page.goto(`http://idp.test:${port}/registration/eid`);
      await page.waitForFunction(() => document.querySelector('[data-eid-status]')?.textContent?.startsWith('Your browser does not let'));
      expect(await page.locator('[data-eid-status]').innerText()).toBe(
        'Your browser does not let this site connect to apps on this device, so it cannot reach the card bridge. Allow it in the site settings (the icon left of the address bar), then reload this page.',
      );
      expect(await page.locator('[data-eid-install]').isVisible()).toBe(false);
      expect(await page.locator('[data-eid-start]').isDisabled()).toBe(true);
      expect(bridgeRequests).toEqual([]);
    } finally {
      await lna.close();
    }
  }, 60_000);

  it('reads the card through the extension alone when no bridge runs', async () => {
    await e.bridge.stop();
    const context = await withExtension();
    const page = await signIn(context, e.idp.issuer, 'zoe.maes', PASSWORD, '/eid/link');
    await page.waitForSelector('[data-eid-start]:not([disabled])');
    expect(await page.locator('[data-eid-status]').innerText()).toContain('Your eID card will be read by the Web eID browser extension.');
    expect(await page.locator('[data-eid-install]').isVisible()).toBe(false);
    expect(await page.locator('[data-eid-use-extension]').isVisible()).toBe(false);
    await page.check('#consent');
    await Promise.all([page.waitForURL(`${e.idp.issuer}/eid/link`, { waitUntil: 'domcontentloaded' }), page.click('[data-eid-start]')]);
    await page.waitForSelector('h1:text("Your eID card is linked")');
    await context.close();
  }, 60_000);

  // The site offers no bridge to download (EID_BRIDGE_DOWNLOAD_URL unset), so Linux users too are sent to the extension.
  it('shows the install section when neither the bridge nor the extension answers, sending Linux users to the extension', async () => {
    await e.bridge.stop();
    const context = await browser.newContext({ locale: 'fr-BE' });
    const page = await signIn(context, e.idp.issuer, 'zoe.maes', PASSWORD, '/eid/link');
    await page.waitForSelector('[data-eid-install]', { state: 'visible' });
    const linux = page.locator('[data-eid-install] h3:text("Linux") + ol');
    expect(await linux.getByRole('link').allInnerTexts()).toEqual(['eid.belgium.be', 'web-eid.eu']);
    expect(await page.locator('[data-eid-install]').innerText()).not.toMatch(/eid-bridge_|eid-bridge-linux-x64/);
    expect(await page.locator('[data-eid-start]').isDisabled()).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  }, 60_000);
});
