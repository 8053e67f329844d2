// What a person who tried the pages could not find: where to link an eID card once logged in, the way between the
// account pages and the staff pages, the way back to logging in from the recovery and reactivation pages; and what
// the account pages offered that meant nothing to them: an empty organisations section, a menu entry for linked
// logins where there is nothing to link; and what read as three things where it was one: the heading above a form's
// errors, worded differently in each flow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { saveLink } from '../../../provider/domain/accounts/eid-links.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { discover } from '../../helpers/rp.ts';
import { loggedInPerson } from './people.ts';
import { Agent, text } from './agent.ts';
import { addUpstream, removeUpstream, saveLink as saveUpstreamLink } from '../../../provider/domain/upstreams/repository.ts';
import { secretBox } from '../../../provider/domain/upstreams/secret-box.ts';
import { addMember, createOrganisation } from '../../../provider/domain/accounts/organisations.ts';

const PASSWORD = 'correct horse battery staple';

/** The links of a page as [text, href], in order. */
const links = (html: string) => [...html.matchAll(/<a [^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/g)].map((m) => [text(m[2]!), m[1]!.replace(/&amp;/g, '&')]);

describe('finding the way around the pages', () => {
  let idp: TestProvider;

  beforeAll(async () => {
    // No captcha and a short answer floor: the recovery form is sent as a person would, without solving one.
    idp = await startTestProvider('pglite', { CAPTCHA: 'off', RECOVERY_RESPONSE_MS: '50' });
  });
  afterAll(async () => {
    await idp?.close();
  });

  const person = (username: string, roles: string[] = []) => loggedInPerson(idp, username, PASSWORD, { givenName: 'Lien', familyName: 'Wouters', roles });

  it('says on the security page whether an eID card is linked, and links to /eid/link to link one', async () => {
    const { user, agent } = await person('lien');
    const before = await agent.get('/account/security');
    expect(text(before.html)).toContain(
      'eID card No eID card is linked to your account. Link your card to log in with it, and to reactivate your account with it if you ever lose access. Link your eID card',
    );
    expect(links(before.html)).toContainEqual(['Link your eID card', '/eid/link']);
    const linkPage = await agent.get('/eid/link');
    expect([linkPage.status, text(linkPage.html)]).toEqual([200, expect.stringContaining('Link your eID card')]);

    const hmac = 'a'.repeat(64);
    await saveLink(idp.db, { userId: user.id, hmac, cardNumber: '592123456789' });
    const after = await agent.get('/account/security');
    expect(text(after.html)).toMatch(/eID card Your account has been linked to the eID card 592-1234567-89 since .+2\d{3}.+\. You can log in with it/);
    expect(links(after.html)).toContainEqual(['Link a new card', '/eid/link']);
    expect(after.html).not.toContain(hmac);
  });

  it('leads an admin from the account menu to the staff pages and back, with a logout there; a non-admin sees no such entry', async () => {
    const { agent } = await person('ruben', ['admin']);
    const account = await agent.get('/account');
    expect(links(account.html)).toContainEqual(['Administration', '/admin']);
    const admin = await agent.get('/admin');
    expect(admin.status).toBe(200);
    expect(links(admin.html)).toContainEqual(['My account', '/account']);
    expect(admin.html).toMatch(/<form method="post" action="\/self\/logout"[\s\S]*?Log out<\/button>/);

    const { agent: citizen } = await person('sara');
    for (const page of ['/account', '/account/security', '/account/sessions']) {
      const html = (await citizen.get(page)).html;
      expect(links(html).map(([, href]) => href)).not.toContain('/admin');
      expect(text(html)).not.toContain('Administration');
    }
  });

  it('shows the organisations section, and the alerts page its note on organisations, only to a member of one', async () => {
    const NOTE = 'If the organisation that sends an alert has decided not to send notifications';
    const { user, agent } = await person('noor');
    const alone = text((await agent.get('/account')).html);
    expect(alone).not.toContain('Organisations');
    expect(alone).not.toContain('You are not a member of any organisation.');
    expect(text((await agent.get('/account/alerts')).html)).not.toContain(NOTE);

    const school = await createOrganisation(idp.db, 'Sint-Jozefschool', false);
    await addMember(idp.db, school.id, user.id);
    expect(text((await agent.get('/account')).html)).toContain('Organisations Sint-Jozefschool — this organisation does not send notifications');
    expect(text((await agent.get('/account/alerts')).html)).toContain(NOTE);
  });

  it('offers "Linked logins" in the account menu only where an upstream can be linked or the person has a link', async () => {
    const box = secretBox('k'.repeat(32));
    const upstream = (slug: string, uses: ('login' | 'link')[]) =>
      addUpstream(idp.db, box, { slug, name: slug, issuer: `https://${slug}.example`, clientId: 'c', clientSecret: 's', uses });
    const menu = async (agent: Agent, page = '/account') => links((await agent.get(page)).html).filter(([label]) => label === 'Linked logins');
    const shown = [['Linked logins', '/account/connections']];
    const { user: jonas, agent } = await person('jonas');
    for (const page of ['/account', '/account/security', '/account/alerts']) expect(await menu(agent, page)).toEqual([]);

    // An upstream for logging in only: nothing to link on that page.
    await upstream('bank', ['login']);
    expect(await menu(agent)).toEqual([]);
    // A link made at its login (or at an upstream no longer offered for linking) stays where it can be seen and removed.
    await saveUpstreamLink(idp.db, { slug: 'bank', subjectKey: 'jonas-at-bank', userId: jonas.id, label: 'Jonas', madeWith: 'sign_up' });
    expect(await menu(agent)).toEqual(shown);
    expect(text((await agent.get('/account/connections')).html)).toContain('bank Jonas');

    // An upstream offered for linking: everyone may link one.
    const { agent: other } = await person('ines');
    expect(await menu(other)).toEqual([]);
    await upstream('itsme', ['link']);
    expect(await menu(other)).toEqual(shown);
    for (const slug of ['bank', 'itsme']) await removeUpstream(idp.db, slug);
    expect(await menu(agent)).toEqual([]);
  });

  it('leads back to logging in from the recovery form, its "check your mailbox" page and the reactivation start page', async () => {
    const visitor = new Agent(idp.issuer);
    const recovery = await visitor.get('/recovery');
    const sent = await visitor.post('/recovery', { email: 'nobody@example.be' });
    expect(text(sent.html)).toContain('Check your mailbox');
    const reactivation = await visitor.get('/reactivation');
    for (const page of [recovery, sent, reactivation]) {
      expect([page.status, links(page.html)]).toEqual([200, expect.arrayContaining([['Back to log in', '/account']])]);
    }
    const login = await visitor.get('/account');
    expect([new URL(login.url).pathname, text(login.html)]).toEqual([expect.stringMatching(/^\/interaction\//), expect.stringContaining('Log in')]);
  });

  it('leads back to the login of the app a person came from, from the recovery and reactivation pages it links to', async () => {
    const c = await createClient(idp.services.provider(), { name: 'Gemeente', redirectUris: ['http://127.0.0.1:9/cb'] });
    const rp = await discover(idp.issuer, c.client_id, c.client_secret);
    const visitor = new Agent(idp.issuer);
    const { page: login } = await visitor.startAuthorization(rp, 'http://127.0.0.1:9/cb', 'openid');
    const loginPath = new URL(login.url).pathname;
    const linkTo = (html: string, name: string) => links(html).find(([label]) => label === name)![1]!;

    const recovery = await visitor.get(linkTo(login.html, 'Forgot username or password?'));
    expect(linkTo(recovery.html, 'Back to log in')).toBe(loginPath);
    const action = /<form method="post" action="([^"]+)"/.exec(recovery.html)![1]!.replace(/&amp;/g, '&');
    const sent = await visitor.post(action, { email: 'nobody@example.be' });
    expect(text(sent.html)).toContain('Check your mailbox');
    expect(linkTo(sent.html, 'Back to log in')).toBe(loginPath);

    const reactivation = await visitor.get(linkTo(login.html, 'Reactivate my account'));
    expect(linkTo(reactivation.html, 'Back to log in')).toBe(loginPath);
    // Back where the app's login was: the same login, still for the app.
    const back = await visitor.get(loginPath);
    expect([back.status, text(back.html)]).toEqual([200, expect.stringContaining('Cancel and return to the application')]);
    // A return_to that leaves the site is not followed: the account pages' login instead.
    expect(linkTo((await visitor.get('/recovery?return_to=//elsewhere.example/x')).html, 'Back to log in')).toBe('/account');
  });

  it('heads the errors of every form with the same words: recovery, reactivation, account pages', async () => {
    const { agent } = await person('elise');
    const visitor = new Agent(idp.issuer);
    for (const a of [agent, visitor]) a.headers['accept-language'] = 'fr';
    const refusal = async (a: Agent, path: string, form: Record<string, string>) => {
      await a.get(path);
      const page = await a.post(path, form);
      return [page.status, /id="form-error">\s*<p>([^<]*)<\/p>/.exec(page.html)?.[1]];
    };
    const refused = [
      await refusal(visitor, '/recovery', { email: '' }),
      await refusal(visitor, '/reactivation/token', { mobile: '', token: '' }),
      await refusal(agent, '/account/profile', { given_name: '', family_name: 'Wouters' }),
    ];
    expect(refused).toEqual(Array(3).fill([400, 'Veuillez corriger ce qui suit\u00a0:']));
  });

  it('offers no "return to the application" on the login page of the account pages, and keeps it for a relying app', async () => {
    const forAccount = await new Agent(idp.issuer).get('/account');
    expect(text(forAccount.html)).toContain('Log in to manage your account');
    expect(text(forAccount.html)).not.toContain('Cancel and return to the application');
    expect(forAccount.html).not.toContain('/abort');

    const c = await createClient(idp.services.provider(), { name: 'Library', redirectUris: ['http://127.0.0.1:9/cb'] });
    const rp = await discover(idp.issuer, c.client_id, c.client_secret);
    const { page } = await new Agent(idp.issuer).startAuthorization(rp, 'http://127.0.0.1:9/cb', 'openid');
    expect(text(page.html)).toContain('Cancel and return to the application');
  });

  it('lets Back from the logout page log in to the account pages again, not replay a used login from the cache', async () => {
    // Chromium's Back served the cached redirects of /account and /self/login, the latter with the state of a login
    // already done: the callback then answered "Your login attempt took too long and has expired", with no way on.
    for (const path of ['/account', '/account/security', '/self/login?return_to=%2Faccount', '/self/callback?state=x&code=y']) {
      const r = await fetch(`${idp.issuer}${path}`, { redirect: 'manual' });
      expect([path, r.headers.get('cache-control')]).toEqual([path, 'no-store']);
    }
  });
});
