// Every page in nl, fr, de and en at a phone width, and in en at a desktop width, in one walk per language and width
// (the walk's logins and sign-ups are its cost), then the first pages of each example portal profile under its theme (a
// city's, a school's, a shop's, served by the same provider): each page passes axe-core at WCAG 2.2 AA, reflows on a
// phone, and reads as a person of that language expects — no catalogue key shown, no English outside en, one
// register, durations written out. The mails a walk caused are read from the outbox and checked the same way.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { has } from '../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { CATALOGUE_SETTINGS, pageCatalogue } from '../helpers/page-catalogue.ts';
import { EXAMPLE_PROFILES, portalVisits } from '../helpers/portal-visits.ts';
import { axeViolations } from '../helpers/axe.ts';
import { languageProblems } from '../helpers/language-check.ts';
import { LOCALES, formatDuration, translate, type Locale } from '../../provider/platform/web/i18n.ts';

const organisation = (dir: string) =>
  (JSON.parse(readFileSync(new URL(`../../examples/${dir}/theme.json`, import.meta.url), 'utf8')) as { organisation: string }).organisation;
const BROWSER_LOCALES: Record<Locale, string> = { nl: 'nl-BE', fr: 'fr-BE', de: 'de-BE', en: 'en-GB' };
const WIDTHS = { phone: { width: 375, height: 740 }, desktop: { width: 1280, height: 900 } } as const;
// Every language at the phone's width, where words must wrap and reflow is checked; the desktop's once. The pages'
// text is the same at both widths (no style hides any at one of them), and a walk costs a minute on CI's two cores.
const WALKS: [Locale, keyof typeof WIDTHS][] = [...LOCALES.map((l): [Locale, 'phone'] => [l, 'phone']), ['en', 'desktop']];
// Short lifetimes, so that the pages and mails that name them must say minutes, and "1 minute" in the singular.
const TTLS = { ACTIVATION_TOKEN_TTL: '60', PHONE_CODE_TTL: '1800', EMAIL_CHANGE_TTL: '1800' };

describe.skipIf(!has('chromium'))('every page, accessible and in its language, and the mails it sends', { timeout: 300_000 }, () => {
  let idp: TestProvider;
  let browser: Browser;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { ...CATALOGUE_SETTINGS, ...TTLS, PORTAL_PROFILES: JSON.stringify(EXAMPLE_PROFILES) });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
  });

  for (const [locale, widthName] of WALKS) {
    const viewport = WIDTHS[widthName];
    it(`${locale} at ${widthName} width`, async () => {
      // The development mailbox, one of the pages, shows what this walk sent only.
      await idp.db('outbox').delete();
      const problems: string[] = [];
      const seen = new Map<string, string>();
      // The catalogue in one browser context; each portal in one of its own, as its people would arrive.
      const walks = [await pageCatalogue(idp, locale)];
      for (const profile of Object.keys(EXAMPLE_PROFILES) as (keyof typeof EXAMPLE_PROFILES)[]) walks.push(await portalVisits(idp, profile));
      for (const visits of walks) {
        const context = await browser.newContext({ locale: BROWSER_LOCALES[locale], viewport });
        const page = await context.newPage();
        for (const visit of visits) {
          await visit.go(page);
          await page.waitForLoadState('load');
          expect(await page.getAttribute('html', 'lang'), `${visit.name}: page language`).toBe(locale);
          for (const v of await axeViolations(page)) problems.push(`${visit.name}: ${v.id} (${v.impact}) ${v.help} — ${v.targets.slice(0, 3).join(', ')}`);
          // No horizontal scrolling on a phone (WCAG 1.4.10 reflow).
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          if (overflow > 1) problems.push(`${visit.name}: content ${overflow}px wider than the viewport`);
          const text = await page.locator('body').innerText();
          seen.set(visit.name, text);
          // The developer's mailbox shows the SMS as sent, in plain forms: the mails in it are read from the outbox below.
          problems.push(...languageProblems(locale, visit.name, `${await page.title()}\n${text}`, { plain: visit.name === 'dev-messages' }));
        }
        await context.close();
      }
      // The account pages from a browser not logged in: the login page of the provider's own client, named in the
      // reader's language (its client name is English).
      const stranger = await browser.newContext({ locale: BROWSER_LOCALES[locale], viewport });
      const login = await stranger.newPage();
      await login.goto(`${idp.issuer}/account`);
      await login.locator('#identifier').waitFor();
      const loginText = await login.locator('body').innerText();
      problems.push(...languageProblems(locale, 'account-login', loginText));
      expect(loginText).toContain(translate(locale, 'login.for_account'));
      await stranger.close();
      // An SMS keeps no locale: it is in the language of the account or of the page that sent it, here both.
      const sent: { channel: string; subject: string | null; body_text: string; locale: string | null }[] = await idp
        .db('outbox')
        .select('channel', 'subject', 'body_text', 'locale');
      for (const m of sent)
        problems.push(
          ...languageProblems((m.locale ?? locale) as Locale, `${m.channel} "${m.subject ?? m.body_text.slice(0, 30)}"`, `${m.subject ?? ''}\n${m.body_text}`, {
            plain: m.channel === 'sms',
          }),
        );
      expect(problems).toEqual([]);
      const mails = sent.filter((m) => m.channel === 'email');
      expect(mails.length, 'the walk sends mails').toBeGreaterThan(0);
      expect(
        mails.map((m) => m.locale),
        "every mail in the language of the page that sent it, which is the account's",
      ).toEqual(mails.map(() => locale));
      expect(seen.get('reactivation-token')).toContain(formatDuration(locale, 60));
      // Each portal under its operator's name: the city's and the school's themes, the shop's neutral look.
      expect(seen.get('portal-city-login')).toContain(organisation('theme'));
      for (const name of ['login', 'registration', 'account']) expect(seen.get(`portal-school-${name}`)).toContain(organisation('themes/school'));
      expect(seen.get('portal-shop-login')).not.toContain(organisation('theme'));
      expect(seen.get('account-phone-verify')).toContain(formatDuration(locale, 1800));
    });
  }
});
