// Every page passes axe-core at WCAG 2.2 AA in nl, fr, de and en, at a phone width and a desktop width.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { has } from '../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { CATALOGUE_SETTINGS, pageCatalogue } from '../helpers/page-catalogue.ts';
import { axeViolations } from '../helpers/axe.ts';

const LANGUAGES = { nl: 'nl-BE', fr: 'fr-BE', de: 'de-BE', en: 'en-GB' } as const;
const WIDTHS = { phone: { width: 375, height: 740 }, desktop: { width: 1280, height: 900 } } as const;

describe.skipIf(!has('chromium'))('accessibility of every page', { timeout: 180_000 }, () => {
  let idp: TestProvider;
  let browser: Browser;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { ...CATALOGUE_SETTINGS });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
  });

  for (const [lang, locale] of Object.entries(LANGUAGES)) {
    for (const [widthName, viewport] of Object.entries(WIDTHS)) {
      it(`${lang} at ${widthName} width`, async () => {
        const context = await browser.newContext({ locale, viewport });
        const page = await context.newPage();
        const problems: string[] = [];
        for (const visit of await pageCatalogue(idp)) {
          await visit.go(page);
          await page.waitForLoadState('load');
          expect(await page.getAttribute('html', 'lang'), `${visit.name}: page language`).toBe(lang);
          for (const v of await axeViolations(page)) problems.push(`${visit.name}: ${v.id} (${v.impact}) ${v.help} — ${v.targets.slice(0, 3).join(', ')}`);
          // No horizontal scrolling on a phone (WCAG 1.4.10 reflow).
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          if (overflow > 1) problems.push(`${visit.name}: content ${overflow}px wider than the viewport`);
        }
        await context.close();
        expect(problems).toEqual([]);
      });
    }
  }
});
