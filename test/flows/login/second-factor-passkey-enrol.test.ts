// "Add a passkey instead" at the enrolment of a login to an app that requires two factors, for a person who has none:
// in Chromium with a virtual authenticator, the passkey is made on the enrolment page and the login ends at the app
// with acr urn:belid:acr:mfa and amr pwd+hwk, the passkey listed on the security page and the person told by mail;
// the next login asks for it. Over HTTP with a software authenticator: an answer without the second step's cookie,
// from another browser, at another stage, made for another interaction, forged or replayed is refused and stores
// nothing, two answers at once make one passkey (on PostgreSQL and PGlite); the page offers both ways in each language.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { Browser, BrowserContext, Frame, Page, Route } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { freePort, startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { authorize, discover } from '../../helpers/rp.ts';
import { axeViolations } from '../../helpers/axe.ts';
import { startCallbackServer } from '../../helpers/callback-server.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { softAuthenticator } from '../../helpers/soft-authenticator.ts';
import { enrolOnAccount, secretOf, Totp } from '../../helpers/totp.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { translate, type Locale } from '../../../provider/platform/web/i18n.ts';
import { Agent, formSummary, text, type Response } from '../account/agent.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/cb';
const MFA = 'urn:belid:acr:mfa';
const MODEL = '00000000-0000-0000-0000-000000000000';

describe.each(['pglite', 'postgres'] as const)('a passkey instead of the authenticator app, at a login that requires two factors, on %s', (kind) => {
  let idp: TestProvider;
  let issuer: string;
  let smtp: SmtpSink;
  let rp: Awaited<ReturnType<typeof startCallbackServer>>;
  let strict: client.Configuration;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    [rp, smtp] = await Promise.all([startCallbackServer(), startSmtpSink()]);
    const port = await freePort();
    issuer = `http://localhost:${port}`;
    idp = await startTestProvider(kind, {
      PORT: String(port),
      ISSUER: issuer,
      SMTP_URL: smtp.url,
      OUTBOX_POLL_MS: '100',
      RATE_LIMIT_FLOWS: '100',
      REGISTRATION_MODES: 'open',
    });
    const { db, users, hasher, provider } = idp.services;
    const hash = await hasher.hash(PASSWORD);
    for (const username of ['eva', 'fons', 'gert', 'hanna', 'ida', 'jef', 'kas', 'lies', 'mona', 'nils']) {
      ids[username] = (await users.create(db, { username, email: `${username}@example.be`, emailVerified: true, passwordHash: hash, status: 'active' })).id;
    }
    const s = await createClient(provider(), { name: 'Tax portal', redirectUris: [`${rp.url}/cb`, REDIRECT], firstParty: true, requireMfa: true });
    strict = await discover(issuer, s.client_id, s.client_secret);
  });
  afterAll(async () => {
    await idp?.close();
    await Promise.all([rp?.close(), smtp?.stop()]);
  });

  const passkeysOf = (username: string) => idp.db('passkeys').where({ user_id: ids[username] });
  const atCallback = (l: string) => l.startsWith(REDIRECT);
  const title = (r: Response) => text(/<h1>([\s\S]*?)<\/h1>/.exec(r.html)?.[1] ?? '');

  // The browser's part once; over HTTP on both databases, where PostgreSQL answers two requests at once for real.
  if (kind === 'pglite')
    describe.skipIf(!has('chromium'))('in Chromium', () => {
      let browser: Browser;
      let context: BrowserContext;
      let page: Page;

      beforeAll(async () => {
        browser = await launchBrowser();
        context = await browser.newContext({ locale: 'en' });
        page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send('WebAuthn.enable');
        await cdp.send('WebAuthn.addVirtualAuthenticator', {
          options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
        });
      });
      afterAll(() => browser?.close());

      /** The strict app's login up to the page after the password; the login page's passkey autofill is kept from answering. */
      async function passwordStep(identifier = 'eva') {
        await context.clearCookies();
        await page.route('**/interaction/*/passkey/options', (route) => route.abort());
        const a = await authorize(page, strict, { redirectUri: `${rp.url}/cb`, identifier, password: PASSWORD });
        await page.waitForURL((u) => u.pathname.endsWith('/second-factor'));
        await page.unrouteAll();
        return a;
      }

      async function tokensAt(a: Awaited<ReturnType<typeof authorize>>) {
        await page.waitForURL((u) => u.href.startsWith(rp.url));
        const tokens = await client.authorizationCodeGrant(strict, new URL(page.url()), {
          pkceCodeVerifier: a.verifier,
          expectedState: a.state,
          expectedNonce: a.nonce,
        });
        return tokens.claims();
      }

      it('makes the passkey on the enrolment page and ends the login with two factors; the next login asks for it', async () => {
        let a = await passwordStep();
        await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Add a second step to your login');
        await expect(page.getByRole('heading', { name: 'With an authenticator app on your phone' }).isVisible()).resolves.toBe(true);
        await expect(page.getByRole('heading', { name: 'Or with a passkey on this device' }).isVisible()).resolves.toBe(true);
        expect(await axeViolations(page)).toEqual([]);

        await page.getByLabel('Name of the passkey').fill('Laptop');
        await page.getByRole('button', { name: 'Create a passkey' }).click();
        expect(await tokensAt(a)).toMatchObject({ acr: MFA, amr: ['pwd', 'hwk'] });
        expect(await passkeysOf('eva')).toMatchObject([{ name: 'Laptop' }]);
        // The app offered beside it cannot be activated later with the secret the page showed.
        expect(await idp.db('totp_factors').where({ user_id: ids.eva })).toEqual([]);
        expect(await idp.db('audit_log').where({ event: 'passkey.registered', user_id: ids.eva })).toHaveLength(1);
        // Found by the same filter as an app enrolled at a login.
        expect(await idp.db('audit_log').where({ event: 'second_factor.enrolled', user_id: ids.eva }).pluck('details')).toEqual([{ kind: 'passkey' }]);
        const mail = await smtp.waitFor((m) => m.to.includes('eva@example.be'));
        expect(mail.subject).toBe('A passkey was added to your account');

        await page.goto(`${issuer}/account/security`);
        await expect(page.locator('#passkey-list tbody th').innerText()).resolves.toBe('Laptop');

        a = await passwordStep();
        await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Confirm with a passkey');
        await page.getByRole('button', { name: 'Use a passkey' }).click();
        expect(await tokensAt(a)).toMatchObject({ acr: MFA, amr: ['pwd', 'hwk'] });
      });

      it('says so when too many passkey requests came from here, and for how long, instead of reloading the page, there and on the login page', async () => {
        const tooMany = (wait: number) => (route: Route) =>
          route.fulfill({ status: 429, contentType: 'application/json', headers: { 'retry-after': String(wait) }, body: '{"error":"rate_limited"}' });
        let loads = 0;
        const count = (frame: Frame) => void (frame === page.mainFrame() && loads++);
        page.on('framenavigated', count);
        try {
          await passwordStep('nils');
          await page.route('**/second-factor/enrol/passkey/options', tooMany(3600));
          loads = 0;
          await page.getByLabel('Name of the passkey').fill('Laptop');
          await page.getByRole('button', { name: 'Create a passkey' }).click();
          // The script writes the message once the refusal is back: read until it is there.
          const status = () => page.locator('[data-passkey-status]').innerText();
          await expect.poll(status).toBe('Too many attempts. Try again in 1 hour.');
          expect(loads).toBe(0);

          // The login page asks for options as it opens (the autofill): refused, it waits quietly, without reloading.
          await context.clearCookies();
          await page.route('**/interaction/*/passkey/options', tooMany(120));
          loads = 0;
          await page.goto(
            client.buildAuthorizationUrl(strict, {
              redirect_uri: `${rp.url}/cb`,
              scope: 'openid',
              code_challenge: 'x'.repeat(43),
              code_challenge_method: 'S256',
            }).href,
          );
          await page.waitForTimeout(1500);
          expect(loads).toBe(1);
          await page.getByRole('button', { name: 'Log in with a passkey' }).click();
          await expect.poll(status).toBe('Too many attempts. Try again in 2 minutes.');
          expect(loads).toBe(1);
        } finally {
          page.off('framenavigated', count);
          await page.unrouteAll();
        }
        expect(await passkeysOf('nils')).toEqual([]);
      });
    });

  describe('over HTTP', () => {
    /** The strict app's login in `agent` up to the page after the password. */
    async function passwordStep(agent: Agent, username: string, params: Record<string, string> = {}) {
      const { page, tokens } = await agent.startAuthorization(strict, REDIRECT, 'openid', params);
      return { page: await agent.submitLogin(page, username, PASSWORD, atCallback), tokens };
    }

    /** What the page's script does: fetch the options of its passkey form. */
    async function options(agent: Agent, page: Response) {
      const path = /data-passkey-register data-options="([^"]+)"/.exec(page.html)?.[1];
      if (!path) throw new Error(`no passkey form on ${page.url}: ${title(page)}`);
      const res = await agent.raw(path, { form: {} });
      return { path: path.replace(/\/options$/, ''), ...((await res.json()) as { flow: string; options: { challenge: string } }) };
    }

    const answer = (agent: Agent, path: string, flow: string, response: unknown, name = 'Phone') =>
      agent.go(path, { form: { flow, response: JSON.stringify(response), name } }, atCallback);

    /** Adds a passkey on the security page of a logged-in agent. */
    async function addPasskeyOnAccount(agent: Agent) {
      const o = (await (await agent.raw('/account/passkeys/options', { form: {} })).json()) as { flow: string; options: { challenge: string } };
      const r = await answer(agent, '/account/passkeys', o.flow, softAuthenticator(MODEL, issuer).register(o.options.challenge), 'Owner key');
      expect(r.url).toContain('/account/security');
    }

    it('refuses an answer without the cookie, for another interaction, forged or replayed, and stores nothing until a right one', async () => {
      const key = softAuthenticator(MODEL, issuer);
      const agent = new Agent(issuer);
      const first = await passwordStep(agent, 'fons');
      expect(title(first.page)).toBe('Add a second step to your login');
      const o = await options(agent, first.page);
      const right = key.register(o.options.challenge);

      // Without the second step's cookie: back to the login, the challenge untouched.
      const stranger = new Agent(issuer);
      for (const [k, v] of agent.jar) if (!k.startsWith('second_factor')) stranger.jar.set(k, v);
      expect(title(await answer(stranger, o.path, o.flow, right))).toBe('Log in');
      // With the step's cookie but from another browser (its own flow cookie): the challenge is not this browser's.
      const copy = new Agent(issuer);
      for (const [k, v] of agent.jar) if (!k.startsWith('flow_browser')) copy.jar.set(k, v);
      const foreign = await answer(copy, o.path, o.flow, right);
      expect([foreign.status, formSummary(foreign.html)]).toEqual([403, expect.stringContaining('This page was opened in another browser')]);
      expect(await passkeysOf('fons')).toEqual([]);

      // A new login in this browser: the answer made in the first one is refused there, on the enrolment page.
      const second = await passwordStep(agent, 'fons', { prompt: 'login' });
      const elsewhere = await answer(agent, `${new URL(second.page.url).pathname}/enrol/passkey`, o.flow, right);
      expect(elsewhere.status).toBe(404);
      expect(title(elsewhere)).toBe('Add a second step to your login');
      expect(formSummary(elsewhere.html)).toContain('This page is no longer valid. Start again.');
      // …and the first login, replaced by the second in this browser, is over.
      const stale = await answer(agent, o.path, o.flow, right);
      expect([stale.status, title(stale)]).toEqual([410, 'This login is over']);

      // A forged answer (another challenge) spends the challenge: the right answer after it is too late.
      let p = await options(agent, elsewhere);
      const forged = await answer(agent, p.path, p.flow, key.register('A'.repeat(43)));
      expect(forged.status).toBe(400);
      // The form's own problem, without the lead-in that points to problems next to fields: there are none.
      expect(formSummary(forged.html)).toBe('The answer of your passkey could not be verified. Try again.');
      const late = await answer(agent, p.path, p.flow, key.register(p.options.challenge));
      expect(late.status).toBe(409);
      expect(formSummary(late.html)).toContain('This passkey request is no longer valid. Try again.');
      expect(await passkeysOf('fons')).toEqual([]);

      // Without a name, the name is asked before the challenge is spent; then the login ends with two factors.
      p = await options(agent, late);
      const made = key.register(p.options.challenge);
      const unnamed = await answer(agent, p.path, p.flow, made, ' ');
      expect(unnamed.status).toBe(400);
      expect(text(unnamed.html)).toContain('Enter a name for the passkey, of at most 60 characters.');
      const done = await answer(agent, p.path, p.flow, made);
      expect((await second.tokens(done)).claims()).toMatchObject({ acr: MFA, amr: ['pwd', 'hwk'] });
      expect(await passkeysOf('fons')).toMatchObject([{ name: 'Phone' }]);

      // The same answer again, in a login that now asks for the passkey: not at the enrolment any more.
      const third = await passwordStep(agent, 'fons', { prompt: 'login' });
      expect(title(third.page)).toBe('Confirm with a passkey');
      const again = await answer(agent, `${new URL(third.page.url).pathname}/enrol/passkey`, p.flow, made);
      expect(title(again)).toBe('Log in');
      expect(await passkeysOf('fons')).toHaveLength(1);
    });

    it('refuses a name holding a bidi override or isolate, which would reorder the mail that tells of the passkey', async () => {
      const agent = new Agent(issuer);
      const { page } = await passwordStep(agent, 'lies');
      const o = await options(agent, page);
      const made = softAuthenticator(MODEL, issuer).register(o.options.challenge);
      // Nor one of invisible characters only, which the security page's list would show as nothing.
      for (const name of ['Phone\u202Eexe.gnp', 'Phone\u2067 left', '\u200B', '\u3164\u3164']) {
        const refused = await answer(agent, o.path, o.flow, made, name);
        expect([refused.status, text(refused.html)]).toEqual([400, expect.stringContaining('Enter a name for the passkey, of at most 60 characters.')]);
      }
      // A NUL is the name's problem too, said as every form says it, rather than the generic page.
      const nul = await answer(agent, o.path, o.flow, made, 'Pho\u0000ne');
      expect([nul.status, text(/id="name-error"[^>]*>([\s\S]*?)<\/ul>/.exec(nul.html)?.[1] ?? '')]).toEqual([
        400,
        'Use visible characters only: control and text-direction characters cannot be used here.',
      ]);
      expect(atCallback((await answer(agent, o.path, o.flow, made)).url)).toBe(true);
      expect(await passkeysOf('lies')).toMatchObject([{ name: 'Phone' }]);
    });

    it('makes one passkey of two answers sent at once, each to options of its own, and ends the login once', async () => {
      const agent = new Agent(issuer);
      const { page } = await passwordStep(agent, 'ida');
      const [a, b] = [await options(agent, page), await options(agent, page)];
      const answers = await Promise.all(
        [a, b].map((o, i) => answer(agent, o.path, o.flow, softAuthenticator(MODEL, issuer).register(o.options.challenge), `Key ${i}`)),
      );
      expect(answers.filter((r) => atCallback(r.url))).toHaveLength(1);
      expect(await passkeysOf('ida')).toHaveLength(1);
      expect(await idp.db('audit_log').where({ event: 'passkey.registered', user_id: ids.ida })).toHaveLength(1);
      expect(await idp.db('audit_log').where({ event: 'second_factor.enrolled', user_id: ids.ida })).toHaveLength(1);
    });

    it('ends an enrolment begun before the person added an app or a passkey elsewhere: whoever has only the password adds nothing', async () => {
      for (const [username, add] of [
        ['jef', (owner: Agent) => enrolOnAccount(owner)],
        ['kas', (owner: Agent) => addPasskeyOnAccount(owner)],
      ] as const) {
        // An outsider with the password waits at the enrolment with its page…
        const outsider = new Agent(issuer);
        const { page } = await passwordStep(outsider, username);
        expect(title(page)).toBe('Add a second step to your login');
        const o = await options(outsider, page);
        // …while the owner adds a second factor on the security page.
        const owner = new Agent(issuer);
        await owner.login(username, PASSWORD);
        await add(owner);
        const before = await passkeysOf(username);

        expect(title(await answer(outsider, o.path, o.flow, softAuthenticator(MODEL, issuer).register(o.options.challenge)))).toBe('Log in');
        const refused = await outsider.raw(`${o.path}/options`, { form: {} });
        expect([refused.status, refused.headers.get('content-type')]).toEqual([302, expect.not.stringContaining('json')]);
        const code = await new Totp(secretOf(page.html)!).next();
        expect(title(await outsider.go(`${new URL(page.url).pathname}/enrol`, { form: { code } }, atCallback))).toBe('Log in');
        expect(await passkeysOf(username)).toEqual(before);
        expect(await idp.db('totp_factors').where({ user_id: ids[username] }).whereNotNull('confirmed_at')).toHaveLength(username === 'jef' ? 1 : 0);
      }
    });

    it('takes no passkey at the stage of a person who has an app', async () => {
      const account = new Agent(issuer);
      await account.login('hanna', PASSWORD);
      await enrolOnAccount(account);
      const agent = new Agent(issuer);
      const { page } = await passwordStep(agent, 'hanna');
      expect(title(page)).toBe('Enter the 6-digit code from your app');
      const path = `${new URL(page.url).pathname}/enrol/passkey`;
      const refused = await agent.raw(`${path}/options`, { form: {} });
      expect(refused.status).toBe(302);
      expect(refused.headers.get('content-type')).not.toContain('json');
      const key = softAuthenticator(MODEL, issuer);
      expect(title(await answer(agent, path, 'x', key.register('A'.repeat(43))))).toBe('Log in');
      expect(await passkeysOf('hanna')).toEqual([]);
    });

    it('counts the passkey options after the password for the account: no one behind the same address uses them up', async () => {
      // Someone else on the person's address starts sign-ups, which need no password, until the address's share of
      // flows is spent.
      let status = 0;
      for (let i = 0; i <= 100 && status !== 429; i++) status = (await fetch(`${issuer}/registration/open`)).status;
      expect(status).toBe(429);
      try {
        const key = softAuthenticator(MODEL, issuer);
        const agent = new Agent(issuer);
        const first = await passwordStep(agent, 'mona');
        const o = await options(agent, first.page);
        const done = await answer(agent, o.path, o.flow, key.register(o.options.challenge));
        expect((await first.tokens(done)).claims()).toMatchObject({ acr: MFA, amr: ['pwd', 'hwk'] });
        const next = await passwordStep(agent, 'mona', { prompt: 'login' });
        expect(title(next.page)).toBe('Confirm with a passkey');
        const asked = await agent.raw(`${new URL(next.page.url).pathname}/passkey/options`, { form: {} });
        expect([asked.status, asked.headers.get('content-type')]).toEqual([200, expect.stringContaining('json')]);
      } finally {
        await idp.db('rate_limits').whereLike('key', 'flow_starts%').delete();
      }
    });

    it.each(['nl', 'fr', 'de', 'en'] as Locale[])('offers both ways in %s', async (locale) => {
      const { page } = await passwordStep(new Agent(issuer), 'gert', { ui_locales: locale });
      expect(title(page)).toBe(translate(locale, 'second_factor.enrol.login_title'));
      for (const key of ['second_factor.enrol.app_title', 'second_factor.enrol.passkey_title', 'second_factor.enrol.passkey_submit']) {
        expect(text(page.html)).toContain(translate(locale, key));
      }
      const label = (field: string) => text(new RegExp(`<label for="${field}">([^<]*)</label>`).exec(page.html)?.[1] ?? '');
      expect(label('code')).toBe(translate(locale, 'second_factor.enrol.code'));
      expect(label('name')).toBe(translate(locale, 'passkeys.new.name'));
    });
  });
});
