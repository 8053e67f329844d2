// `npm run screenshots`: a full-page screenshot of every page of the catalogue in nl, fr, de and en, at a phone
// width and a desktop width, written to screenshots/<lang>-<width>-<page>.png for review; then the first pages of each
// example portal profile under its theme (screenshots/<lang>-<width>-portal-<profile>-<page>.png).
import { mkdirSync } from 'node:fs';
import { startTestProvider } from '../test/helpers/provider.ts';
import { launchBrowser } from '../test/helpers/browser.ts';
import { CATALOGUE_SETTINGS, pageCatalogue } from '../test/helpers/page-catalogue.ts';
import { EXAMPLE_PROFILES, portalVisits } from '../test/helpers/portal-visits.ts';

const LANGUAGES = { nl: 'nl-BE', fr: 'fr-BE', de: 'de-BE', en: 'en-GB' };
const WIDTHS = { phone: { width: 375, height: 740 }, desktop: { width: 1280, height: 900 } };
const OUT = 'screenshots';

mkdirSync(OUT, { recursive: true });
const idp = await startTestProvider('pglite', { LOG_LEVEL: 'silent', ...CATALOGUE_SETTINGS, PORTAL_PROFILES: JSON.stringify(EXAMPLE_PROFILES) });
// Only some pages, or all: `npm run screenshots -- portal` writes those whose names contain "portal".
const only = process.argv[2];
const browser = await launchBrowser();
let count = 0;
try {
  for (const [lang, locale] of Object.entries(LANGUAGES)) {
    for (const [widthName, viewport] of Object.entries(WIDTHS)) {
      // The catalogue in one context; each portal in one of its own, as its people would arrive.
      const walks = [
        await pageCatalogue(idp),
        ...(await Promise.all(Object.keys(EXAMPLE_PROFILES).map((p) => portalVisits(idp, p as keyof typeof EXAMPLE_PROFILES)))),
      ];
      for (const visits of walks) {
        // A visit may need the ones before it (a login, the portal's cookie): a walk runs whole or not at all.
        const wanted = (name: string) => !only || name.includes(only);
        if (!visits.some((v) => wanted(v.name))) continue;
        const context = await browser.newContext({ locale, viewport });
        const page = await context.newPage();
        for (const visit of visits) {
          await visit.go(page);
          if (!wanted(visit.name)) continue;
          await page.waitForLoadState('load');
          await page.screenshot({ path: `${OUT}/${lang}-${widthName}-${visit.name}.png`, fullPage: true });
          count++;
        }
        await context.close();
      }
    }
  }
} finally {
  await browser.close();
  await idp.close();
}
console.log(`${count} screenshots in ${OUT}/`);
