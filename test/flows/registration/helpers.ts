// What the registration suites share: a provider with every mode on that mails through a real SMTP server, a
// relying app to log in through, Chromium, and the steps a person takes on the pages.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import * as oidc from 'openid-client';
import { expect } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { startCallbackServer } from '../../helpers/callback-server.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { waitUntil } from '../../helpers/wait.ts';
import { authorize, discover } from '../../helpers/rp.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import type { DbKind } from '../../helpers/db.ts';
import { Agent } from '../account/agent.ts';

export interface World {
  idp: TestProvider;
  sink: SmtpSink;
  browser: Browser;
  app: oidc.Configuration;
  redirect: string;
  /** A new browser context (own cookies), optionally in a language such as 'de-DE'. */
  page(locale?: string): Promise<Page>;
  close(): Promise<void>;
}

export async function startWorld(kind: DbKind = 'pglite', env: Record<string, string> = {}): Promise<World> {
  const [sink, rp, browser] = await Promise.all([startSmtpSink(), startCallbackServer(), launchBrowser()]);
  const idp = await startTestProvider(kind, {
    SMTP_URL: sink.url,
    OUTBOX_POLL_MS: '100',
    OUTBOX_BACKOFF_SECONDS: '1',
    REGISTRATION_MODES: 'open,invitation,customer',
    CAPTCHA: 'off',
    ...env,
  });
  const redirect = `${rp.url}/cb`;
  const c = await createClient(idp.services.provider(), { name: 'School portal', redirectUris: [redirect], firstParty: true, grants: ['authorization_code'] });
  const app = await discover(idp.issuer, c.client_id, c.client_secret);
  const contexts: BrowserContext[] = [];
  return {
    idp,
    sink,
    browser,
    app,
    redirect,
    async page(locale = 'en-GB') {
      const context = await browser.newContext({ locale });
      contexts.push(context);
      // A step that cannot happen fails within seconds, naming the selector, instead of at the test's timeout.
      context.setDefaultTimeout(8000);
      return context.newPage();
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await idp.close();
      await Promise.all([sink.stop(), rp.close()]);
    },
  };
}

/** The activation link of a mail, from its text part (the address is written out there too). */
export function activationLink(mail: ReceivedMail): string {
  const m = mail.text.match(/https?:\/\/\S+\/registration\/activate\?token=[\w-]+/);
  if (!m) throw new Error(`no activation link in: ${mail.text}`);
  return m[0];
}

/** The next mail to `to` that arrives after `already` mails to that address. */
export function nextMail(sink: SmtpSink, to: string, already = 0): Promise<ReceivedMail> {
  return waitUntil(() => sink.messages.filter((m) => m.to.includes(to))[already], 8000, `mail ${already + 1} to ${to}`);
}

export const mailsTo = (sink: SmtpSink, to: string) => sink.messages.filter((m) => m.to.includes(to));

/** Opens the link, confirms with the sign-up's password, and returns the page's main text. */
export async function activate(page: Page, link: string, password: string): Promise<string> {
  await page.goto(link);
  await page.fill('#password', password);
  await page.click('form[action="/registration/activate"] button');
  await page.waitForLoadState('domcontentloaded');
  return page.locator('main').innerText();
}

export interface OpenSignUp {
  email: string;
  given?: string;
  family?: string;
  password: string;
}

export async function fillOpen(page: Page, s: OpenSignUp): Promise<void> {
  await page.fill('#email', s.email);
  await page.fill('#given_name', s.given ?? 'Ann');
  await page.fill('#family_name', s.family ?? 'De Wit');
  await page.fill('#password', s.password);
  await page.check('#accept_terms');
  await page.check('#accept_privacy');
}

/** Signs up on the open form and returns the page's main text (the "check your mail" page). */
export async function signUpOpen(w: World, page: Page, s: OpenSignUp): Promise<string> {
  await page.goto(`${w.idp.issuer}/registration/open`);
  await fillOpen(page, s);
  await page.click('button[type=submit].primary');
  await page.waitForLoadState('domcontentloaded');
  return page.locator('main').innerText();
}

/** Logs in through the relying app: its userinfo, or what the page said instead of sending the browser back. */
export async function loginThroughApp(w: World, page: Page, identifier: string, password: string) {
  const a = await authorize(page, w.app, { redirectUri: w.redirect, identifier, password });
  if (!a.callback) return { ok: false as const, text: await page.locator('main').innerText() };
  const tokens = await oidc.authorizationCodeGrant(w.app, a.callback, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
  return { ok: true as const, claims: await oidc.fetchUserInfo(w.app, tokens.access_token, tokens.claims()!.sub) };
}

/** Lets every token of `purpose` expire, as if the clock had moved past their lifetime. */
export async function expireTokens(w: World, purpose = 'registration_activation'): Promise<void> {
  await w.idp
    .db('one_time_tokens')
    .where({ purpose })
    .update({ expires_at: new Date(Date.now() - 1000) });
}

export async function expectHeading(page: Page, text: string | RegExp): Promise<void> {
  expect(await page.locator('h1').innerText()).toMatch(text);
}

/** The slip's step of an invitation sign-up; the page is then on the details form (or on a message). */
export async function slip(w: World, page: Page, username: string, initialPassword: string): Promise<void> {
  await page.goto(`${w.idp.issuer}/registration`);
  await page.click('text=With the username and initial password I received from my school');
  await page.fill('#username', username);
  await page.fill('#initial_password', initialPassword);
  await page.click('button[type=submit].primary');
}

/** The details form of an invitation sign-up: the address, the new password, the terms. */
export async function details(page: Page, password: string, o: { email: string; given?: string; family?: string }): Promise<void> {
  if (o.given !== undefined) await page.fill('#given_name', o.given);
  if (o.family !== undefined) await page.fill('#family_name', o.family);
  await page.fill('#email', o.email);
  await page.fill('#password', password);
  await page.check('#accept_terms');
  await page.check('#accept_privacy');
  await page.click('button[type=submit].primary');
}

/** Logs `page` in to /admin through the provider, as staff. */
export async function loginToAdmin(w: World, page: Page, identifier: string, password: string): Promise<Page> {
  await page.goto(`${w.idp.issuer}/admin`);
  await page.fill('#identifier', identifier);
  await page.fill('#password', password);
  await page.click('button[type=submit].primary');
  await expectHeading(page, 'Registrations to review');
  return page;
}

/** Lena's open sign-up sent over HTTP from a new browser, with `fields` changed: the form it came from and the answer. */
export async function postOpenSignUp(issuer: string, password: string, fields: Record<string, string> = {}, language = 'en') {
  const agent = new Agent(issuer);
  agent.headers['accept-language'] = language;
  const form = await agent.get('/registration/open');
  const flow = /name="flow" value="([^"]+)"/.exec(form.html)![1]!;
  const answer = await agent.post('/registration/open', {
    flow,
    email: 'lena@example.be',
    given_name: 'Lena',
    family_name: 'Maes',
    password,
    accept_terms: 'yes',
    accept_privacy: 'yes',
    ...fields,
  });
  return { form, answer };
}
