// Open sign-up in Chromium, with the mails received by a real SMTP server and their links clicked: activation,
// repeated sign-up (same address, or another one from the same browser), the password asked at activation,
// expiry, reuse, double submission, enumeration, login before activation, the password rules on the page, and the
// outbox across an SMTP outage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../../helpers/components.ts';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { authorize } from '../../helpers/rp.ts';
import {
  activate,
  activationLink,
  expectHeading,
  expireTokens,
  fillOpen,
  loginThroughApp,
  mailsTo,
  nextMail,
  signUpOpen,
  startWorld,
  type World,
} from './helpers.ts';

const PASSWORD = 'correct horse battery staple';

describe.skipIf(!has('chromium'))('open sign-up', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld('pglite');
    const { db, users, hasher } = w.idp.services;
    await users.create(db, {
      username: 'existing',
      email: 'taken@example.be',
      emailVerified: true,
      givenName: 'Eva',
      familyName: 'Existing',
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
    });
  });
  afterAll(() => w?.close());

  it('goes from the login page to a new account: form, mail, link, confirm, login through the app', async () => {
    const page = await w.page();
    // The app sends the person to the login page, which offers to create an account.
    await authorize(page, w.app, { redirectUri: w.redirect });
    await page.click('text=Create an account');
    await expectHeading(page, 'Create an account');
    // Every sign-up page has a way back to the login the person came from, not only the browser's Back.
    expect(await page.getAttribute('a:has-text("Back to log in")', 'href')).toMatch(/^\/interaction\//);
    await page.click('text=With my e-mail address');
    expect(await page.getAttribute('a:has-text("Back to log in")', 'href')).toMatch(/^\/interaction\//);
    // The rules are on the page before anything is typed.
    expect(await page.locator('#password-rules').innerText()).toContain('At least 12 characters');
    await fillOpen(page, { email: 'ann@example.be', given: 'Ann', family: 'De Wit', password: PASSWORD });
    await page.click('button[type=submit].primary');
    await expectHeading(page, 'Check your e-mail');
    expect(await page.locator('main').innerText()).toContain('We sent an e-mail to ann@example.be. Open the link in it within 24 hours');
    // The sent page leads back to the login of the app the person came from.
    const appLogin = await page.getAttribute('a:has-text("Back to log in")', 'href');
    expect(appLogin).toMatch(/^\/interaction\//);

    const mail = await nextMail(w.sink, 'ann@example.be');
    expect(mail.subject).toBe('Activate your account');
    expect(mail.text).toContain('Hello Ann De Wit,');
    expect(mail.text).toContain('works once, for 24 hours');
    expect(mail.html).toContain('Activate my account');
    const link = activationLink(mail);

    // A mail scanner fetching the link does not spend it: only the button does.
    expect((await fetch(link)).status).toBe(200);
    // The link opened twice (a double click opens two tabs): both confirm, the second does no harm.
    const twin = await w.page();
    await twin.goto(link);
    expect(await activate(page, link, PASSWORD)).toContain('You can now log in with ann@example.be and your password.');
    // A reload shows the same page, not "this link was already used".
    await page.reload();
    expect(await page.locator('main').innerText()).toContain('You can now log in with ann@example.be and your password.');
    // Activated in the browser that signed up, the page leads back to the app's login the sign-up started from.
    expect(await page.getAttribute('a:has-text("Back to School portal")', 'href')).toBe(appLogin);
    // The mail's link names no app: the way back is kept with it on the server.
    expect(link).not.toMatch(/interaction|return_to|client/);
    // A passkey is offered as the next way in, and can be skipped.
    expect(await page.getAttribute('a:has-text("Add a passkey")', 'href')).toBe('/account/passkeys/new');
    await twin.fill('#password', PASSWORD);
    await twin.click('form[action="/registration/activate"] button');
    await expectHeading(twin, 'This link was already used');
    await page.goto(link);
    await expectHeading(page, 'This link was already used');

    const fresh = await w.page();
    const login = await loginThroughApp(w, fresh, 'ann@example.be', PASSWORD);
    expect(login.ok && login.claims).toMatchObject({ email: 'ann@example.be', email_verified: true, given_name: 'Ann', family_name: 'De Wit' });
    const consents = await w.idp
      .db('consents')
      .join('users', 'users.id', 'consents.user_id')
      .where('users.email', 'ann@example.be')
      .select('document', 'version', 'accepted_at');
    expect(consents.map((c) => [c.document, c.version]).sort()).toEqual([
      ['privacy', '1'],
      ['terms', '1'],
    ]);
    expect(consents.every((c) => Date.now() - new Date(c.accepted_at).getTime() < 120_000)).toBe(true);
  });

  /** From the app's login to an activated account in `page`, on the page that says so; the login's request. */
  async function signUpFromApp(page: Page, email: string) {
    const request = await authorize(page, w.app, { redirectUri: w.redirect });
    await page.click('text=Create an account');
    await page.click('text=With my e-mail address');
    await fillOpen(page, { email, given: 'Lotte', family: 'Claes', password: PASSWORD });
    await page.click('button[type=submit].primary');
    await expectHeading(page, 'Check your e-mail');
    expect(await activate(page, activationLink(await nextMail(w.sink, email)), PASSWORD)).toContain(`You can now log in with ${email}`);
    return request;
  }

  it('goes back to the app logged in, once, from the activation in the browser that came from its login', async () => {
    const page = await w.page();
    const request = await signUpFromApp(page, 'lotte@example.be');
    const typed = Math.ceil(Date.now() / 1000);
    // A while on the page that says so: the login is as old as the password typed, for an app's max_age.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    // The password was just typed on the link's page: the way back does not ask for it again.
    await page.click('a:has-text("Back to School portal")');
    await page.waitForURL(`${w.redirect}?**`);
    const tokens = await oidc.authorizationCodeGrant(w.app, new URL(page.url()), {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()).toMatchObject({ amr: ['pwd'] });
    expect(tokens.claims()!.auth_time).toBeLessThanOrEqual(typed);
    expect(await oidc.fetchUserInfo(w.app, tokens.access_token, tokens.claims()!.sub)).toMatchObject({ email: 'lotte@example.be', email_verified: true });
    const { id } = await w.idp.db('users').where({ email: 'lotte@example.be' }).first('id');
    const logins = await w.idp.db('audit_log').where({ event: 'login.success', user_id: id }).pluck('details');
    expect(logins).toEqual([{ method: 'password', after: 'activation' }]);
    // Taken once: nothing of it stays in the browser.
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain('proven_login');
  });

  it("asks for the password on the way back when the account's access ended after the activation", async () => {
    const page = await w.page();
    await signUpFromApp(page, 'mona@example.be');
    // What a new password chosen elsewhere, a block or a lock does to the account's logins.
    await w.idp.db('users').where({ email: 'mona@example.be' }).increment('access_generation', 1);
    await page.click('a:has-text("Back to School portal")');
    await expectHeading(page, 'Log in');
    expect(page.url()).not.toContain(w.redirect);
    expect(await page.locator('#password').count()).toBe(1);
  });

  it.each([
    ['the menu', 'noor@example.be', '/account'],
    ['"Log out here" of the sessions page', 'nina@example.be', '/account/sessions'],
  ])('asks for the password on the way back after a logout with %s in that browser since the activation', async (_, email, at) => {
    const page = await w.page();
    await signUpFromApp(page, email);
    const back = `${w.idp.issuer}${await page.getAttribute('a:has-text("Back to School portal")', 'href')}`;
    // Not back to the app: a look at the account pages, then a logout (a shared computer).
    await page.goto(`${w.idp.issuer}${at}`);
    await page.fill('#identifier', email);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await page.waitForURL(`${w.idp.issuer}${at}`);
    if (at === '/account') {
      await page.click('form[action="/self/logout"] button');
      await page.click('button[name=logout][value=yes]');
    } else await page.click('button:has-text("Log out here")');
    await page.waitForURL(`${w.idp.issuer}/`);
    // Whoever uses the browser next, back in its history at the app's login, is not logged in as her.
    await page.goto(back);
    expect(page.url()).not.toContain(w.redirect);
    await expectHeading(page, 'Log in');
    expect(await page.locator('#password').count()).toBe(1);
  });

  it('lets a person sign up again before activating: the earlier link is void, the newest data counts', async () => {
    const page = await w.page();
    await signUpOpen(w, page, { email: 'bart@example.be', given: 'Bart', password: 'first password is long' });
    const first = activationLink(await nextMail(w.sink, 'bart@example.be'));
    await signUpOpen(w, page, { email: 'bart@example.be', given: 'Bart', password: PASSWORD });
    const second = activationLink(await nextMail(w.sink, 'bart@example.be', 1));
    expect(second).not.toBe(first);

    await page.goto(first);
    await expectHeading(page, 'This link has been replaced');
    expect(await page.locator('main').innerText()).toContain('only the link in the newest e-mail works');
    expect(await activate(page, second, PASSWORD)).toContain('You can now log in with bart@example.be');
    expect((await loginThroughApp(w, await w.page(), 'bart@example.be', PASSWORD)).ok).toBe(true);
    expect(Number((await w.idp.db('users').whereRaw('lower(email) = ?', ['bart@example.be']).count('* as n').first())!.n)).toBe(1);
  });

  it('lets a person sign up again with another address from the same browser: the first address and link are void', async () => {
    const page = await w.page();
    await signUpOpen(w, page, { email: 'typo@exmaple.be', given: 'Ines', password: 'first password is long' });
    const first = activationLink(await nextMail(w.sink, 'typo@exmaple.be'));
    await signUpOpen(w, page, { email: 'ines@example.be', given: 'Ines', password: PASSWORD });
    const second = activationLink(await nextMail(w.sink, 'ines@example.be'));

    // Whoever reads the mistyped address cannot activate anything with it.
    const other = await w.page();
    await other.goto(first);
    await expectHeading(other, 'This link has been replaced');
    expect(await activate(page, second, PASSWORD)).toContain('You can now log in with ines@example.be');
    expect(await w.idp.db('users').where({ given_name: 'Ines' }).select('email', 'status')).toEqual([{ email: 'ines@example.be', status: 'active' }]);

    // Another browser's sign-up with another address is another person's: both accounts stay.
    await signUpOpen(w, await w.page(), { email: 'jo@example.be', given: 'Jo', password: PASSWORD });
    await signUpOpen(w, await w.page(), { email: 'jos@example.be', given: 'Jo', password: PASSWORD });
    expect((await w.idp.db('users').where({ given_name: 'Jo' }).pluck('email')).sort()).toEqual(['jo@example.be', 'jos@example.be']);
  });

  it("activates only with the password chosen at sign-up, so nobody can pre-set the password of another person's address", async () => {
    // Kim signs up; then someone else signs up with Kim's address and a password of his own.
    const kim = await w.page();
    await signUpOpen(w, kim, { email: 'kim@example.be', given: 'Kim', password: PASSWORD });
    await nextMail(w.sink, 'kim@example.be');
    await signUpOpen(w, await w.page(), { email: 'kim@example.be', given: 'Mallory', password: 'mallory knows this one' });
    const newest = activationLink(await nextMail(w.sink, 'kim@example.be', 1));

    // Kim clicks the newest link in her mailbox and types her password: refused, the link still unspent.
    await kim.goto(newest);
    await kim.fill('#password', PASSWORD);
    await kim.click('form[action="/registration/activate"] button');
    expect(await kim.locator('#password-error').innerText()).toContain('This is not the password chosen at sign-up');
    expect(await kim.getAttribute('#password', 'aria-invalid')).toBe('true');
    expect(await kim.getAttribute('#password', 'autocomplete')).toBe('current-password');
    expect(await w.idp.db('users').whereRaw('lower(email) = ?', ['kim@example.be']).pluck('status')).toEqual(['pending']);
    // An empty password is asked for, not guessed.
    await kim.click('form[action="/registration/activate"] button');
    expect(await kim.locator('#password-error').innerText()).toContain('Enter the password you chose when you signed up.');

    // She signs up again: her data and password count, and her link works.
    await signUpOpen(w, kim, { email: 'kim@example.be', given: 'Kim', password: PASSWORD });
    expect(await activate(kim, activationLink(await nextMail(w.sink, 'kim@example.be', 2)), PASSWORD)).toContain('You can now log in with kim@example.be');
    expect((await loginThroughApp(w, await w.page(), 'kim@example.be', 'mallory knows this one')).ok).toBe(false);
    expect(await w.idp.db('users').whereRaw('lower(email) = ?', ['kim@example.be']).select('given_name', 'status')).toEqual([
      { given_name: 'Kim', status: 'active' },
    ]);
  });

  it('says an expired link has expired and offers a new mail, which works', async () => {
    const page = await w.page();
    await signUpOpen(w, page, { email: 'carl@example.be', password: PASSWORD });
    const link = activationLink(await nextMail(w.sink, 'carl@example.be'));
    await expireTokens(w);
    await page.goto(link);
    await expectHeading(page, 'This link has expired');
    expect(await page.locator('main').innerText()).toContain('An activation link works for 24 hours');
    await page.click('text=Send a new activation e-mail');
    await page.fill('#identifier', 'carl@example.be');
    await page.click('button[type=submit].primary');
    await expectHeading(page, 'Check your e-mail');
    const again = activationLink(await nextMail(w.sink, 'carl@example.be', 1));
    expect(await activate(page, again, PASSWORD)).toContain('You can now log in');
  });

  it('tells a person who logs in before activating, and sends a new link from the login page', async () => {
    const page = await w.page();
    await signUpOpen(w, page, { email: 'dora@example.be', password: PASSWORD });
    const first = activationLink(await nextMail(w.sink, 'dora@example.be'));
    const tried = await loginThroughApp(w, page, 'dora@example.be', PASSWORD);
    expect(tried.ok).toBe(false);
    expect(tried.ok === false && tried.text).toContain('Your account is not activated yet.');

    await page.click('text=Send me a new activation e-mail');
    await expectHeading(page, 'Check your e-mail');
    const second = activationLink(await nextMail(w.sink, 'dora@example.be', 1));
    await page.click('text=Back to log in');
    expect(await page.locator('#identifier').count()).toBe(1);
    const appLogin = new URL(page.url()).pathname;
    await page.goto(first);
    await expectHeading(page, 'This link has been replaced');
    await activate(page, second, PASSWORD);
    // The new link was asked for from the app's login: the page leads back there.
    expect(await page.getAttribute('a:has-text("Back to School portal")', 'href')).toBe(appLogin);
    expect((await loginThroughApp(w, await w.page(), 'dora@example.be', PASSWORD)).ok).toBe(true);
  });

  it('answers a sign-up for a known address exactly as for a new one, and mails "you already have an account"', async () => {
    const answer = async (email: string) => {
      const page = await w.page();
      const text = await signUpOpen(w, page, { email, password: PASSWORD });
      return text.replace(email, '<address>');
    };
    const known = await answer('taken@example.be');
    const unknown = await answer('nobody@example.be');
    expect(known).toBe(unknown);
    const mail = await nextMail(w.sink, 'taken@example.be');
    expect(mail.subject).toBe('You already have an account');
    expect(mail.text).toContain('/recovery');
    expect(mail.text).not.toContain('/registration/activate');
    // The existing account is untouched; the resend form answers alike for any address.
    expect(await w.idp.db('users').whereRaw('lower(email) = ?', ['taken@example.be']).select('status', 'given_name')).toEqual([
      { status: 'active', given_name: 'Eva' },
    ]);
    const resend = async (identifier: string) => {
      const page = await w.page();
      await page.goto(`${w.idp.issuer}/registration/resend`);
      await page.fill('#identifier', identifier);
      await page.click('button[type=submit].primary');
      return page.locator('main').innerText();
    };
    expect(await resend('taken@example.be')).toEqual(await resend('unknown@example.be'));
  });

  it('does the work once when the form is sent twice at the same moment', async () => {
    const page = await w.page();
    await page.goto(`${w.idp.issuer}/registration/open`);
    await fillOpen(page, { email: 'eddy@example.be', password: PASSWORD });
    const statuses = await page.evaluate(async () => {
      const form = document.querySelector('form[action="/registration/open"]') as HTMLFormElement;
      const body = new URLSearchParams(new FormData(form) as unknown as Record<string, string>).toString();
      const send = () =>
        fetch('/registration/open', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' }).then(
          (r) => r.type,
        );
      return Promise.all([send(), send(), send()]);
    });
    expect(statuses).toEqual(['opaqueredirect', 'opaqueredirect', 'opaqueredirect']);
    await nextMail(w.sink, 'eddy@example.be');
    await new Promise((r) => setTimeout(r, 600));
    expect(mailsTo(w.sink, 'eddy@example.be')).toHaveLength(1);
  });

  it('lists every failed password rule next to the field, in the page language, and keeps the other fields', async () => {
    const page = await w.page('de-DE');
    await page.goto(`${w.idp.issuer}/registration/open`);
    expect(await page.locator('#password-rules').innerText()).toContain('Mindestens 12 Zeichen');
    const table: [string, string[]][] = [
      ['kurz', ['Das Passwort ist zu kurz: Verwenden Sie mindestens 12 Zeichen.']],
      ['password1234', ['Dieses Passwort gehört zu den am häufigsten verwendeten und ist leicht zu erraten. Wählen Sie ein anderes.']],
      ['aaaa', ['Das Passwort ist zu kurz: Verwenden Sie mindestens 12 Zeichen.', 'Wiederholen Sie ein Zeichen nicht 4-mal oder öfter hintereinander.']],
      ['frieda mag lange spaziergaenge', ['Das Passwort darf Ihre E-Mail-Adresse nicht enthalten.']],
    ];
    for (const [password, expected] of table) {
      await fillOpen(page, { email: 'frieda@example.be', given: 'Frieda', password });
      await page.click('button[type=submit].primary');
      const shown = await page.locator('#password-error li').allInnerTexts();
      expect({ password, shown }).toEqual({ password, shown: expected });
      expect(await page.getAttribute('#password', 'aria-invalid')).toBe('true');
      expect(await page.inputValue('#given_name')).toBe('Frieda');
      expect(await page.locator('#form-error').innerText()).toContain('Bitte korrigieren Sie Folgendes');
    }
    // Without the acceptance of the documents nothing is sent either.
    await fillOpen(page, { email: 'frieda@example.be', password: 'eine ganz lange passphrase' });
    await page.uncheck('#accept_privacy');
    await page.click('button[type=submit].primary');
    expect(await page.locator('#accept_privacy-error').innerText()).toContain('Datenschutzerklärung');
    await page.check('#accept_privacy');
    await page.fill('#password', 'eine ganz lange passphrase');
    await page.click('button[type=submit].primary');
    await expectHeading(page, 'Prüfen Sie Ihre E-Mails');
    // The mail is in the language of the page the person used.
    expect((await nextMail(w.sink, 'frieda@example.be')).subject).toBe('Aktivieren Sie Ihr Konto');
  });

  it('delivers every mail once after the SMTP server was down', async () => {
    await w.sink.down();
    // Two people, each in their own browser.
    const page = await w.page();
    await signUpOpen(w, page, { email: 'gert@example.be', password: PASSWORD });
    await signUpOpen(w, await w.page(), { email: 'hanna@example.be', password: PASSWORD });
    await new Promise((r) => setTimeout(r, 700));
    expect(mailsTo(w.sink, 'gert@example.be')).toHaveLength(0);
    await w.sink.up();
    const link = activationLink(await nextMail(w.sink, 'gert@example.be'));
    await nextMail(w.sink, 'hanna@example.be');
    await new Promise((r) => setTimeout(r, 1500));
    expect(mailsTo(w.sink, 'gert@example.be')).toHaveLength(1);
    expect(mailsTo(w.sink, 'hanna@example.be')).toHaveLength(1);
    expect(await activate(page, link, PASSWORD)).toContain('You can now log in with gert@example.be');
  });
});

describe.skipIf(!has('chromium') || !has('postgres'))('open sign-up on PostgreSQL, the only mode offered', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld('postgres', { REGISTRATION_MODES: 'open' });
  });
  afterAll(() => w?.close());

  it('signs up, activates once (double click harmless) and logs in', async () => {
    const page = await w.page();
    await signUpOpen(w, page, { email: 'pg@example.be', password: PASSWORD });
    await signUpOpen(w, page, { email: 'pg@example.be', password: PASSWORD });
    const [first, second] = [activationLink(await nextMail(w.sink, 'pg@example.be')), activationLink(await nextMail(w.sink, 'pg@example.be', 1))];
    const results = await Promise.all(
      [first, second, second].map(async (link) => {
        const p = await w.page();
        await p.goto(link);
        return p.locator('h1').innerText();
      }),
    );
    expect(results).toEqual(['This link has been replaced', 'Activate your account', 'Activate your account']);
    expect(await activate(page, second, PASSWORD)).toContain('You can now log in');
    expect((await loginThroughApp(w, await w.page(), 'pg@example.be', PASSWORD)).ok).toBe(true);
  });

  it('answers 404 for the modes the deployment does not offer, and goes straight to the one it does', async () => {
    for (const path of ['/registration/customer', '/registration/invitation']) expect((await fetch(`${w.idp.issuer}${path}`)).status).toBe(404);
    expect((await fetch(`${w.idp.issuer}/registration`, { redirect: 'manual' })).headers.get('location')).toBe('/registration/open');
  });
});
