// THEME_DIR: the example theme puts its organisation's name, logo, favicon, colours and footer links on the pages
// and its lines on the mails, with no axe violation at a phone's or a desktop's width; its templates/ and static/
// files override the shipped ones; a theme whose colours a person could not read stops the start, naming the pair.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import * as client from 'openid-client';
import { has } from '../../helpers/components.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { axeViolations } from '../../helpers/axe.ts';
import { discover } from '../../helpers/rp.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { ThemeError, contrastRatio, loadTheme } from '../../../provider/platform/web/theme.ts';
import { renderMail } from '../../../provider/domain/messaging/mail-templates.ts';
import { translate } from '../../../provider/platform/web/i18n.ts';

const EXAMPLE = fileURLToPath(new URL('../../../examples/theme/', import.meta.url));

function themeDir(theme: object, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'belid-theme-'));
  writeFileSync(path.join(dir, 'theme.json'), JSON.stringify(theme));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

// The provider under test starts a fresh database first, which on a busy machine takes longer than a test's default.
describe('a theme that a person could not read', { timeout: 120_000 }, () => {
  it('measures contrast as WCAG does', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it('is refused with the pair and its ratio', () => {
    const dir = themeDir({ organisation: 'Grey', colours: { text: '#777777', accent: '#ffcc00' } });
    expect(() => loadTheme(dir)).toThrow(ThemeError);
    try {
      loadTheme(dir);
    } catch (e) {
      expect((e as ThemeError).code).toBe('theme_contrast');
      expect((e as Error).message).toContain('colours.text #777777 on colours.background #ffffff has a contrast ratio of 4.47:1');
      expect((e as Error).message).toContain('colours.accent #ffcc00 on colours.background #ffffff');
      expect((e as Error).message).toContain('WCAG 2.2 AA needs at least 4.5:1');
    }
  });

  it('stops the provider from starting', async () => {
    const dir = themeDir({ organisation: 'Pale', colours: { accentText: '#eeeeee', accent: '#ffffff' } });
    await expect(startTestProvider('pglite', { THEME_DIR: dir })).rejects.toThrow(
      /colours\.accentText #eeeeee on colours\.accent #ffffff has a contrast ratio of 1\.1\d:1/,
    );
  });

  it('names a missing logo and an unknown field', () => {
    expect(() => loadTheme(themeDir({ organisation: 'X', logo: 'missing.svg' }))).toThrow('static/missing.svg does not exist');
    expect(() => loadTheme(themeDir({ organisation: 'X', colour: {} }))).toThrow(/theme\.json: theme: /);
  });
});

describe.skipIf(!has('chromium'))('the example theme', { timeout: 180_000 }, () => {
  let idp: TestProvider;
  let browser: Browser;
  let partner: client.Configuration;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { THEME_DIR: EXAMPLE });
    browser = await launchBrowser();
    const rp = await createClient(idp.services.provider(), { name: 'Stadsportaal', redirectUris: ['http://127.0.0.1:9/cb'] });
    partner = await discover(idp.issuer, rp.client_id, rp.client_secret);
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
  });

  for (const [width, viewport] of Object.entries({ phone: { width: 375, height: 740 }, desktop: { width: 1280, height: 900 } })) {
    it(`shows the organisation on the login page, with no axe violation, at ${width} width`, async () => {
      const context = await browser.newContext({ locale: 'nl-BE', viewport });
      const page = await context.newPage();
      await page.goto(
        client.buildAuthorizationUrl(partner, {
          redirect_uri: 'http://127.0.0.1:9/cb',
          scope: 'openid',
          code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        }).href,
      );
      await expect(page.locator('header .brand').innerText()).resolves.toBe('Stad Voorbeeld');
      expect(await page.locator('header .brand img').getAttribute('src')).toBe('/static/logo.svg');
      await expect(page.title()).resolves.toBe(`${translate('nl', 'login.title')} – Stad Voorbeeld`);
      expect(await page.getByRole('link', { name: translate('nl', 'layout.privacy') }).getAttribute('href')).toBe('https://www.example.be/privacy');
      expect(await page.getByRole('link', { name: translate('nl', 'layout.terms') }).getAttribute('href')).toBe('https://www.example.be/gebruiksvoorwaarden');
      expect(await page.locator('link[rel=icon]').getAttribute('href')).toBe('/static/favicon.svg');
      // The theme's accent is what the primary button is painted with.
      expect(await page.locator('button.primary').evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(0, 89, 79)');
      expect(await axeViolations(page)).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(1);
      await context.close();
    });
  }

  it('serves its static files and opens and closes the mails with its lines', async () => {
    const logo = await fetch(`${idp.issuer}/static/logo.svg`);
    expect(logo.headers.get('content-type')).toContain('image/svg+xml');
    expect(await fetch(`${idp.issuer}/static/app.css`).then((r) => r.status)).toBe(200);
    const mail = renderMail('recovery', 'nl', { accounts: [{ username: 'an', href: 'https://id.example.be/r' }], minutes: 15 });
    expect(mail.text).toContain('Stad Voorbeeld – digitale diensten');
    expect(mail.text).toContain('Stad Voorbeeld, Marktplein 1, 9000 Voorbeeld');
    expect(mail.html).toContain('background:#00594f');
  });
});

describe("a theme's own templates and files", () => {
  let idp: TestProvider;
  beforeAll(async () => {
    const dir = themeDir(
      { organisation: 'School Noord' },
      {
        'templates/pages/home.njk':
          '{% extends "layout.njk" %}{% block content %}<h1>{{ t(\'home.title\') }}</h1><p id="school">School Noord</p>{% endblock %}',
        'static/app.css': 'body { color: #000; }',
      },
    );
    idp = await startTestProvider('pglite', { THEME_DIR: dir });
  });
  afterAll(() => idp?.close());

  it('override the shipped ones of the same path', async () => {
    expect(await fetch(`${idp.issuer}/`).then((r) => r.text())).toContain('<p id="school">School Noord</p>');
    expect(await fetch(`${idp.issuer}/static/app.css`).then((r) => r.text())).toBe('body { color: #000; }');
    // Files it does not have are the shipped ones.
    expect(await fetch(`${idp.issuer}/static/account.css`).then((r) => r.status)).toBe(200);
  });
});
