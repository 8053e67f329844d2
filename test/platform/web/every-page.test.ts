// Every page and every mail in nl, fr, de and en, as a person reads them: no catalogue key shown, no English
// sentence or word outside en, one register per language, durations written out (minutes under an hour).
// The catalogue is checked entry by entry (texts only some states show), then the real pages are walked in Chromium
// (test/helpers/page-catalogue.ts) and the mails those walks caused are read from the outbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { CATALOGUE_SETTINGS, pageCatalogue } from '../../helpers/page-catalogue.ts';
import { SHARED_KEYS, languageProblems } from '../../helpers/language-check.ts';
import { LOCALES, catalogue, duration, formatDuration, translate, type Locale } from '../../../provider/platform/web/i18n.ts';
import { renderMail } from '../../../provider/domain/messaging/mail-templates.ts';

const BROWSER_LOCALES: Record<Locale, string> = { nl: 'nl-BE', fr: 'fr-BE', de: 'de-BE', en: 'en-GB' };
// Short lifetimes, so that the pages and mails that name them must say minutes, and "1 minute" in the singular.
const TTLS = { ACTIVATION_TOKEN_TTL: '60', PHONE_CODE_TTL: '1800', EMAIL_CHANGE_TTL: '1800' };

describe('the catalogue, entry by entry', () => {
  const en = catalogue('en');
  it.each(LOCALES.filter((l) => l !== 'en'))('%s has no English text and one register', (locale) => {
    const problems: string[] = [];
    for (const [key, text] of Object.entries(catalogue(locale))) {
      if (SHARED_KEYS.some((k) => k.test(key))) continue;
      problems.push(...languageProblems(locale, key, text.replace(/\{\w+\}/g, ' ')));
      // A text of two words or more that is the English one was not translated ("Status", "App" are the same word).
      if (
        text === en[key] &&
        text
          .replace(/\{\w+\}/g, '')
          .trim()
          .split(/\s+/).length > 1
      )
        problems.push(`${key} (${locale}): the English text`);
    }
    expect(problems).toEqual([]);
  });
});

describe('durations', () => {
  it.each([
    ['nl', 1800, '30 minuten'],
    ['de', 1800, '30 Minuten'],
    ['fr', 60, '1 minute'],
    ['de', 3600, '1 Stunde'],
    ['nl', 7200, '2 uur'],
    ['en', 5400, '90 minutes'],
  ] as const)('%s, %i seconds: %s', (locale, seconds, shown) => {
    expect(formatDuration(locale, seconds)).toBe(shown);
    expect(translate(locale, 'account.mail.email_verify.body', { duration: duration(seconds) })).toContain(shown);
  });
});

describe('every mail template', () => {
  const mails = {
    recovery: { accounts: [{ username: 'marie.dubois', href: 'https://id.example.be/recovery/reset?token=x' }], minutes: 1 },
    alert: {
      subject: 'Stroomonderbreking',
      text: 'Morgen van 8 tot 10 uur.',
      severity: 'warning',
      sender: 'Gemeente',
      settingsUrl: 'https://id.example.be/account/alerts',
    },
    notice: {
      title: { key: 'account.mail.email_verify.title' },
      paragraphs: [{ key: 'account.mail.email_verify.body', params: { duration: duration(1800) } }],
      action: { href: 'https://id.example.be/x', label: { key: 'account.mail.email_verify.action' } },
    },
  };
  it.each(LOCALES)('%s', (locale) => {
    const problems = Object.entries(mails).flatMap(([template, params]) => {
      const mail = renderMail(template, locale, params);
      return languageProblems(locale, `mail ${template}`, `${mail.subject}\n${mail.text}`);
    });
    expect(problems).toEqual([]);
    expect(renderMail('recovery', locale, mails.recovery).text).toContain(formatDuration(locale, 60));
  });
});

describe.skipIf(!has('chromium'))('every page, and the mails it sends', { timeout: 600_000 }, () => {
  let idp: TestProvider;
  let browser: Browser;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { ...CATALOGUE_SETTINGS, ...TTLS });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
  });

  for (const locale of LOCALES) {
    it(`in ${locale}`, async () => {
      // The development mailbox, one of the pages, shows what was sent in this language only.
      await idp.db('outbox').delete();
      const context = await browser.newContext({ locale: BROWSER_LOCALES[locale], viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const problems: string[] = [];
      const seen = new Map<string, string>();
      for (const visit of await pageCatalogue(idp, locale)) {
        await visit.go(page);
        await page.waitForLoadState('load');
        const text = await page.locator('body').innerText();
        seen.set(visit.name, text);
        problems.push(...languageProblems(locale, visit.name, `${await page.title()}\n${text}`));
      }
      await context.close();
      // The account pages from a browser not logged in: the login page of the provider's own client, named in the
      // reader's language (its client name is English).
      const stranger = await browser.newContext({ locale: BROWSER_LOCALES[locale] });
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
          ...languageProblems((m.locale ?? locale) as Locale, `${m.channel} "${m.subject ?? m.body_text.slice(0, 30)}"`, `${m.subject ?? ''}\n${m.body_text}`),
        );
      expect(problems).toEqual([]);
      const mails = sent.filter((m) => m.channel === 'email');
      expect(
        mails.map((m) => m.locale),
        "every mail in the language of the page that sent it, which is the account's",
      ).toEqual(mails.map(() => locale));
      expect(seen.get('reactivation-token')).toContain(formatDuration(locale, 60));
      expect(seen.get('account-phone-verify')).toContain(formatDuration(locale, 1800));
    });
  }
});
