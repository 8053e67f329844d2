// The provider's icon: every page links to it, and /favicon.ico, which browsers ask for by themselves, leads to it
// instead of a 404 in the console of every first page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';

describe('the favicon', () => {
  let idp: TestProvider;

  beforeAll(async () => {
    idp = await startTestProvider('pglite');
  });
  afterAll(async () => {
    await idp?.close();
  });

  it('answers /favicon.ico with the icon the pages link to', async () => {
    const page = await fetch(`${idp.issuer}/account`).then((r) => r.text());
    expect(/<link rel="icon" href="([^"]+)">/.exec(page)?.[1]).toBe('/static/favicon.svg');
    const ico = await fetch(`${idp.issuer}/favicon.ico`);
    expect([ico.status, ico.url, ico.headers.get('content-type')]).toEqual([200, `${idp.issuer}/static/favicon.svg`, 'image/svg+xml']);
    expect(await ico.text()).toMatch(/^<svg /);
  });

  it.skipIf(!has('chromium'))('leaves no error in the console of a first page, under the pages’ CSP', async () => {
    const browser: Browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
      });
      await page.goto(`${idp.issuer}/account`);
      // The icon as the page's CSP lets it load: an <img> of it is drawn, not refused.
      const width = await page.evaluate(
        async (href) => {
          const img = new Image();
          img.src = href ?? '';
          await img.decode();
          return img.naturalWidth;
        },
        await page.locator('link[rel=icon]').getAttribute('href'),
      );
      expect(width).toBeGreaterThan(0);
      await page.goto(`${idp.issuer}/favicon.ico`);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
