// Sessions, connected apps and the password, from the account pages over HTTP: what a user ends there really stops
// working (the other browser is logged out, the app's refresh token is refused), and a password change keeps only
// the session it was made from.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { discover } from '../../helpers/rp.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { Agent, text } from './agent.ts';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a river of slow green light';
const REDIRECT = 'http://127.0.0.1:9/cb';

describe('sessions, connected apps and password on the account pages', () => {
  let idp: TestProvider;
  let rp: client.Configuration;

  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users, hasher } = idp.services;
    for (const username of ['hanne', 'ivo']) {
      await users.create(db, { username, email: `${username}@example.be`, emailVerified: true, passwordHash: await hasher.hash(PASSWORD), status: 'active' });
    }
    const c = await createClient(idp.services.provider(), { name: 'Crisis portal', redirectUris: [REDIRECT], firstParty: true });
    rp = await discover(idp.issuer, c.client_id, c.client_secret);
  });
  afterAll(() => idp?.close());

  const loginPage = (r: { url: string }) => new URL(r.url).pathname.startsWith('/interaction/');

  it('lists the sessions and apps, and ends what the user revokes', async () => {
    const here = new Agent(idp.issuer);
    await here.login('hanne', PASSWORD);
    const tokens = await here.authorize(rp, REDIRECT, 'openid profile email offline_access', undefined, { prompt: 'consent' });
    expect(tokens.refresh_token).toBeDefined();
    const elsewhere = new Agent(idp.issuer);
    await elsewhere.login('hanne', PASSWORD);

    let page = await here.get('/account/sessions');
    const rows = [...page.html.matchAll(/<tr data-session="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => ({ uid: m[1]!, text: text(m[2]!) }));
    expect(rows).toHaveLength(2);
    const mine = rows.find((r) => r.text.includes('(this browser)'))!;
    const other = rows.find((r) => r !== mine)!;
    expect(mine.text).toContain('Crisis portal');
    expect(mine.text).toContain('Log out here');
    expect(other.text).toContain('End session');
    expect(text(page.html)).toMatch(
      /Connected apps .* Crisis portal your name and username; your e-mail address; to stay connected when you are not using it Disconnect/,
    );
    // French puts a no-break space before the semicolon, as everywhere else on its pages.
    const fr = await here.get('/account/sessions?ui_locales=fr');
    expect(fr.html).toContain('votre nom et nom d’utilisateur\u00a0; votre adresse e-mail\u00a0; rester connecté');
    await here.get('/account/sessions?ui_locales=en');

    // The other browser is logged out of the account pages at once.
    page = await here.post(`/account/sessions/${encodeURIComponent(other.uid)}/revoke`, {});
    expect(text(page.html)).toContain('The session has been ended.');
    expect(page.html.match(/<tr data-session=/g)).toHaveLength(1);
    expect(loginPage(await elsewhere.get('/account'))).toBe(true);

    // Disconnecting the app ends its tokens.
    const clientId = /<tr data-app="([^"]+)">/.exec(page.html)![1]!;
    page = await here.post(`/account/apps/${encodeURIComponent(clientId)}/revoke`, {});
    expect(text(page.html)).toContain('The app no longer has access to your account.');
    expect(text(page.html)).toContain('No app is connected to your account.');
    await expect(client.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub)).rejects.toThrow();

    // Ending the session in use logs this browser out.
    page = await here.post(`/account/sessions/${encodeURIComponent(mine.uid)}/revoke`, {});
    expect(new URL(page.url).pathname).toBe('/');
    expect(loginPage(await here.get('/account'))).toBe(true);
  });

  it('only lists and revokes the user’s own sessions', async () => {
    const hanne = new Agent(idp.issuer);
    await hanne.login('hanne', PASSWORD);
    const ivo = new Agent(idp.issuer);
    await ivo.login('ivo', PASSWORD);
    const ivoUid = /<tr data-session="([^"]+)">/.exec((await ivo.get('/account/sessions')).html)![1]!;
    expect((await hanne.get('/account/sessions')).html).not.toContain(ivoUid);
    await hanne.post(`/account/sessions/${encodeURIComponent(ivoUid)}/revoke`, {});
    expect((await ivo.get('/account')).url).toBe(`${idp.issuer}/account`);
  });

  it('changes the password with the current one, under the policy, and logs out every other session', async () => {
    const here = new Agent(idp.issuer);
    await here.login('ivo', PASSWORD);
    const elsewhere = new Agent(idp.issuer);
    await elsewhere.login('ivo', PASSWORD);
    const tokens = await elsewhere.authorize(rp, REDIRECT, 'openid offline_access', undefined, { prompt: 'consent' });

    const wrong = await here.post('/account/password', { current: 'not my password', password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(wrong.status).toBe(400);
    expect(wrong.html).toMatch(
      /<input id="current"[^>]*aria-invalid="true" aria-describedby="current-error">\s*<ul class="field-error" id="current-error"><li>Your current password is not correct\.<\/li>/,
    );
    const mismatch = await here.post('/account/password', { current: PASSWORD, password: NEW_PASSWORD, password_confirm: `${NEW_PASSWORD}!` });
    expect(text(mismatch.html)).toContain('The two new passwords are not the same.');
    const weak = await here.post('/account/password', { current: PASSWORD, password: 'ivo12345', password_confirm: 'ivo12345' });
    expect(text(weak.html)).toContain('The new password does not meet the rules: The password is too short: use at least 12 characters.');
    expect(text(weak.html)).toContain('The password must not contain your username.');
    expect(Number((await idp.db('outbox').where({ recipient: 'ivo@example.be' }).count({ n: '*' }).first())!.n)).toBe(0);

    const done = await here.post('/account/password', { current: PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(done.url).toBe(`${idp.issuer}/account/security?done=password_changed`);
    expect(text(done.html)).toContain('Your password has been changed. Your other sessions and apps have been logged out.');
    expect((await here.get('/account')).url).toBe(`${idp.issuer}/account`);
    expect(loginPage(await elsewhere.get('/account'))).toBe(true);
    await expect(client.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const notice = await idp.db('outbox').where({ recipient: 'ivo@example.be' }).first();
    expect(notice.subject).toBe('Your password has been changed');

    const again = new Agent(idp.issuer);
    expect(loginPage(await again.login('ivo', PASSWORD))).toBe(true);
    expect((await again.submitLogin(await again.get('/self/login'), 'ivo', NEW_PASSWORD)).url).toBe(`${idp.issuer}/account`);
  });
});
