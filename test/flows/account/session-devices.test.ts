// The session list names each session's browser and system (from its User-Agent), its network (not its address),
// when it was last used and which one is "this browser"; on a phone it stays readable, no word split in two.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../../helpers/components.ts';
import { axeViolations } from '../../helpers/axe.ts';
import { startSessionListBench, type SessionListBench } from './session-list.ts';
import { networkOf, parseUserAgent } from '../../../provider/platform/web/user-agent.ts';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const WINDOWS_FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

describe('what a User-Agent and an address say', () => {
  it.each([
    [IPHONE, { browser: 'Safari', os: 'iOS' }],
    [WINDOWS_FIREFOX, { browser: 'Firefox', os: 'Windows' }],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      { browser: 'Edge', os: 'Windows' },
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
      { browser: 'Samsung Internet', os: 'Android' },
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      { browser: 'Chrome', os: 'macOS' },
    ],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', { browser: 'Chrome', os: 'Linux' }],
    ['curl/8.5.0', { browser: undefined, os: undefined }],
  ])('%s', (ua, device) => {
    expect(parseUserAgent(ua)).toEqual(device);
  });

  it.each([
    ['192.0.2.77', '192.0.2.0/24'],
    ['::ffff:203.0.113.9', '203.0.113.0/24'],
    ['2001:db8:85a3:0:0:8a2e:370:7334', '2001:db8:85a3::/48'],
    ['2001:db8::1', '2001:db8::/48'],
    ['::1', '::/48'],
    ['2001:0:0:5::1', '2001::/48'],
  ])('%s is in %s', (ip, network) => {
    expect(networkOf(ip)).toBe(network);
  });
});

describe.skipIf(!has('chromium'))('the session list in Chromium', { timeout: 120_000 }, () => {
  let bench: SessionListBench;
  beforeAll(async () => {
    bench = await startSessionListBench();
  });
  afterAll(() => bench?.close());

  it('names each browser, its network and last use, and this browser, without splitting words on a phone', async () => {
    const { browser, idp, logIn } = bench;
    const laptop = await browser.newContext({ locale: 'en-GB', userAgent: WINDOWS_FIREFOX });
    await logIn(await laptop.newPage());
    const phone = await browser.newContext({ locale: 'en-GB', userAgent: IPHONE, viewport: { width: 375, height: 740 } });
    const page = await phone.newPage();
    const { callback } = await logIn(page);
    expect(callback).toBeDefined();

    await page.goto(`${idp.issuer}/account/sessions`);
    const rows = page.locator('#sessions tbody tr');
    await expect(rows.count()).resolves.toBe(2);
    const here = rows.filter({ hasText: '(this browser)' });
    await expect(here.locator('th').innerText()).resolves.toBe('Safari on iOS (this browser)');
    await expect(rows.filter({ hasNotText: '(this browser)' }).locator('th').innerText()).resolves.toBe('Firefox on Windows');
    await expect(here.locator('td').first().innerText()).resolves.toBe('127.0.0.0/24');
    await expect(here.locator('td').nth(2).innerText()).resolves.not.toContain('—');
    // Each line says what it is, the column headers being hidden on a phone.
    expect(
      await here
        .locator('td')
        .first()
        .evaluate((e) => getComputedStyle(e, '::before').content),
    ).toBe('"Network: "');

    // On a phone: labelled lines, nothing wider than the screen, no word broken inside.
    const cells = await page
      .locator('#sessions tbody th, #sessions tbody td')
      .evaluateAll((els) =>
        els.map((e) => ({ wrap: getComputedStyle(e).overflowWrap, wordBreak: getComputedStyle(e).wordBreak, over: e.scrollWidth - e.clientWidth })),
      );
    expect(cells.every((c) => c.wrap === 'normal' && c.wordBreak === 'normal' && c.over <= 0)).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(1);
    expect(await axeViolations(page)).toEqual([]);

    // The apps the person is connected to, in French: labelled lines too (not "Appli/catio/n" over a button broken
    // into "Déco/nnect/er"), each label with the no-break space French writes before a colon.
    await page.goto(`${idp.issuer}/account/sessions?ui_locales=fr`);
    const app = page.locator('#apps tbody tr').first();
    expect(await app.locator('th').evaluate((e) => getComputedStyle(e, '::before').content)).toBe('"Application\u00a0: "');
    const appCells = await page
      .locator('#apps tbody th, #apps tbody td, #apps button')
      .evaluateAll((els) =>
        els.map((e) => ({ wrap: getComputedStyle(e).overflowWrap, over: e.scrollWidth - e.clientWidth, high: e.getBoundingClientRect().height })),
      );
    expect(appCells.every((c) => c.wrap === 'normal' && c.over <= 0)).toBe(true);
    // The button stays one line high.
    expect(appCells.at(-1)!.high).toBeLessThan(60);
    await Promise.all([laptop.close(), phone.close()]);
  });
});
