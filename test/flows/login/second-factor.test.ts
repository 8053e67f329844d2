// The second step of a password login over HTTP: the code from the authenticator app (or a recovery code) in the
// same interaction, each code once, wrong codes throttled like passwords; relying apps that require two factors
// (registered with require_mfa, or asking acr_values=urn:belid:acr:mfa) get acr urn:belid:acr:mfa and amr
// pwd+otp in the ID token, and a person without a factor adds one in the interaction first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { discover } from '../../helpers/rp.ts';
import { enrolOnAccount, recoveryCodesOf, secretOf, Totp } from '../../helpers/totp.ts';
import { endAccountAccess } from '../../../provider/domain/accounts/end-access.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { Agent, text, type Response } from '../account/agent.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/cb';
const MFA = 'urn:belid:acr:mfa';

describe('second factor at login', () => {
  let idp: TestProvider;
  let strict: client.Configuration;
  let open: client.Configuration;

  beforeAll(async () => {
    idp = await startTestProvider('pglite', { RATE_LIMIT_LOGIN: '3', RATE_LIMIT_MAX_DELAY: '2' });
    const { db, users, hasher, provider } = idp.services;
    const hash = await hasher.hash(PASSWORD);
    for (const username of ['anna', 'bert', 'carla', 'dirk', 'greet', 'hilde', 'ines', 'jef', 'kris']) {
      await users.create(db, { username, email: `${username}@example.be`, emailVerified: true, passwordHash: hash, status: 'active' });
    }
    await users.create(db, { username: 'staff', email: 'staff@example.be', emailVerified: true, passwordHash: hash, status: 'active', roles: ['admin'] });
    const s = await createClient(provider(), { name: 'Tax portal', redirectUris: [REDIRECT], firstParty: true, requireMfa: true });
    strict = await discover(idp.issuer, s.client_id, s.client_secret);
    const o = await createClient(provider(), { name: 'Library', redirectUris: [REDIRECT], firstParty: true });
    open = await discover(idp.issuer, o.client_id, o.client_secret);
  });
  afterAll(() => idp?.close());

  const audited = (event: string, username: string) =>
    idp.db('audit_log').join('users', 'users.id', 'audit_log.user_id').where({ event, 'users.username': username }).select('details');
  const atCallback = (l: string) => l.startsWith(REDIRECT);
  const title = (r: Response) => text(/<h1>([\s\S]*?)<\/h1>/.exec(r.html)?.[1] ?? '');

  /** An authorization request of `config` in `agent`'s browser; returns the page it stops at and a way to finish it. */
  const authorize = (agent: Agent, config: client.Configuration, params: Record<string, string> = {}) =>
    agent.startAuthorization(config, REDIRECT, 'openid', params);

  /** Posts `form` to the page's first form whose action contains `path`, stopping at the relying app. */
  function submit(agent: Agent, page: Response, path: string, form: Record<string, string>) {
    const action = [...page.html.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1]!).find((a) => a.includes(path));
    if (!action) throw new Error(`no form ${path} on ${page.url}: ${title(page)}`);
    return agent.go(action, { form }, atCallback);
  }

  async function enrolled(username: string) {
    const agent = new Agent(idp.issuer);
    await agent.login(username, PASSWORD);
    return { agent, ...(await enrolOnAccount(agent)) };
  }

  it('asks for the code after the password, refuses a wrong or replayed one, and takes a recovery code once', async () => {
    const { app, codes } = await enrolled('anna');
    expect(codes).toHaveLength(10);

    const b = new Agent(idp.issuer);
    let page = await b.login('anna', PASSWORD);
    expect(new URL(page.url).pathname).toMatch(/^\/interaction\/[^/]+\/second-factor$/);
    expect(title(page)).toBe('Enter the 6-digit code from your app');
    // The second step cannot be skipped: the account pages still ask for a login.
    expect(new URL((await b.get('/account')).url).pathname).toMatch(/^\/interaction\//);

    page = await b.login('anna', PASSWORD);
    const wrong = await submit(b, page, '/second-factor', { code: '000000' === (await app.again()) ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    expect(text(wrong.html)).toContain('This code is not right, or it has been used already.');
    const ok = await submit(b, wrong, '/second-factor', { code: await app.next() });
    expect(ok.url).toBe(`${idp.issuer}/account`);
    expect(await audited('second_factor.failure', 'anna')).toHaveLength(1);

    // The same code again, from another browser within its 30 s: refused.
    const c = new Agent(idp.issuer);
    page = await c.login('anna', PASSWORD);
    const replay = await submit(c, page, '/second-factor', { code: await app.again() });
    expect(replay.status).toBe(401);

    // A recovery code instead of the app's, typed loosely; it works once.
    const loose = codes[0]!.toLowerCase().replace('-', ' ');
    expect(new URL((await submit(c, replay, '/second-factor', { code: loose })).url).pathname).toBe('/account');
    const d = new Agent(idp.issuer);
    page = await d.login('anna', PASSWORD);
    expect((await submit(d, page, '/second-factor', { code: codes[0]! })).status).toBe(401);
    expect(text((await c.get('/account/security')).html)).toContain('Recovery codes left: 9.');
    expect(await audited('second_factor.success', 'anna')).toEqual(
      expect.arrayContaining([{ details: expect.objectContaining({ via: 'totp' }) }, { details: expect.objectContaining({ via: 'recovery_code' }) }]),
    );
  });

  it('gives a person with an app acr mfa and amr pwd+otp, and steps a password session up with the code only', async () => {
    const { agent, app } = await enrolled('dirk');
    // The account pages' session came from a password alone: a request for two factors asks the code, not the password.
    const { page, tokens } = await authorize(agent, open, { acr_values: MFA });
    expect(new URL(page.url).pathname).toMatch(/\/second-factor$/);
    const done = await submit(agent, page, '/second-factor', { code: await app.next() });
    expect((await tokens(done)).claims()).toMatchObject({ acr: MFA, amr: ['pwd', 'otp'] });

    // The same asked as an essential acr claim, to which oidc-provider adds a reason of its own: still the code only.
    const kris = await enrolled('kris');
    const essential = await authorize(kris.agent, open, { claims: JSON.stringify({ id_token: { acr: { essential: true, value: MFA } } }) });
    expect(new URL(essential.page.url).pathname).toMatch(/\/second-factor$/);
    const stepped = await submit(kris.agent, essential.page, '/second-factor', { code: await kris.app.next() });
    expect((await essential.tokens(stepped)).claims()).toMatchObject({ acr: MFA, amr: ['pwd', 'otp'] });
  });

  it('leads a person without a factor to add one when the app requires two, then gives acr mfa', async () => {
    const agent = new Agent(idp.issuer);
    const { page, tokens } = await authorize(agent, strict);
    let r = await agent.submitLogin(page, 'bert', PASSWORD, atCallback);
    expect(title(r)).toBe('Add a second step to your login');
    expect(r.html).toMatch(/<img class="totp-qr" src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/);
    const app = new Totp(secretOf(r.html)!);
    r = await submit(agent, r, '/second-factor/enrol', { code: '12345' });
    expect(r.status).toBe(400);
    r = await submit(agent, r, '/second-factor/enrol', { code: await app.next() });
    expect(recoveryCodesOf(r.html)).toHaveLength(10);
    r = await submit(agent, r, '/second-factor/continue', {});
    expect((await tokens(r)).claims()).toMatchObject({ acr: MFA, amr: ['pwd', 'otp'] });
    expect(await audited('second_factor.enrolled', 'bert')).toHaveLength(1);

    // A password session is not enough for that app: the login is asked again.
    const other = new Agent(idp.issuer);
    await authorize(other, open).then(({ page: p }) => other.submitLogin(p, 'greet', PASSWORD, atCallback));
    const again = await authorize(other, strict);
    expect(title(again.page)).toBe('Log in');
  });

  it('leads a person without a factor to add one when the request asks acr_values=mfa', async () => {
    const agent = new Agent(idp.issuer);
    const { page } = await authorize(agent, open, { acr_values: MFA });
    const r = await agent.submitLogin(page, 'carla', PASSWORD, atCallback);
    expect(title(r)).toBe('Add a second step to your login');
    // The same asked as an essential acr claim.
    const claimed = new Agent(idp.issuer);
    const essential = await authorize(claimed, open, { claims: JSON.stringify({ id_token: { acr: { essential: true, value: MFA } } }) });
    expect(title(await claimed.submitLogin(essential.page, 'carla', PASSWORD, atCallback))).toBe('Add a second step to your login');
    // Without the request for two factors, a person without an app logs in with the password alone.
    const plain = new Agent(idp.issuer);
    const login = await authorize(plain, open);
    const done = await plain.submitLogin(login.page, 'carla', PASSWORD, atCallback);
    expect((await login.tokens(done)).claims()).toMatchObject({ acr: 'urn:belid:acr:password', amr: ['pwd'] });
  });

  it('offers only the ways an app lists as essential acr values, and says so, instead of a password login it would refuse', async () => {
    const acr = (values: string[]) => ({ claims: JSON.stringify({ id_token: { acr: { essential: true, values } } }) });
    const agent = new Agent(idp.issuer);
    const { page } = await authorize(agent, open, acr(['urn:belid:acr:eid', 'urn:belid:acr:passkey']));
    expect(text(/<p id="login-only">([\s\S]*?)<\/p>/.exec(page.html)?.[1] ?? '')).toBe('This application asks you to log in with your eID card or a passkey.');
    expect(page.html).not.toContain('id="password"');
    expect(page.html).toContain('data-passkey-login');
    expect(page.html).toContain('/eid" class="button primary"');
    // A password posted anyway (an old tab) is refused with the same words, and logs nobody in.
    const logins = (await audited('login.success', 'carla')).length;
    const uid = /\/interaction\/([^/?#"]+)/.exec(page.url)![1];
    const posted = await agent.go(`/interaction/${uid}/login`, { form: { identifier: 'carla', password: PASSWORD } }, atCallback);
    expect(posted.status).toBe(403);
    expect(text(posted.html)).toContain('This application asks you to log in with your eID card or a passkey.');
    expect(await audited('login.success', 'carla')).toHaveLength(logins);

    // An essential value and values are both held to by oidc-provider: none in common (or an empty list, a value no acr
    // is) leaves no way that would do, and the page says so rather than offer a password it would only ask for again.
    for (const asked of [
      { essential: true, value: 'urn:belid:acr:password', values: ['urn:belid:acr:eid', 'urn:belid:acr:passkey'] },
      { essential: true, values: [] },
      { essential: 'true', value: 1 },
    ]) {
      const none = (await authorize(new Agent(idp.issuer), open, { claims: JSON.stringify({ id_token: { acr: asked } }) })).page;
      expect(none.html, JSON.stringify(asked)).not.toContain('id="password"');
      expect(none.html).not.toContain('data-passkey-login');
      expect(text(/<p id="login-only">([\s\S]*?)<\/p>/.exec(none.html)?.[1] ?? '')).toBe(
        'This application asks for a way of logging in that this service does not offer. Go back to the application.',
      );
    }

    // Two factors by any means (mfa) take the password and its second step, but not a passkey, whose acr is not mfa.
    const mfaOnly = new Agent(idp.issuer);
    const second = await authorize(mfaOnly, open, acr([MFA]));
    expect(second.page.html).toContain('id="password"');
    expect(second.page.html).not.toContain('data-passkey-login');
    expect(second.page.html).not.toContain('/eid" class="button');
    const mfaUid = /\/interaction\/([^/?#"]+)/.exec(second.page.url)![1];
    const passkey = await mfaOnly.go(`/interaction/${mfaUid}/passkey/options`, { form: {} });
    expect(passkey.status).toBe(403);
    expect(passkey.html).toContain('This application does not accept a login with a passkey. Log in in another way.');
    // Nor the card, whose acr is not mfa either: its page, typed anyway, says so rather than lead back here.
    const card = await mfaOnly.go(`/interaction/${mfaUid}/eid`);
    expect(card.status).toBe(403);
    expect(text(card.html)).toContain('This application does not accept this way of logging in. Log in in another way.');
  });

  it('throttles wrong codes like passwords', async () => {
    const { app } = await enrolled('greet');
    const agent = new Agent(idp.issuer);
    const page = await agent.login('greet', PASSWORD);
    let r = page;
    for (let i = 0; i < 3; i++) r = await submit(agent, r, '/second-factor', { code: '99999' + String(i) });
    expect(await audited('second_factor.throttled', 'greet')).toHaveLength(1);
    // Past the threshold each attempt waits first, the right code too.
    const started = performance.now();
    r = await submit(agent, r, '/second-factor', { code: await app.next() });
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(r.url).toBe(`${idp.issuer}/account`);
  });

  it("lets staff remove a person's app from the person page, audited: the password alone logs in again", async () => {
    await enrolled('hilde');
    const hilde = (await idp.services.users.findByIdentifier(idp.db, 'hilde', 'username'))[0]!;
    const staff = new Agent(idp.issuer);
    await staff.login('staff', PASSWORD, `/admin/users/${hilde.id}`);
    expect(text((await staff.get(`/admin/users/${hilde.id}`)).html)).toContain('Authenticator app set up; recovery codes left:');
    const question = await staff.get(`/admin/users/${hilde.id}/second-factor/remove`);
    expect(text(question.html)).toContain('This person logs in with an authenticator app after the password.');
    const page = await staff.post(`/admin/users/${hilde.id}/second-factor/remove`, {});
    expect(text(page.html)).toContain('The authenticator app and the recovery codes have been removed');
    expect(text(page.html)).not.toContain('Remove the authenticator app');
    const staffUser = (await idp.services.users.findByIdentifier(idp.db, 'staff', 'username'))[0]!;
    expect(await audited('second_factor.removed', 'hilde')).toEqual([{ details: { kind: 'totp', by: 'staff', staffId: staffUser.id } }]);
    expect((await new Agent(idp.issuer).login('hilde', PASSWORD)).url).toBe(`${idp.issuer}/account`);
  });
  it('ends a first step waiting for its second when the password is changed meanwhile', async () => {
    const { db, users, hasher, tokens } = idp.services;
    const changePassword = async (username: string) => {
      const user = (await users.findByIdentifier(db, username, 'username'))[0]!;
      await db.transaction(async (trx) => {
        await users.updatePasswordHash(trx, user.id, await hasher.hash('the owner chose another one'));
        await endAccountAccess(trx, tokens, user);
      });
    };
    // Someone with the old password, for an account without a factor, is led to add his own app…
    const thief = new Agent(idp.issuer);
    const { page } = await authorize(thief, open, { acr_values: MFA });
    let r = await thief.submitLogin(page, 'ines', PASSWORD, atCallback);
    expect(title(r)).toBe('Add a second step to your login');
    const app = new Totp(secretOf(r.html)!);
    // …the owner changes her password…
    await changePassword('ines');
    // …and his app's code no longer finishes the login (before: tokens, and his app on her account).
    r = await submit(thief, r, '/second-factor/enrol', { code: await app.next() });
    expect(title(r)).toBe('Log in');
    expect(await audited('second_factor.enrolled', 'ines')).toHaveLength(0);

    // The same for the code of a person with an app, asked after a password typed before the change.
    const { app: own } = await enrolled('jef');
    const other = new Agent(idp.issuer);
    const step = await other.login('jef', PASSWORD);
    expect(title(step)).toBe('Enter the 6-digit code from your app');
    await changePassword('jef');
    expect(title(await submit(other, step, '/second-factor', { code: await own.next() }))).toBe('Log in');
  });
});
