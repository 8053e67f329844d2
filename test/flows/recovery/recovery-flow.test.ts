// "Forgot username or password?" in Chromium through a real SMTP server: the request, the mail naming the user,
// the reset under the password policy, the end of every session and refresh token, the confirmation mail, and
// links that were used, tampered with, replaced or left for 15 minutes (fake clock).
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as client from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import type { TestProvider } from '../../helpers/provider.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import type { SmtpSink } from '../../helpers/smtp-sink.ts';
import { startWithSink, type ProviderWithSink } from './helpers.ts';
import { startCallbackServer } from '../../helpers/callback-server.ts';
import { discover, login } from '../../helpers/rp.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { loggedInPerson } from '../account/people.ts';
import { enrolOnAccount } from '../../helpers/totp.ts';

const OLD = 'an old but long passphrase';
const NEW = 'a brand new passphrase 2026';
const LINK = /http:\/\/127\.0\.0\.1:\d+\/recovery\/reset\?token=[\w-]+&ui_locales=\w+/g;

async function submit(page: Page) {
  await page.click('button[type=submit].primary');
  await page.waitForLoadState('domcontentloaded');
}

// Whole journeys in Chromium, each with several logins and mails: over 30 s on a loaded 2-core machine.
describe.skipIf(!has('chromium'))('account recovery in the browser', { timeout: 90_000 }, () => {
  let running: ProviderWithSink;
  let idp: TestProvider;
  let sink: SmtpSink;
  let browser: Browser;
  let context: BrowserContext;
  let rp: Awaited<ReturnType<typeof startCallbackServer>>;
  let portal: client.Configuration;

  beforeAll(async () => {
    [running, rp, browser] = await Promise.all([
      startWithSink({ UNIQUE_EMAIL: 'false', CAPTCHA: 'off', RATE_LIMIT_RECOVERY: '50' }),
      startCallbackServer(),
      launchBrowser(),
    ]);
    ({ idp, sink } = running);
    const { db, users, hasher } = idp.services;
    const hash = await hasher.hash(OLD);
    await users.create(db, { username: 'x.y', email: 'xy@example.be', emailVerified: true, passwordHash: hash, status: 'active', locale: 'en' });
    await users.create(db, { username: 'ann.peeters', email: 'family@example.be', emailVerified: true, passwordHash: hash, status: 'active' });
    await users.create(db, { username: 'bart.peeters', email: 'Family@example.be', emailVerified: true, passwordHash: hash, status: 'active' });
    await users.create(db, { username: 'blocked.one', email: 'family@example.be', passwordHash: hash, status: 'blocked' });
    const c = await createClient(idp.services.provider(), {
      name: 'Customer portal',
      redirectUris: [`${rp.url}/cb`],
      firstParty: true,
      grants: ['authorization_code', 'refresh_token'],
    });
    portal = await discover(idp.issuer, c.client_id, c.client_secret);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([running?.close(), rp?.close()]);
  });

  afterEach(async () => {
    vi.useRealTimers();
    await context?.close();
  });

  async function freshPage(): Promise<Page> {
    context = await browser.newContext({ locale: 'en-GB' });
    context.setDefaultTimeout(10_000);
    return context.newPage();
  }

  /** Fills in the request form on the current page and returns the mail it sent to `address`. */
  async function requestMail(page: Page, address: string) {
    const before = sink.messages.length;
    await page.fill('#email', address);
    await submit(page);
    expect(await page.locator('h1').innerText()).toBe('Check your mailbox');
    return sink.waitFor((m) => sink.messages.indexOf(m) >= before && m.to.includes(address.toLowerCase()) && m.subject === 'Password reset requested');
  }

  async function linkFor(address: string) {
    const page = await freshPage();
    await page.goto(`${idp.issuer}/recovery`);
    const mail = await requestMail(page, address);
    return { page, link: mail.text.match(LINK)![0] };
  }

  it('leads from the login page to a mail naming the user, a new password under the policy, revoked tokens and a confirmation', async () => {
    // A relying app holds a refresh token from before the reset.
    const rpPage = await freshPage();
    const { tokens } = await login(rpPage, portal, {
      redirectUri: `${rp.url}/cb`,
      identifier: 'x.y',
      password: OLD,
      scope: 'openid offline_access',
      params: { prompt: 'consent' },
    });
    expect(tokens.refresh_token).toBeTruthy();

    // The login page's link, in the same browser (whose SSO session must end too).
    await rpPage.goto(client.buildAuthorizationUrl(portal, { redirect_uri: `${rp.url}/cb`, scope: 'openid', prompt: 'login' }).href);
    await rpPage.click('text=Forgot username or password?');
    await rpPage.waitForURL(/\/recovery\b/);
    expect(await rpPage.locator('label[for=email]').innerText()).toBe('E-mail address');
    const mail = await requestMail(rpPage, 'xy@example.be');
    expect(await rpPage.locator('main').innerText()).toContain('If an account is linked to this address, we have sent you an e-mail.');
    expect(mail.text).toContain('A password change was requested for the user x.y.');
    expect(mail.text).toContain('The link works once, for 15 minutes.');
    const links = mail.text.match(LINK)!;
    expect(new Set(links).size).toBe(1);
    expect(mail.html).toContain(links[0].replace('&', '&amp;'));

    await rpPage.goto(links[0]);
    expect(await rpPage.locator('h1').innerText()).toBe('Choose a new password');
    expect(await rpPage.locator('main').innerText()).toContain('For the user x.y.');
    // Two different passwords, then one the policy refuses: the link is not spent by either.
    await rpPage.fill('#password', NEW);
    await rpPage.fill('#confirm', `${NEW}!`);
    await submit(rpPage);
    expect(await rpPage.locator('#confirm-error').innerText()).toBe('The two passwords are not the same. Type the same new password twice.');
    expect(await rpPage.locator('#confirm').getAttribute('aria-invalid')).toBe('true');
    await rpPage.fill('#password', 'short');
    await rpPage.fill('#confirm', 'short');
    await submit(rpPage);
    expect(await rpPage.locator('#password-error').innerText()).toContain('The password is too short');
    await rpPage.fill('#password', NEW);
    await rpPage.fill('#confirm', NEW);
    await submit(rpPage);
    expect(await rpPage.locator('h1').innerText()).toBe('Your password has been changed');

    const changed = await sink.waitFor((m) => m.to.includes('xy@example.be') && m.subject === 'Your password has been changed');
    expect(changed.text).toContain('The password of the user x.y was changed on');
    expect(changed.text).toContain('If it was not you');
    expect(changed.text).toContain(`${idp.issuer}/recovery`);

    // Every refresh token and session of the account is gone.
    await expect(client.refreshTokenGrant(portal, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await rpPage.goto(client.buildAuthorizationUrl(portal, { redirect_uri: `${rp.url}/cb`, scope: 'openid' }).href);
    expect(await rpPage.locator('#password').isVisible()).toBe(true);

    // The page offers to log in; the new password works there, the old one no longer does.
    const page = await freshPage();
    const bad = await login(page, portal, { redirectUri: `${rp.url}/cb`, identifier: 'x.y', password: OLD }).catch((e: Error) => e);
    expect(bad).toBeInstanceOf(Error);
    const again = await freshPage();
    const good = await login(again, portal, { redirectUri: `${rp.url}/cb`, identifier: 'x.y', password: NEW });
    expect(good.tokens.claims()!.sub).toBe(tokens.claims()!.sub);

    // The used link says so and offers a new request.
    const reused = await freshPage();
    const response = await reused.goto(links[0]);
    expect(response!.status()).toBe(410);
    expect(await reused.locator('h1').innerText()).toBe('This link has already been used');
    await reused.click('main .actions a');
    await reused.waitForURL(`${idp.issuer}/recovery`);
  });

  it('offers log-in after the reset, with the username filled in', async () => {
    const { page, link } = await linkFor('xy@example.be');
    await page.goto(link);
    await page.fill('#password', OLD);
    await page.fill('#confirm', OLD);
    await submit(page);
    await page.click('main .actions a');
    await page.waitForURL(/\/interaction\//);
    expect(await page.locator('#identifier').inputValue()).toBe('x.y');
  });

  it('shows the success page again at a reload, in this browser only', async () => {
    const { page, link } = await linkFor('xy@example.be');
    await page.goto(link);
    await page.fill('#password', NEW);
    await page.fill('#confirm', NEW);
    const answer = page.waitForResponse((r) => r.request().method() === 'POST');
    await submit(page);
    expect((await answer).status()).toBe(303);
    await page.reload();
    expect([await page.locator('h1').innerText(), await page.locator('main .actions a').innerText()]).toEqual(['Your password has been changed', 'Log in']);

    // The page's address tells another browser nothing.
    const elsewhere = await browser.newContext({ locale: 'en-GB' });
    const other = await elsewhere.newPage();
    const shown = await other.goto(page.url());
    expect([shown!.status(), await other.locator('h1').innerText()]).toEqual([403, 'This page belongs to another browser']);
    expect(await other.locator('main').innerText()).not.toContain('x.y');
    await elsewhere.close();
  });

  /**
   * From the portal's login to its recovery, a mail to `address`, and the link opened in `open`'s browser; the done
   * page's links.
   */
  async function resetFromPortal(open: (link: string) => Promise<Page>, address = 'xy@example.be') {
    const page = await freshPage();
    await page.goto(client.buildAuthorizationUrl(portal, { redirect_uri: `${rp.url}/cb`, scope: 'openid' }).href);
    const login = new URL(page.url()).pathname;
    await page.click('text=Forgot username or password?');
    await page.waitForURL(/\/recovery\b/);
    const link = (await requestMail(page, address)).text.match(LINK)![0];
    // The link names no app: the way back is kept with it on the server.
    expect(link).not.toMatch(/interaction|return_to|client/);
    const done = await open(link);
    await done.goto(link);
    await done.fill('#password', NEW);
    await done.fill('#confirm', NEW);
    await submit(done);
    expect(await done.locator('h1').innerText()).toBe('Your password has been changed');
    return { login, done, actions: await done.locator('main .actions a').allInnerTexts() };
  }

  it('leads back logged in to the app whose login the recovery started from, in the browser that started it', async () => {
    const { done, actions } = await resetFromPortal(async () => context.pages()[0]!);
    expect(actions).toEqual(['Back to Customer portal', 'Log in']);
    // The new password was just typed twice: the way back does not ask for it again.
    await done.click('text=Back to Customer portal');
    await done.waitForURL(`${rp.url}/cb?**`);
    expect(new URL(done.url()).searchParams.get('code')).toBeTruthy();
    const user = await idp.services.users.findByIdentifier(idp.db, 'x.y', 'username');
    const last = await idp.db('audit_log').where({ event: 'login.success', user_id: user[0]!.id }).orderBy('id', 'desc').first('details');
    expect(last.details).toEqual({ method: 'password', after: 'recovery' });
  });

  it('asks for the second factor on the way back, for an account that has one', async () => {
    const { agent } = await loggedInPerson(idp, 'z.w', OLD);
    await enrolOnAccount(agent);
    const { login, done } = await resetFromPortal(async () => context.pages()[0]!, 'z.w@example.be');
    await done.click('text=Back to Customer portal');
    // A mailbox and a new password are one factor: the app's code is still asked for.
    expect(new URL(done.url()).pathname).toBe(`${login}/second-factor`);
    expect(await done.locator('#code').count()).toBe(1);
  });

  it('offers only the account login where the link is opened in another browser', async () => {
    const elsewhere = await browser.newContext({ locale: 'en-GB' });
    const { actions } = await resetFromPortal(() => elsewhere.newPage());
    expect(actions).toEqual(['Log in']);
    await elsewhere.close();
  });

  it("offers only the account login once the app's login has expired", async () => {
    const { actions } = await resetFromPortal(async () => {
      await idp.db('oidc_models').where({ model: 'Interaction' }).delete();
      return context.pages()[0]!;
    });
    expect(actions).toEqual(['Log in']);
  });

  it('says a tampered link is not valid and an older link was replaced', async () => {
    const first = await linkFor('xy@example.be');
    const second = await linkFor('xy@example.be');
    const page = await freshPage();
    const tampered = await page.goto(second.link.replace(/token=[\w-]{4}/, 'token=AAAA'));
    expect(tampered!.status()).toBe(400);
    expect(await page.locator('h1').innerText()).toBe('This link is not valid');
    expect(await page.locator('main a[href="/recovery"]').innerText()).toBe('Ask for a new link');
    await page.goto(first.link);
    expect(await page.locator('h1').innerText()).toBe('This link has been replaced');
    await page.goto(second.link);
    expect(await page.locator('h1').innerText()).toBe('Choose a new password');
  });

  it('keeps a link for 15 minutes and no longer (fake clock)', async () => {
    const { page, link } = await linkFor('xy@example.be');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 14 * 60_000 + 50_000);
    await page.goto(link);
    expect(await page.locator('h1').innerText()).toBe('Choose a new password');
    vi.setSystemTime(Date.now() + 15_000);
    await page.fill('#password', NEW);
    await page.fill('#confirm', NEW);
    await submit(page);
    expect(await page.locator('h1').innerText()).toBe('This link has expired');
    expect(await page.locator('main a[href="/recovery"]').isVisible()).toBe(true);
  });

  it('lists every active account on a shared address, each with its own link', async () => {
    const { page } = await linkFor('family@example.be');
    const mail = sink.messages.findLast((m) => m.to.includes('family@example.be'))!;
    expect(mail.text).toContain('2 accounts are linked to this address.');
    expect(mail.text).toContain('A password change was requested for the user ann.peeters.');
    expect(mail.text).toContain('A password change was requested for the user bart.peeters.');
    expect(mail.text).not.toContain('blocked.one');
    const links = [...new Set(mail.text.match(LINK))];
    expect(links).toHaveLength(2);
    await page.goto(links[1]!);
    expect(await page.locator('main').innerText()).toContain('For the user bart.peeters.');
    await page.goto(links[0]!);
    expect(await page.locator('main').innerText()).toContain('For the user ann.peeters.');
  });

  it('answers an unknown address exactly as a known one, and sends nothing', async () => {
    const page = await freshPage();
    await page.goto(`${idp.issuer}/recovery`);
    await page.fill('#email', 'nobody@example.be');
    await submit(page);
    expect(await page.locator('h1').innerText()).toBe('Check your mailbox');
    expect(await page.locator('main').innerText()).toContain('If an account is linked to this address, we have sent you an e-mail.');
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.messages.some((m) => m.to.includes('nobody@example.be'))).toBe(false);
  });

  it('shows the form in the reader’s language and refuses an address that is not one', async () => {
    const page = await freshPage();
    await page.goto(`${idp.issuer}/recovery?ui_locales=de`);
    expect(await page.locator('h1').innerText()).toBe('Benutzername oder Passwort vergessen?');
    await page.fill('#email', 'not an address');
    await submit(page);
    expect(await page.locator('#email-error').innerText()).toBe('Geben Sie eine E-Mail-Adresse ein, zum Beispiel name@beispiel.be.');
    expect(await page.locator('#email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('[role=alert]').isVisible()).toBe(true);
  });
});
