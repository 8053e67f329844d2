// Logging in, linking and reactivating through an upstream identity provider ("the bank"), in Chromium. The bank is a
// second instance of this provider, on http://localhost (its own cookies), with a client for our callback; our
// provider runs on http://127.0.0.1. Relying apps on our provider (one requiring two factors) check what the ID tokens say.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { freePort, startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { discover } from '../../helpers/rp.ts';
import { axeViolations } from '../../helpers/axe.ts';
import { startCallbackServer } from '../../helpers/callback-server.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { addUpstream } from '../../../provider/domain/upstreams/repository.ts';
import { upstreamSecretBox } from '../../../provider/domain/upstreams/secret-box.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import { passkeysOf } from '../../../provider/domain/passkeys/repository.ts';
import { storedPasskey } from '../../helpers/passkeys.ts';
import { createSecondFactorStore } from '../../../provider/domain/second-factors/store.ts';
import { Totp } from '../../helpers/totp.ts';
import { Agent } from '../account/agent.ts';

const PASSWORD = 'correct horse battery staple';
const MOBILE = '+32470123456';
// Two providers and a browser on a shared, loaded machine.
const SLOW = 60_000;

describe.skipIf(!has('chromium'))('upstream identity providers in the browser', () => {
  let idp: TestProvider;
  let bank: TestProvider | undefined;
  let BANK: string;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let rp: Awaited<ReturnType<typeof startCallbackServer>>;
  let portal: client.Configuration;
  let strict: client.Configuration;
  let jan: User;
  const REDIRECT = () => `${rp.url}/cb`;

  beforeAll(async () => {
    const bankPort = await freePort();
    BANK = `http://localhost:${bankPort}`;
    [idp, bank, rp, browser] = await Promise.all([
      startTestProvider('pglite', { CAPTCHA: 'off', REGISTRATION_MODES: 'open' }),
      startTestProvider('pglite', { PORT: String(bankPort), ISSUER: BANK }),
      startCallbackServer(),
      launchBrowser(),
    ]);
    // At the bank: its customers, and our provider as a client of it.
    const b = bank.services;
    await b.users.create(b.db, {
      username: 'jan.bank',
      email: 'jan@bank.example',
      emailVerified: true,
      givenName: 'Jan',
      familyName: 'Peeters',
      passwordHash: await b.hasher.hash(PASSWORD),
      status: 'active',
    });
    await b.users.create(b.db, {
      username: 'nora.bank',
      email: 'nora@bank.example',
      emailVerified: true,
      givenName: 'Nora',
      familyName: 'Nieuw',
      passwordHash: await b.hasher.hash(PASSWORD),
      status: 'active',
    });
    const atBank = await createClient(b.provider(), { name: 'Belid', redirectUris: [`${idp.issuer}/upstream/callback`], firstParty: true });

    // At our provider: the bank as upstream, two accounts, and a relying app.
    const { db, users, hasher, provider } = idp.services;
    await addUpstream(db, await upstreamSecretBox(idp.services.config, db), {
      slug: 'bank',
      name: 'My Bank',
      issuer: BANK,
      clientId: atBank.client_id,
      clientSecret: atBank.client_secret!,
      scopes: 'openid profile email',
      subjectClaim: 'sub',
      acrFromUpstream: true,
    });
    jan = await users.create(db, {
      username: 'jan',
      email: 'jan@example.be',
      emailVerified: true,
      givenName: 'Jan',
      familyName: 'Peeters',
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
      locale: 'en',
    });
    await users.setVerifiedPhone(db, jan.id, MOBILE);
    await users.create(db, { username: 'piet', email: 'piet@example.be', emailVerified: true, passwordHash: await hasher.hash(PASSWORD), status: 'active' });
    const app = await createClient(provider(), { name: 'Crisis portal', redirectUris: [REDIRECT()], firstParty: true });
    portal = await discover(idp.issuer, app.client_id, app.client_secret);
    const s = await createClient(provider(), { name: 'Tax portal', redirectUris: [REDIRECT()], firstParty: true, requireMfa: true });
    strict = await discover(idp.issuer, s.client_id, s.client_secret);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await Promise.all([idp?.close(), bank?.close(), rp?.close()]);
  });

  async function freshPage(): Promise<Page> {
    await context?.close();
    context = await browser.newContext({ locale: 'en-GB' });
    return context.newPage();
  }

  const main = (page: Page) => page.locator('main').innerText();

  async function submit(page: Page, selector = 'button[type=submit].primary') {
    await Promise.all([page.waitForLoadState('domcontentloaded'), page.click(selector)]);
  }

  /** On the bank's own login page: log in there, as its customer. */
  async function logInAtBank(page: Page, username: string) {
    await page.waitForURL(`${BANK}/interaction/**`);
    await page.fill('#identifier', username);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
  }

  /** The relying app sends the browser to our login page. */
  async function authorize(page: Page, app = portal) {
    const checks = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce() };
    const url = client.buildAuthorizationUrl(app, {
      redirect_uri: REDIRECT(),
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
    await page.goto(url.href);
    return checks;
  }

  /** …where the person picks "Log in with My Bank". */
  async function authorizeWithBank(page: Page, app = portal) {
    const checks = await authorize(page, app);
    await page.getByRole('link', { name: 'Log in with My Bank' }).click();
    return checks;
  }

  /** The relying app's code exchange once the browser is back at it. */
  async function tokensAt(page: Page, checks: { verifier: string; state: string; nonce: string }, app = portal) {
    await page.waitForURL(`${REDIRECT()}**`);
    const tokens = await client.authorizationCodeGrant(app, new URL(page.url()), {
      pkceCodeVerifier: checks.verifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
    });
    return tokens.claims()!;
  }

  /** Holds the bank's redirect to our callback instead of following it, and returns its URL. A route handler sees
   * only the first request of a redirect chain: each redirect of the bank is answered without its Location (its
   * cookies applied) and navigated to afresh, until the one to our callback. */
  async function heldCallback(page: Page, username: string): Promise<URL> {
    let held: string | undefined;
    let next: string | undefined;
    await page.route(`${BANK}/**`, async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const location = response.headers().location;
      if (!location) return route.fulfill({ response });
      const target = new URL(location, route.request().url()).href;
      if (target.startsWith(`${idp.issuer}/upstream/callback`)) held = target;
      else next = target;
      const { location: _, ...headers } = response.headers();
      return route.fulfill({ status: 200, headers, contentType: 'text/plain', body: 'held' });
    });
    await logInAtBank(page, username);
    for (let hops = 0; hops < 5 && !held; hops++) {
      await expect.poll(() => held ?? next, { timeout: 15_000 }).toBeDefined();
      if (held) break;
      const url = next!;
      next = undefined;
      await page.goto(url);
    }
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    return new URL(held!);
  }

  async function selfLogin(page: Page, username: string, returnTo: string) {
    await page.goto(`${idp.issuer}/self/login?return_to=${encodeURIComponent(returnTo)}`);
    await page.fill('#identifier', username);
    await page.fill('#password', PASSWORD);
    await submit(page);
    await page.waitForURL(`${idp.issuer}${returnTo}`);
  }

  it(
    'links the bank identity to an account at the first login, then logs in with the bank alone; ID tokens say fed',
    async () => {
      let page = await freshPage();
      let checks = await authorizeWithBank(page);
      await logInAtBank(page, 'jan.bank');
      await page.waitForURL(`${idp.issuer}/upstream/link/**`);
      expect(await page.locator('h1').innerText()).toBe('Link to your account');
      expect(await main(page)).toContain('My Bank confirmed who you are (Jan Peeters), but this identity is not linked to an account here yet.');

      // An account with a second factor is not linked by its password alone (an attack pass linked its own bank
      // identity to such an account with a known password, and the link outlived a new password).
      const factors = createSecondFactorStore(idp.services.config, idp.db);
      await factors.start(idp.db, jan.id, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
      await factors.confirm(idp.db, jan.id, 1);
      const linkPage = page.url();
      await page.fill('#identifier', 'jan');
      await page.fill('#password', PASSWORD);
      await submit(page);
      expect(await main(page)).toContain('Your account asks for a second step at login, which this page cannot ask.');
      expect(await idp.db('upstream_links').where({ user_id: jan.id }).count({ n: '*' })).toEqual([{ n: 0 }]);
      await factors.remove(idp.db, jan.id);
      await page.goto(linkPage);

      await page.fill('#identifier', 'jan');
      await page.fill('#password', 'not the password');
      await submit(page);
      expect(await page.locator('#form-error').innerText()).toContain('is not correct');
      await page.fill('#password', PASSWORD);
      await submit(page);
      const first = await tokensAt(page, checks);
      expect(first.sub).toBe(jan.sub);
      expect(first.amr).toEqual(['fed', 'pwd']);
      // The owner hears of the link: a way in that a password made, and that a new password does not end.
      expect(await idp.db('outbox').where({ user_id: jan.id, channel: 'email' }).pluck('subject')).toContain('A login with My Bank was linked to your account');
      // The upstream is trusted to state its level (--acr-from-upstream): the bank logged its customer in with a password.
      expect(first.acr).toBe('urn:belid:acr:password');

      page = await freshPage();
      checks = await authorizeWithBank(page);
      await logInAtBank(page, 'jan.bank');
      const second = await tokensAt(page, checks);
      expect(second.sub).toBe(jan.sub);
      expect(second.amr).toEqual(['fed']);
    },
    SLOW,
  );

  it("starts a bank login only for the browser that holds that login: a uid read off another person's screen spends nothing", async () => {
    const owner = new Agent(idp.issuer);
    const { client_id } = portal.clientMetadata();
    const login = await owner.get(
      `/auth?client_id=${client_id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT())}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
    );
    const uid = /\/interaction\/([^/?#]+)/.exec(login.url)![1]!;
    expect(login.html).toContain(`href="/interaction/${uid}/upstream/bank/start"`);
    const flows = () => idp.db('self_service_flows').where({ type: 'upstream_login' }).count({ n: '*' }).first();
    const before = await flows();
    // More starts than the login's allowance (RATE_LIMIT_FLOWS a minute), from a browser without the login's cookie.
    const stranger = new Agent(idp.issuer);
    for (let i = 0; i < 125; i++) {
      const res = await stranger.raw(`/interaction/${uid}/upstream/bank/start`);
      expect(res.status).toBe(410);
    }
    // For that browser there is no such login: the page says the login is over, and names nobody's.
    expect(await (await stranger.raw(`/interaction/${uid}/upstream/bank/start`)).text()).toContain(
      'It was finished, or it waited too long. Go back to the application and start again, or open your account.',
    );
    // The old address, which named the login in its query, starts no login at all.
    expect((await owner.raw(`/upstream/bank/start?purpose=login&interaction=${uid}`)).status).toBe(400);
    expect(await flows()).toEqual(before);
    // The owner's own browser still goes to the bank.
    const started = await owner.raw(`/interaction/${uid}/upstream/bank/start`);
    expect(started.status).toBe(302);
    expect(new URL(started.headers.get('location')!).origin).toBe(BANK);
  });

  it('starts no bank login for an app that accepts only the eID card or a passkey: its ID token could not say fed', async () => {
    const owner = new Agent(idp.issuer);
    const { client_id } = portal.clientMetadata();
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:belid:acr:eid', 'urn:belid:acr:passkey'] } } });
    const login = await owner.get(
      `/auth?client_id=${client_id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT())}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256&claims=${encodeURIComponent(claims)}`,
    );
    const uid = /\/interaction\/([^/?#]+)/.exec(login.url)![1]!;
    expect(login.html).not.toContain('/upstream/bank/start');
    // The button's address typed anyway: the bank's login would only lead back to this page, so it is not started.
    const refused = await owner.raw(`/interaction/${uid}/upstream/bank/start`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('This application asks you to log in with your eID card or a passkey.');
  });

  it(
    'asks for the second factor after the bank when the app requires two (the bank proved one): acr mfa, amr fed and otp',
    async () => {
      const factors = createSecondFactorStore(idp.services.config, idp.db);
      const app = new Totp('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
      await factors.start(idp.db, jan.id, app.secret);
      await factors.confirm(idp.db, jan.id, 1);
      // Without two factors required, the bank's login is enough, as before.
      let page = await freshPage();
      let checks = await authorizeWithBank(page);
      await logInAtBank(page, 'jan.bank');
      expect((await tokensAt(page, checks)).amr).toEqual(['fed']);

      page = await freshPage();
      checks = await authorizeWithBank(page, strict);
      await logInAtBank(page, 'jan.bank');
      await page.waitForURL((u) => u.pathname.endsWith('/second-factor'));
      expect(await page.locator('h1').innerText()).toBe('Enter the 6-digit code from your app');
      await page.fill('#code', await app.next());
      await submit(page);
      const claims = await tokensAt(page, checks, strict);
      expect(claims).toMatchObject({ sub: jan.sub, acr: 'urn:belid:acr:mfa', amr: ['fed', 'otp'] });
      await factors.remove(idp.db, jan.id);
    },
    SLOW,
  );

  it(
    'lists linked identities on the account page; another account cannot link one and is not told whose it is',
    async () => {
      let page = await freshPage();
      await selfLogin(page, 'piet', '/account/connections');
      expect(await main(page)).toContain('No login of another service is linked to your account.');
      await page.getByRole('link', { name: 'Link My Bank' }).click();
      await logInAtBank(page, 'jan.bank');
      await page.waitForURL(`${idp.issuer}/upstream/callback**`);
      const refusal = await main(page);
      expect(refusal).toContain('This identity is already linked to another account');
      for (const secret of ['jan', 'Jan', 'Peeters', 'example.be']) expect(refusal).not.toContain(secret);
      expect(await idp.db('upstream_links').where({ user_id: jan.id })).toHaveLength(1);

      // Jan removes the link, and links it again from the account page.
      page = await freshPage();
      await selfLogin(page, 'jan', '/account/connections');
      const row = page.locator('#connections tr[data-upstream="bank"]');
      expect(await row.innerText()).toContain('My Bank');
      expect(await row.innerText()).toContain('Jan Peeters');
      await submit(page, '#connections tr[data-upstream="bank"] button');
      expect(await page.locator('#upstream-done').innerText()).toBe('The link was removed.');
      expect(await page.locator('#connections').innerText()).toContain('No login of another service');
      await page.getByRole('link', { name: 'Link My Bank' }).click();
      await logInAtBank(page, 'jan.bank');
      await page.waitForURL(`${idp.issuer}/account/connections?done=linked`);
      expect(await page.locator('#upstream-done').innerText()).toBe('The login was linked to your account.');
      expect(await page.locator('#connections tr[data-upstream="bank"]').count()).toBe(1);
      // Made by a login to her account: a link that cannot stand in for her eID card at a reactivation.
      expect(await idp.db('upstream_links').where({ user_id: jan.id }).pluck('made_with')).toEqual(['login']);
    },
    SLOW,
  );

  it(
    'shows its pages accessibly (axe-core, WCAG 2.2 AA): login and reactivation buttons, link page, account page',
    async () => {
      await context?.close();
      // axe is injected as a script: this context alone bypasses the CSP.
      context = await browser.newContext({ locale: 'en-GB' });
      const page = await context.newPage();
      const problems: string[] = [];
      const check = async (name: string) => {
        for (const v of await axeViolations(page)) problems.push(`${name}: ${v.id} ${v.help} — ${v.targets.slice(0, 3).join(', ')}`);
      };
      await authorize(page);
      await check('login');
      await page.getByRole('link', { name: 'Log in with My Bank' }).click();
      await logInAtBank(page, 'nora.bank');
      await page.waitForURL(`${idp.issuer}/upstream/link/**`);
      await check('link');
      await page.goto(`${idp.issuer}/reactivation`);
      await check('reactivation');
      await selfLogin(page, 'jan', '/account/connections');
      await check('connections');
      expect(problems).toEqual([]);
    },
    SLOW,
  );

  it(
    'reactivates a blocked account through the bank: confirmation, 6-character token, new password, notifications',
    async () => {
      const { db, users, hasher } = idp.services;
      await users.setStatus(db, jan.id, 'blocked');
      // A passkey someone added while the account was out of her hands.
      await storedPasskey(db, jan.id, 'Not hers');
      // Her authenticator app, perhaps lost with the phone: the reactivation removes it.
      const factors = createSecondFactorStore(idp.services.config, db);
      await factors.start(db, jan.id, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
      await factors.confirm(db, jan.id, 1);

      // A blocked account cannot log in with the bank either: it is sent to the reactivation.
      let page = await freshPage();
      await authorizeWithBank(page);
      await logInAtBank(page, 'jan.bank');
      await page.waitForURL(`${idp.issuer}/upstream/callback**`);
      expect(await page.locator('h1').innerText()).toBe('Your account is blocked');

      // Her bank was linked by a login to her account (above), which whoever else knew her password could have done:
      // it does not take the blocked account back (an attack pass did so with his own bank, after staff blocked it).
      page = await freshPage();
      await page.goto(`${idp.issuer}/reactivation`);
      await page.fill('#mobile', '0470 12 34 56');
      await page.getByRole('button', { name: 'Reactivate with My Bank' }).click();
      await logInAtBank(page, 'jan.bank');
      await page.waitForURL(`${idp.issuer}/upstream/callback**`);
      expect(await main(page)).toContain('My Bank was linked to your account by logging in to it, which is not enough to take back a blocked account');
      expect((await users.findById(db, jan.id))!.status).toBe('blocked');
      expect(await db('audit_log').where({ user_id: jan.id, event: 'reactivation.upstream_refused' }).pluck('details')).toEqual([
        expect.objectContaining({ upstream: 'My Bank', reason: 'login_link' }),
      ]);
      // An identity the account was made from does (as if Jan had signed up with her bank).
      await db('upstream_links').where({ user_id: jan.id }).update({ made_with: 'sign_up' });
      page = await freshPage();
      await page.goto(`${idp.issuer}/reactivation`);
      await page.fill('#mobile', '0470 12 34 56');
      await page.getByRole('button', { name: 'Reactivate with My Bank' }).click();
      await logInAtBank(page, 'jan.bank');
      await page.waitForURL(`${idp.issuer}/reactivation/*/confirm`);
      expect(await page.locator('h1').innerText()).toBe('Continue with this account?');
      expect(await page.locator('#vouched-by').innerText()).toContain('My Bank confirmed who you are');
      await submit(page);
      const token = (await page.locator('#activation-token').innerText()).trim();
      expect(token).toMatch(/^[0-9A-Z]{6}$/);
      expect(await main(page)).toContain('For the account linked to your identity at My Bank');

      // On the device being reactivated: the token, the mobile number, a new password.
      await page.goto(`${idp.issuer}/reactivation/token`);
      await page.fill('#mobile', '0470 12 34 56');
      await page.fill('#token', token);
      await submit(page);
      // Her own number is proven again by its SMS code: the token alone does not give the account away.
      await page.waitForURL(`${idp.issuer}/reactivation/account/*/phone`);
      const sms = await db('outbox').where({ channel: 'sms', recipient: MOBILE }).orderBy('created_at', 'desc').first();
      await page.fill('#code', /\b(\d{6})\b/.exec(sms.body_text)![1]!);
      await submit(page);
      await page.waitForURL(`${idp.issuer}/reactivation/account/*/password`);
      const next = 'a new passphrase after the bank';
      await page.fill('#password', next);
      await page.fill('#confirm', next);
      await submit(page);
      expect(await page.locator('h1').innerText()).not.toMatch(/wrong|error/i);

      const after = (await users.findById(db, jan.id))!;
      expect(after.status).toBe('active');
      expect(await hasher.verify(after.password_hash, next)).toBe(true);
      expect(await passkeysOf(db, jan.id)).toEqual([]);
      expect(await factors.hasTotp(db, jan.id)).toBe(false);
      expect(await db('recovery_codes').where({ user_id: jan.id })).toHaveLength(0);
      expect(await db('audit_log').where({ user_id: jan.id, event: 'second_factor.removed' }).select('details')).toEqual([
        { details: { kind: 'totp', by: 'reactivation' } },
      ]);
      const messages = await db('outbox').where({ user_id: jan.id }).orderBy('created_at');
      expect(messages.map((m: { channel: string; recipient: string }) => [m.channel, m.recipient])).toEqual(
        expect.arrayContaining([
          ['email', 'jan@example.be'],
          ['sms', MOBILE],
        ]),
      );
      // They name the way it happened: the bank, not a card.
      for (const m of messages.slice(-2)) expect(m.body_text).toContain('reactivated through My Bank');
      // The eID consent records what a card shared: the bank shared none of it.
      expect(await db('eid_consents').where({ user_id: jan.id })).toHaveLength(0);
    },
    SLOW,
  );

  it(
    "refuses another browser the attacker's reactivation flow: the victim's bank login cannot vouch for it, and the attacker gets no token",
    async () => {
      const { db } = idp.services;
      // The attacker starts a reactivation "through My Bank" with the victim's own number, and keeps the link to the
      // bank step instead of following it.
      const attacker = await browser.newContext({ locale: 'en-GB' });
      const a = await attacker.newPage();
      await a.goto(`${idp.issuer}/reactivation`);
      const csrf = await a.locator('input[name=_csrf]').first().inputValue();
      const started = await attacker.request.post(`${idp.issuer}/reactivation`, {
        form: { _csrf: csrf, mobile: '0470 12 34 56', via: 'bank' },
        maxRedirects: 0,
      });
      expect(started.status()).toBe(303);
      const link = new URL(started.headers().location!, idp.issuer);
      const flowId = link.searchParams.get('flow')!;
      expect(link.pathname).toBe('/upstream/bank/start');

      // The victim, logged in at her bank, opens the link: refused here, never sent to her bank.
      const victim = await freshPage();
      const opened = await victim.goto(link.href);
      expect(opened!.status()).toBe(403);
      expect(victim.url()).toBe(link.href);
      expect(await main(victim)).toContain('This page was opened in another browser than the one where this step was started');
      expect(await axeViolations(victim)).toEqual([]);

      // The attacker's own next steps find a flow nobody vouched for: no card number, no token.
      const confirm = await a.goto(`${idp.issuer}/reactivation/${flowId}/confirm`);
      expect(confirm!.status()).toBe(409);
      const token = await attacker.request.post(`${idp.issuer}/reactivation/${flowId}/confirm`, { form: { _csrf: csrf }, maxRedirects: 0 });
      expect(token.status()).toBe(409);
      expect(await db('one_time_tokens').where({ purpose: 'activation_token', flow_id: flowId })).toHaveLength(0);
      expect(await db('audit_log').where({ event: 'flow.opened_elsewhere' }).whereRaw("details->>'flow' = ?", [flowId])).toHaveLength(1);
      await attacker.close();
    },
    SLOW,
  );

  it(
    'creates an account from what the bank vouched for, where sign-up is open',
    async () => {
      const page = await freshPage();
      const checks = await authorizeWithBank(page);
      await logInAtBank(page, 'nora.bank');
      await page.waitForURL(`${idp.issuer}/upstream/link/**`);
      await submit(page, 'form[action$="/create"] button');
      expect(await page.locator('#accept_terms-error').innerText()).toContain('accept the terms');
      await page.check('#accept_terms');
      await page.check('#accept_privacy');
      await submit(page, 'form[action$="/create"] button');
      const claims = await tokensAt(page, checks);
      expect(claims.amr).toEqual(['fed']);
      const [nora] = await idp.services.users.findByIdentifier(idp.db, 'nora@bank.example', 'email');
      expect(nora).toMatchObject({
        sub: claims.sub,
        username: 'nora.nieuw',
        given_name: 'Nora',
        family_name: 'Nieuw',
        email_verified: true,
        status: 'active',
        password_hash: null,
      });
      // Her bank identity is her account's origin: it may stand in for a card at a reactivation.
      expect(await idp.db('upstream_links').where({ user_id: nora!.id }).pluck('made_with')).toEqual(['sign_up']);
    },
    SLOW,
  );

  it(
    'refuses an answer whose state or nonce was tampered with, and a replayed answer',
    async () => {
      let page = await freshPage();
      await authorizeWithBank(page);
      const held = await heldCallback(page, 'jan.bank');
      const tampered = new URL(held);
      tampered.searchParams.set('state', 'tampered-state');
      let res = await page.goto(tampered.href);
      expect(res!.status()).toBe(400);
      expect(await main(page)).toContain('The answer from My Bank could not be verified');
      // The flow was spent by the tampered answer: the genuine one, replayed, finds nothing to continue.
      res = await page.goto(held.href);
      expect(res!.status()).toBe(409);
      expect(await main(page)).toContain('This answer was already used');

      page = await freshPage();
      await authorizeWithBank(page);
      const genuine = await heldCallback(page, 'jan.bank');
      const flow = await idp.db('self_service_flows').where({ type: 'upstream_login', state: 'redirected' }).orderBy('created_at', 'desc').first();
      const data = typeof flow.data === 'string' ? JSON.parse(flow.data) : flow.data;
      await idp
        .db('self_service_flows')
        .where({ id: flow.id })
        .update({ data: JSON.stringify({ ...data, checks: { ...data.checks, nonce: 'a-nonce-of-another-login' } }) });
      res = await page.goto(genuine.href);
      expect(res!.status()).toBe(400);
      expect(await main(page)).toContain('could not be verified');

      // An answer reaching another browser (no flow cookie) continues nothing either.
      page = await freshPage();
      res = await page.goto(genuine.href);
      expect(res!.status()).toBe(400);
      expect(await main(page)).toContain('This step is no longer valid in this browser');
    },
    SLOW,
  );

  it(
    'shows a clear page with a way to try again when the bank is down, before or after the redirect',
    async () => {
      const { db, config } = idp.services;
      await addUpstream(db, await upstreamSecretBox(config, db), {
        slug: 'closed',
        name: 'Closed Bank',
        issuer: `http://127.0.0.1:${await freePort()}`,
        clientId: 'x',
        clientSecret: 'y',
        uses: ['login'],
      });
      let page = await freshPage();
      await authorize(page);
      const href = await page.getByRole('link', { name: 'Log in with Closed Bank' }).getAttribute('href');
      let res = await page.goto(`${idp.issuer}${href}`);
      expect(res!.status()).toBe(503);
      expect(await page.locator('h1').innerText()).toBe('The login service cannot be reached');
      expect(await main(page)).toContain('Closed Bank cannot be reached at the moment');
      expect(await page.getByRole('link', { name: 'Try again' }).getAttribute('href')).toBe(href);

      page = await freshPage();
      await authorizeWithBank(page);
      const held = await heldCallback(page, 'jan.bank');
      await bank!.close();
      bank = undefined;
      res = await page.goto(held.href);
      expect(res!.status()).toBe(503);
      expect(await main(page)).toContain('My Bank cannot be reached at the moment');
      expect(await page.getByRole('link', { name: 'Back' }).getAttribute('href')).toMatch(/^\/interaction\//);
    },
    SLOW,
  );
});
