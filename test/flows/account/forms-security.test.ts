// What review found in the account pages, each shown failing before its fix: a cross-site post in another content
// type than a form slipped past the form-token check; a pending e-mail change outlived the password change its
// notice mail asks for; malformed ids and Referers gave 500s instead of plain answers; a form token read in a browser
// before a login went on working after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { createPasswordChange } from '../../../provider/domain/accounts/password-change.ts';
import { loggedInPerson } from './people.ts';
import { Agent, formSummary, text } from './agent.ts';
import { RESET_PURPOSE } from '../../../provider/domain/accounts/reset-link.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { discover } from '../../helpers/rp.ts';

const PASSWORD = 'correct horse battery staple';
const formToken = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
const NEW_PASSWORD = 'quiet rivers carry seven lanterns home';

describe('account forms under attack', () => {
  let idp: TestProvider;
  let smtp: SmtpSink;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    idp = await startTestProvider('pglite', { SMTP_URL: smtp.url, OUTBOX_POLL_MS: '100' });
  });
  afterAll(async () => {
    await idp?.close();
    await smtp?.stop();
  });

  const person = (username: string) => loggedInPerson(idp, username, PASSWORD, { givenName: 'Cara', familyName: 'Claes' });

  it('refuses a post that is not a form, or has no form token, or comes from another site, and changes nothing', async () => {
    const { user, agent } = await person('cara');
    const cookie = [...agent.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const post = (contentType: string, body: string, origin = 'https://evil.example') =>
      fetch(`${idp.issuer}/account/profile`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, origin, 'content-type': contentType, 'accept-language': 'en' },
        body,
      });
    // A cross-site <form enctype="text/plain"> whose one field carries the others.
    const plain = await post('text/plain', 'x=&given_name=Pwned&family_name=ByCSRF&z=');
    expect(plain.status).toBe(415);
    expect(text(await plain.text())).toContain('This form has expired. Reload the page and send it again.');
    expect((await post('multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="given_name"\r\n\r\nPwned\r\n--x--\r\n')).status).toBe(
      415,
    );
    expect((await post('application/x-www-form-urlencoded', 'given_name=Pwned&family_name=ByCSRF')).status).toBe(403);
    const token = agent.jar.get('csrf')!;
    const foreign = await post('application/x-www-form-urlencoded', `_csrf=${encodeURIComponent(token)}&given_name=Pwned&family_name=ByCSRF`);
    expect(foreign.status).toBe(403);
    expect(await idp.db('users').where({ id: user.id }).first('given_name', 'family_name')).toEqual({ given_name: 'Cara', family_name: 'Claes' });
    // The page's own form still works.
    await agent.post('/account/profile', { given_name: 'Carla', family_name: 'Claes' });
    expect(await idp.db('users').where({ id: user.id }).first('given_name')).toEqual({ given_name: 'Carla' });
  });

  it("takes no form token from before a login: one read or planted in this browser earlier is refused on the account's pages", async () => {
    const { user } = await person('lien');
    // A shared computer: the token of a page read before the owner logs in on it.
    const browser = new Agent(idp.issuer);
    const loginPage = await browser.get('/self/login');
    const before = formToken(loginPage.html);
    const profile = await browser.submitLogin(loginPage, 'lien', PASSWORD);
    expect(profile.url).toBe(`${idp.issuer}/account`);

    const stale = await browser.post('/account/profile', { _csrf: before, given_name: 'Pwned', family_name: 'ByCSRF' });
    expect([stale.status, text(stale.html)]).toEqual([403, expect.stringContaining('This form has expired. Reload the page and send it again.')]);
    expect(await idp.db('users').where({ id: user.id }).first('given_name')).toEqual({ given_name: 'Cara' });
    // The form the login led to carries the new one.
    const now = formToken(profile.html);
    expect(now).not.toBe(before);
    await browser.post('/account/profile', { _csrf: now, given_name: 'Lien', family_name: 'Claes' });
    expect(await idp.db('users').where({ id: user.id }).first('given_name')).toEqual({ given_name: 'Lien' });
  });

  it("takes no form token from before a login on an app's consent page either, which the login led to", async () => {
    await person('joke');
    const REDIRECT = 'https://partner.example/cb';
    const app = await createClient(idp.services.provider(), { name: 'Partner app', redirectUris: [REDIRECT] });
    const browser = new Agent(idp.issuer);
    const { page } = await browser.startAuthorization(await discover(idp.issuer, app.client_id, app.client_secret), REDIRECT, 'openid');
    const before = formToken(page.html);
    const consent = await browser.submitLogin(page, 'joke', PASSWORD);
    const confirm = /<form method="post" action="([^"]+\/confirm)"/.exec(consent.html)![1]!;

    const stale = await browser.raw(confirm, { form: { _csrf: before } });
    expect([stale.status, text(await stale.text())]).toEqual([403, expect.stringContaining('This form has expired. Reload the page and send it again.')]);
    const allowed = await browser.go(confirm, { form: { _csrf: formToken(consent.html) } }, (l) => l.startsWith(REDIRECT));
    expect(new URL(allowed.url).searchParams.get('code')).toBeTruthy();
  });

  it("takes no form token from before the account's pages opened on a login made for an app", async () => {
    const { user } = await person('wout');
    const REDIRECT = 'https://partner.example/cb';
    const app = await createClient(idp.services.provider(), { name: 'Portal', redirectUris: [REDIRECT], firstParty: true });
    const browser = new Agent(idp.issuer);
    const { page } = await browser.startAuthorization(await discover(idp.issuer, app.client_id, app.client_secret), REDIRECT, 'openid');
    await browser.submitLogin(page, 'wout', PASSWORD, (l) => l.startsWith(REDIRECT));
    const before = browser.jar.get('csrf')!;
    // No password asked: the account pages open on the login just made.
    expect((await browser.get('/account')).url).toBe(`${idp.issuer}/account`);
    const stale = await browser.raw('/account/profile', { form: { _csrf: before, given_name: 'Pwned', family_name: 'ByCSRF' } });
    expect(stale.status).toBe(403);
    expect(await idp.db('users').where({ id: user.id }).first('given_name')).toEqual({ given_name: 'Cara' });
  });

  it('refuses a name holding a line break or another control character, which no browser input sends, and keeps the name', async () => {
    const { user, agent } = await person('bram');
    // Invisible characters only (zero-width space, Hangul filler) would show as no name at all.
    for (const crafted of ['Carla\nBcc: attacker@evil.example', 'Carla\rClaes', 'Carla\u001b[31m', 'Carla\u2028Claes', '\u200B\u200B', '\u3164']) {
      const answer = await agent.post('/account/profile', { given_name: crafted, family_name: 'Claes' });
      expect([answer.status, formSummary(answer.html)]).toEqual([
        400,
        expect.stringContaining('Use visible characters only: control and text-direction characters cannot be used here.'),
      ]);
    }
    expect(await idp.db('users').where({ id: user.id }).first('given_name')).toEqual({ given_name: 'Cara' });
  });

  it('voids a pending e-mail change when the password changes, so its link cannot take the account afterwards', async () => {
    const { user, agent } = await person('dora');
    await agent.post('/account/email', { email: 'attacker@evil.example' });
    const mail = await smtp.waitFor((m) => m.to.includes('attacker@evil.example'));
    const token = /\/account\/email\/verify\?token=([\w-]+)/.exec(mail.text)![1]!;
    expect(text((await agent.get('/account')).html)).toContain('We sent a confirmation link to attacker@evil.example');

    // The owner, warned by the notice, changes the password.
    const changed = await agent.post('/account/password', { current: PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(changed.url).toBe(`${idp.issuer}/account/security?done=password_changed`);
    expect(text((await agent.get('/account')).html)).not.toContain('attacker@evil.example');
    const attacker = new Agent(idp.issuer);
    expect(text((await attacker.get(`/account/email/verify?token=${token}`)).html)).not.toContain('Use attacker@evil.example');
    expect(text((await attacker.post('/account/email/verify', { token })).html)).toContain('This link is not valid or was already used.');
    expect(await idp.db('users').where({ id: user.id }).first('email', 'email_verified')).toEqual({ email: 'dora@example.be', email_verified: true });
  });

  it('voids a reset link mailed before, when the password changes and when the address changes: the old mailbox cannot use it', async () => {
    // Found by an attack pass: a link mailed earlier reset the password after the owner had changed it (and, since a
    // reset makes its browser a known device, bought a place beside the owner's).
    const { user, agent } = await person('hanne');
    const resetLink = async () =>
      (await idp.services.tokens.issue(idp.db, { purpose: RESET_PURPOSE, userId: user.id, ttlSeconds: 900, format: { kind: 'link' } })).token;
    const title = async (token: string) => text(/<h1>([\s\S]*?)<\/h1>/.exec((await new Agent(idp.issuer).get(`/recovery/reset?token=${token}`)).html)![1]!);

    const beforePassword = await resetLink();
    expect(await title(beforePassword)).toBe('Choose a new password');
    expect((await agent.post('/account/password', { current: PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD })).url).toBe(
      `${idp.issuer}/account/security?done=password_changed`,
    );
    expect(await title(beforePassword)).toBe('This link has been replaced');

    const beforeAddress = await resetLink();
    await agent.post('/account/email', { email: 'hanne.new@example.be' });
    const mail = await smtp.waitFor((m) => m.to.includes('hanne.new@example.be'));
    await agent.post('/account/email/verify', { token: /\/account\/email\/verify\?token=([\w-]+)/.exec(mail.text)![1]! });
    expect(await idp.db('users').where({ id: user.id }).first('email')).toEqual({ email: 'hanne.new@example.be' });
    expect(await title(beforeAddress)).toBe('This link has been replaced');
    const oldMailbox = new Agent(idp.issuer);
    await oldMailbox.get(`/recovery/reset?token=${beforeAddress}`);
    const again = await oldMailbox.post('/recovery/reset', { token: beforeAddress, password: 'a third long password', confirm: 'a third long password' });
    expect(again.status).toBe(410);
    expect(oldMailbox.jar.has('device')).toBe(false);
    expect(await idp.services.hasher.verify((await idp.db('users').where({ id: user.id }).first('password_hash')).password_hash, NEW_PASSWORD)).toBe(true);
  });

  it('lets parallel guesses of the current password spend the limit like guesses one by one, and tells the owner how long to wait', async () => {
    const { user, agent } = await person('fien');
    const change = createPasswordChange(idp.services);
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) => change.change(user, { current: `wrong guess ${i}`, next: NEW_PASSWORD }, { keepSessionUid: 'none', locale: 'en' })),
    );
    const problems = answers.map((a) => (a.ok ? 'ok' : a.problem));
    expect(problems.filter((p) => p === 'current_wrong')).toHaveLength(idp.services.config.rateLimitLogin);
    expect(problems.filter((p) => p === 'rate_limited')).toHaveLength(25 - idp.services.config.rateLimitLogin);
    // Even the right password waits now; the page says for how long, not "a moment" of a quarter hour.
    const refused = await agent.post('/account/password', { current: PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect([refused.status, text(refused.html)]).toEqual([400, expect.stringContaining('Too many attempts. Try again in 15 minutes.')]);
    expect(await idp.services.hasher.verify((await idp.db('users').where({ id: user.id }).first('password_hash')).password_hash, PASSWORD)).toBe(true);
  });

  it("sends an address change's link to one address a few times an hour per account, then says how long to wait", async () => {
    // Found by an attack pass: sixty posts naming someone else's address queued sixty mails to it.
    await person('gust');
    const agent = new Agent(idp.issuer);
    expect((await agent.login('gust', PASSWORD)).url).toBe(`${idp.issuer}/account`);
    const allowed = idp.services.config.rateLimitRegistrationMails;
    const answers = [];
    for (let i = 0; i <= allowed; i++) answers.push(await agent.post('/account/email', { email: 'victim@example.org' }));
    expect(answers.map((a) => a.status)).toEqual([...Array.from({ length: allowed }, () => 200), 429]);
    expect(text(answers.at(-1)!.html)).toContain('Too many attempts. Try again in 1 hour.');
    expect(await idp.db('outbox').where({ recipient: 'victim@example.org' }).count({ n: '*' })).toEqual([{ n: allowed }]);
  });

  it('refuses an e-mail change link of an account blocked since it was sent', async () => {
    const { user, agent } = await person('emil');
    await agent.post('/account/email', { email: 'emil.new@example.org' });
    const mail = await smtp.waitFor((m) => m.to.includes('emil.new@example.org'));
    const token = /\/account\/email\/verify\?token=([\w-]+)/.exec(mail.text)![1]!;
    // Blocked by other means than the staff page (which voids the link itself): the link still finds no active account.
    await idp.services.users.setStatus(idp.db, user.id, 'blocked');
    const follower = new Agent(idp.issuer);
    await follower.get(`/account/email/verify?token=${token}`);
    expect(text((await follower.post('/account/email/verify', { token })).html)).toContain('This link is not valid or was already used.');
    expect(await idp.db('users').where({ id: user.id }).first('email')).toEqual({ email: 'emil@example.be' });
  });

  it('answers malformed ids and Referers plainly, never with a server error', async () => {
    const dashes = '-'.repeat(36);
    for (const path of [`/registration/sent?flow=${dashes}`, `/reactivation/${dashes}/card`, `/reactivation/account/${dashes}/password`]) {
      const res = await fetch(`${idp.issuer}${path}`, { headers: { 'accept-language': 'en' } });
      expect(res.status, path).toBeLessThan(500);
    }
    const anonymous = new Agent(idp.issuer);
    await anonymous.get('/');
    const res = await fetch(`${idp.issuer}/account/profile`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: [...anonymous.jar].map(([k, v]) => `${k}=${v}`).join('; '),
        referer: 'not a url',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `_csrf=${encodeURIComponent(anonymous.jar.get('csrf')!)}&given_name=X`,
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/^\/self\/login\?return_to=%2Faccount/);
  });
});
