// A NUL (%00) in a field of a page's form got the generic "Some fields are missing or not valid" page, the form and
// everything typed into it gone. It is now that field's problem, shown at the field with the other values kept, and
// nothing is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { discover } from '../../helpers/rp.ts';
import { enrolOnAccount, recoveryCodesOf, secretOf, Totp } from '../../helpers/totp.ts';
import { Agent, setSignedCookie, text, type Response } from './agent.ts';
import { loggedInPerson } from './people.ts';
import { postOpenSignUp } from '../registration/helpers.ts';
import { nameCorrections } from '../../../provider/domain/accounts/name-corrections.ts';
import { randomBytes } from 'node:crypto';
import { importInvitations } from '../../../provider/domain/invitations/import.ts';
import { BROWSER_COOKIE, browserBindingOf } from '../../../provider/domain/flow-state/binding.ts';
import { UPSTREAM_FLOW, type UpstreamFlowData } from '../../../provider/methods/upstream/service.ts';
import { ACCOUNT_FLOW, type AccountData } from '../../../provider/flows/reactivation/states.ts';
import { createPhoneVerification } from '../../../provider/domain/accounts/phone-verification.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { putUnderReview } from '../registration/under-review.ts';

const PASSWORD = 'quiet rivers carry seven lanterns';
const REDIRECT = 'http://127.0.0.1:9/cb';
/** What a person types into a code's field, with a NUL. */
const CODE = '123\u0000456';
const MESSAGE = 'Use visible characters only: control and text-direction characters cannot be used here.';

/** What the list beside the field named `name` says. */
const fieldError = (html: string, name: string) => text(new RegExp(`id="${name}-error"[^>]*>([\\s\\S]*?)</ul>`).exec(html)?.[1] ?? '');
/** The value the input named `name` shows (or the one of that id: a page with a form per item names their fields alike). */
const shown = (html: string, name: string, attribute = 'name') => new RegExp(`<input[^>]*${attribute}="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1];

/** The form again, not the generic page, with the field named `name` saying why. */
function refusedAt(answer: Response, name: string) {
  expect(answer.status).toBe(400);
  expect(text(answer.html)).not.toContain('Some fields are missing or not valid');
  expect(fieldError(answer.html, name)).toBe(MESSAGE);
}

describe('a NUL in a form field', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { REGISTRATION_MODES: 'open', CAPTCHA: 'off' });
  });
  afterAll(() => idp?.close());

  /** The code of the newest text or mail to `recipient`. */
  const codeSentTo = async (recipient: string) =>
    /\b(\d{6})\b/.exec(String((await idp.db('outbox').where({ recipient }).orderBy('created_at', 'desc').first()).body_text))![1]!;
  /** A person's codes and links as their checks leave them: a try counted, spent or voided shows here. */
  const codesOf = (userId: string) => idp.db('one_time_tokens').where({ user_id: userId }).orderBy('id').select('id', 'attempts', 'consumed_at', 'voided_at');

  /** Gives `agent` a cookie a flow's step leaves, signed as the provider signs them. */
  const signedCookie = (agent: Agent, name: string, value: string) => setSignedCookie(agent, idp.services.cookieKeys[0]!, name, value);
  /** Makes `agent` a browser that flows are bound to, as a flow's first step does; its binding. */
  function knownBrowser(agent: Agent) {
    const browser = randomBytes(32).toString('base64url');
    signedCookie(agent, BROWSER_COOKIE, browser);
    return browserBindingOf(browser);
  }

  it('is shown at its field of the sign-up form, the other values kept and no account made', async () => {
    const { answer } = await postOpenSignUp(idp.issuer, PASSWORD, { family_name: 'Ma\u0000es' });
    expect(answer.status).toBe(400);
    expect(text(answer.html)).not.toContain('Some fields are missing or not valid');
    expect(fieldError(answer.html, 'family_name')).toBe(MESSAGE);
    expect([shown(answer.html, 'email'), shown(answer.html, 'given_name')]).toEqual(['lena@example.be', 'Lena']);
    expect(await idp.services.db('users').where({ email: 'lena@example.be' })).toEqual([]);
  });

  it('is shown at its field of the address change and of a new alert contact, nothing stored', async () => {
    const { agent, user } = await loggedInPerson(idp, 'noor', PASSWORD, { locale: 'en' });
    const email = await agent.post('/account/email', { email: 'noor.new@exam\u0000ple.org' });
    expect(email.status).toBe(400);
    expect(fieldError(email.html, 'email')).toBe(MESSAGE);
    expect(shown(email.html, 'email')).toBe('noor.new@exam\u0000ple.org');
    expect(await idp.services.db('one_time_tokens').where({ user_id: user.id })).toEqual([]);

    const contact = await agent.post('/account/alerts/contacts', { channel: 'email', value: 'noor.alerts@example.org\u0000' });
    expect(contact.status).toBe(400);
    expect(fieldError(contact.html, 'value')).toBe(MESSAGE);
    expect(contact.html).toMatch(/<input[^>]*name="channel"[^>]*value="email"[^>]*checked/);
    expect(await idp.services.db('alert_contacts').where({ user_id: user.id })).toEqual([]);
  });

  it('is shown at the password of the login form, the name kept', async () => {
    await loggedInPerson(idp, 'jonas', PASSWORD);
    const agent = new Agent(idp.issuer);
    const page = await agent.get('/self/login?return_to=%2Faccount');
    const action = /<form method="post" action="([^"]+\/login)"/.exec(page.html)![1]!;
    const refused = await agent.post(action, { identifier: 'jonas', password: `${PASSWORD}\u0000` });
    expect(refused.status).toBe(400);
    expect(fieldError(refused.html, 'password')).toBe(MESSAGE);
    expect(shown(refused.html, 'identifier')).toBe('jonas');
  });

  it('is shown at the password of the activation page, the link left unspent; a password over the limit says so too', async () => {
    const { answer } = await postOpenSignUp(idp.issuer, PASSWORD, { email: 'mila@example.be', given_name: 'Mila' });
    expect(text(answer.html)).toContain('Check your e-mail');
    const mail = await idp.services.db('outbox').where({ recipient: 'mila@example.be' }).first();
    const token = /activate\?token=([\w-]+)/.exec(String(mail.body_text))![1]!;
    const agent = new Agent(idp.issuer);
    await agent.get(`/registration/activate?token=${token}`);
    const refused = await agent.post('/registration/activate', { token, password: `${PASSWORD}\u0000` });
    expect(refused.status).toBe(400);
    expect(text(refused.html)).not.toContain('Some fields are missing or not valid');
    expect(fieldError(refused.html, 'password')).toBe(MESSAGE);
    const long = await agent.post('/registration/activate', { token, password: 'x'.repeat(1025) });
    expect(fieldError(long.html, 'password')).toBe('This is too long: use at most 1024 characters.');
    const empty = await agent.post('/registration/activate', { token, password: '' });
    expect(fieldError(empty.html, 'password')).toBe('Enter the password you chose when you signed up.');
    const activated = await agent.post('/registration/activate', { token, password: PASSWORD });
    expect(text(activated.html)).toContain('You can now log in with mila@example.be and your password.');
  });

  it('says so in French with its typography', async () => {
    const { agent } = await loggedInPerson(idp, 'elise', PASSWORD, { locale: 'fr' });
    agent.headers['accept-language'] = 'fr';
    const refused = await agent.post('/account/email', { email: '\u0000' });
    expect(fieldError(refused.html, 'email')).toBe(
      'Utilisez uniquement des caractères visibles : les caractères de contrôle et de sens d’écriture ne sont pas acceptés ici.',
    );
    // The colon keeps its no-break space, which the text above reads as any space.
    expect(refused.html).toContain('visibles\u00a0: les caractères');
  });

  describe('of the staff pages', () => {
    let staff: Agent;
    let personId: string;
    beforeAll(async () => {
      const { db, users, hasher } = idp.services;
      const passwordHash = await hasher.hash(PASSWORD);
      await users.create(db, { username: 'boss', email: 'boss@example.be', emailVerified: true, passwordHash, status: 'active', roles: ['admin'] });
      const person = await users.create(db, {
        username: 'ruth',
        email: 'ruth@example.be',
        emailVerified: true,
        givenName: 'Ruth',
        familyName: 'Peeters',
        status: 'active',
      });
      personId = person.id;
      staff = new Agent(idp.issuer);
      await staff.login('boss', PASSWORD, '/admin');
    });
    const audited = (event: string) => idp.services.db('audit_log').where({ event, user_id: personId });

    it("is shown at its field of a person's name and new mobile number, the other values kept and nothing saved", async () => {
      const name = await staff.post(`/admin/users/${personId}/name`, { given_name: 'Ru\u0000th', family_name: 'Janssens' });
      expect(name.status).toBe(400);
      expect(text(name.html)).not.toContain('Some fields are missing or not valid');
      expect(fieldError(name.html, 'given_name')).toBe(MESSAGE);
      expect([shown(name.html, 'given_name'), shown(name.html, 'family_name')]).toEqual(['Ru\u0000th', 'Janssens']);
      expect(await idp.services.users.findById(idp.db, personId)).toMatchObject({ given_name: 'Ruth', family_name: 'Peeters' });
      expect(await audited('admin.name_changed')).toEqual([]);

      const phone = await staff.post(`/admin/users/${personId}/phone`, { phone: '+32 470 12\u000034 56' });
      expect(phone.status).toBe(400);
      expect(fieldError(phone.html, 'phone')).toBe(MESSAGE);
      expect(shown(phone.html, 'phone')).toBe('+32 470 12\u000034 56');
      expect(await idp.services.db('pending_contacts').where({ user_id: personId })).toEqual([]);
      expect(await audited('admin.phone_change_started')).toEqual([]);
    });

    it('is shown at the reason for refusing a name correction, which still waits', async () => {
      const c = await nameCorrections.request(idp.db, personId, { givenName: 'Ruth', familyName: 'Peters' });
      const refused = await staff.post(`/admin/name-corrections/${c.id}/reject`, { reason: 'Not on the ca\u0000rd' });
      expect(refused.status).toBe(400);
      expect(fieldError(refused.html, `correction-reason-${c.id}`)).toBe(MESSAGE);
      expect(shown(refused.html, `correction-reason-${c.id}`, 'id')).toBe('Not on the ca\u0000rd');
      expect(await idp.db('name_corrections').where({ id: c.id }).first()).toMatchObject({ status: 'pending' });
      expect(await audited('account.name_correction_rejected')).toEqual([]);
    });

    it('is shown at the username and the reason of a registration under review, which still waits', async () => {
      const { db, hasher } = idp.services;
      await importInvitations({ db, hasher }, 'given name;family name;group\nNoah;Janssens;3b\n', { partial: false });
      await putUnderReview(db, 'noah.janssens', 'noah@example.be', { given: 'Noah', family: 'Janssen' });
      const { id } = await db('invitations').where({ username: 'noah.janssens' }).first('id');
      const approved = await staff.post(`/admin/registrations/${id}/approve`, { username: 'noah\u0000' });
      expect(approved.status).toBe(400);
      expect(fieldError(approved.html, `username-${id}`)).toBe(MESSAGE);
      expect(shown(approved.html, `username-${id}`, 'id')).toBe('noah\u0000');
      const rejected = await staff.post(`/admin/registrations/${id}/reject`, { reason: 'Not on the ca\u0000rd' });
      expect(rejected.status).toBe(400);
      expect(fieldError(rejected.html, `reason-${id}`)).toBe(MESSAGE);
      expect(shown(rejected.html, `reason-${id}`, 'id')).toBe('Not on the ca\u0000rd');
      expect(await db('invitations').where({ id }).first()).toMatchObject({ status: 'pending_review' });
      expect(await db('users').where({ email: 'noah@example.be' })).toEqual([]);
    });

    it("is shown at an organisation's name and at a member's username, nothing made", async () => {
      const made = await staff.post('/admin/organisations', { name: 'Stad\u0000 Gent', notify: 'on' });
      expect(made.status).toBe(400);
      expect(fieldError(made.html, 'name')).toBe(MESSAGE);
      expect(shown(made.html, 'name')).toBe('Stad\u0000 Gent');
      expect(await idp.db('organisations')).toEqual([]);

      const org = await staff.post('/admin/organisations', { name: 'Stad Gent' });
      const orgId = /\/admin\/organisations\/([0-9a-f-]{36})/.exec(org.url)![1]!;
      const member = await staff.post(`/admin/organisations/${orgId}/members`, { username: 'ruth\u0000' });
      expect(member.status).toBe(400);
      expect(fieldError(member.html, 'username')).toBe(MESSAGE);
      expect(shown(member.html, 'username')).toBe('ruth\u0000');
      expect(await idp.db('organisation_members').where({ organisation_id: orgId })).toEqual([]);
    });

    it('is shown at the search field, typed or sent back with an action on a person found, and nothing done', async () => {
      const typed = await staff.get('/admin/users?q=ru%00th');
      refusedAt(typed, 'q');
      expect(shown(typed.html, 'q')).toBe('ru\u0000th');
      const blocked = await staff.post(`/admin/users/${personId}/block`, { q: 'ru\u0000th' });
      refusedAt(blocked, 'q');
      expect(shown(blocked.html, 'q')).toBe('ru\u0000th');
      expect(await idp.services.users.findById(idp.db, personId)).toMatchObject({ status: 'active' });
      // Only the search's own field: another in its address is refused before any page, as everywhere.
      expect(text((await staff.get('/admin/users?q=ruth&notice=%00')).html)).toContain(
        'Part of what your browser sent could not be read, so nothing was changed.',
      );
    });
  });

  it('is shown at the mobile number and the token of the reactivation pages, the other value kept and no flow started', async () => {
    const agent = new Agent(idp.issuer);
    await agent.get('/reactivation');
    // Neither a flow nor a try counted against the number or the connection.
    const rows = async () => Promise.all(['self_service_flows', 'rate_limits'].map(async (t) => Number((await idp.db(t).count({ n: '*' }))[0]!.n)));
    const before = await rows();
    const start = await agent.post('/reactivation', { mobile: '0470 12\u000034 56' });
    expect(start.status).toBe(400);
    expect(text(start.html)).not.toContain('Some fields are missing or not valid');
    expect(fieldError(start.html, 'mobile')).toBe(MESSAGE);
    expect(shown(start.html, 'mobile')).toBe('0470 12\u000034 56');

    await agent.get('/reactivation/token');
    const token = await agent.post('/reactivation/token', { mobile: '0470 12 34 56', token: '1234\u00005678' });
    expect(token.status).toBe(400);
    expect(fieldError(token.html, 'token')).toBe(MESSAGE);
    expect([shown(token.html, 'mobile'), shown(token.html, 'token')]).toEqual(['0470 12 34 56', '1234\u00005678']);
    expect(await rows()).toEqual(before);
  });

  it('is shown at the label of a new passkey, none added', async () => {
    const { agent, user } = await loggedInPerson(idp, 'pieter', PASSWORD);
    await agent.get('/account/passkeys/new');
    const refused = await agent.post('/account/passkeys', { name: 'Pho\u0000ne', flow: 'x', response: '{}' });
    expect(refused.status).toBe(400);
    expect(fieldError(refused.html, 'name')).toBe(MESSAGE);
    expect(shown(refused.html, 'name')).toBe('Pho\u0000ne');
    expect(await idp.db('passkeys').where({ user_id: user.id })).toEqual([]);
  });

  it('is shown at the password of the page linking a bank identity to an account, the name kept and nothing linked', async () => {
    const { user } = await loggedInPerson(idp, 'wout', PASSWORD);
    const agent = new Agent(idp.issuer);
    const binding = knownBrowser(agent);
    const identity = {
      subjectKey: 'bank-customer-9',
      label: 'Wout',
      givenName: 'Wout',
      familyName: 'Claes',
      email: null,
      acr: null,
      amr: [],
      nationalNumberHmac: null,
    };
    const flow = await idp.services.flows.create<UpstreamFlowData>(idp.db, {
      type: UPSTREAM_FLOW,
      state: 'unlinked',
      binding,
      data: { slug: 'bank', name: 'My Bank', purpose: 'login', checks: null, identity },
      ttlSeconds: 600,
    });
    signedCookie(agent, 'upstream_flow', flow.id);
    expect((await agent.get(`/upstream/link/${flow.id}`)).status).toBe(200);
    const refused = await agent.post(`/upstream/link/${flow.id}`, { identifier: 'wout', password: `${PASSWORD}\u0000` });
    expect(refused.status).toBe(400);
    expect(text(refused.html)).not.toContain('Some fields are missing or not valid');
    expect(fieldError(refused.html, 'password')).toBe(MESSAGE);
    expect(shown(refused.html, 'identifier')).toBe('wout');
    expect(await idp.db('upstream_links').where({ user_id: user.id })).toEqual([]);
    expect(await idp.db('self_service_flows').where({ id: flow.id }).first()).toMatchObject({ state: 'unlinked' });
  });

  it('is shown at the code texted to a new mobile number, no try counted and the code still good', async () => {
    const { agent, user } = await loggedInPerson(idp, 'sara', PASSWORD);
    await agent.post('/account/phone', { phone: '0470 11 22 33' });
    const before = await codesOf(user.id);
    refusedAt(await agent.post('/account/phone/verify', { code: CODE }), 'code');
    expect(await codesOf(user.id)).toEqual(before);
    const verified = await agent.post('/account/phone/verify', { code: await codeSentTo('+32470112233') });
    expect(verified.url).toBe(`${idp.issuer}/account/alerts?done=phone_verified`);
  });

  it('is shown at the code of a new alert contact, no try counted and the code still good', async () => {
    const { agent, user } = await loggedInPerson(idp, 'tine', PASSWORD);
    const verify = new URL((await agent.post('/account/alerts/contacts', { channel: 'email', value: 'tine.alerts@example.org' })).url).pathname;
    const before = await codesOf(user.id);
    refusedAt(await agent.post(verify, { code: CODE }), 'code');
    expect(await codesOf(user.id)).toEqual(before);
    const verified = await agent.post(verify, { code: await codeSentTo('tine.alerts@example.org') });
    expect(verified.url).toBe(`${idp.issuer}/account/alerts?done=contact_verified`);
  });

  it('makes the link confirming a new address one that does not work, the mailed link still good', async () => {
    const { agent } = await loggedInPerson(idp, 'wim', PASSWORD);
    await agent.post('/account/email', { email: 'wim.new@example.org' });
    const mail = await idp.db('outbox').where({ recipient: 'wim.new@example.org' }).first();
    const token = /email\/verify\?token=([\w-]+)/.exec(String(mail.body_text))![1]!;
    const refused = await agent.post('/account/email/verify', { token: `${token}\u0000` });
    expect(refused.status).toBe(400);
    expect(text(refused.html)).toContain('This link is not valid or was already used.');
    expect(text((await agent.post('/account/email/verify', { token })).html)).toContain('Your account now uses wim.new@example.org.');
  });

  it('is shown at the first code of a new authenticator app, which the right code still adds', async () => {
    const { agent } = await loggedInPerson(idp, 'emma', PASSWORD);
    const app = new Totp(secretOf((await agent.post('/account/security/totp', {})).html)!);
    refusedAt(await agent.post('/account/security/totp/confirm', { code: CODE }), 'code');
    expect(recoveryCodesOf((await agent.post('/account/security/totp/confirm', { code: await app.next() })).html)).toHaveLength(10);
  });

  describe('at the second step of a login', () => {
    it('is shown at the code from the app, no failure counted and the right code still logging in', async () => {
      const { agent: own, user } = await loggedInPerson(idp, 'lars', PASSWORD);
      const { app } = await enrolOnAccount(own);
      const agent = new Agent(idp.issuer);
      const step = new URL((await agent.login('lars', PASSWORD)).url).pathname;
      refusedAt(await agent.post(step, { code: CODE }), 'code');
      expect(await idp.db('audit_log').where({ event: 'second_factor.failure', user_id: user.id })).toEqual([]);
      expect((await agent.post(step, { code: await app.next() })).url).toBe(`${idp.issuer}/account`);
    });

    it('is shown at the first code of the app a login requiring two factors adds, which the right code still adds', async () => {
      await loggedInPerson(idp, 'nina', PASSWORD);
      const c = await createClient(idp.services.provider(), { name: 'Tax portal', redirectUris: [REDIRECT], firstParty: true, requireMfa: true });
      const agent = new Agent(idp.issuer);
      const { page } = await agent.startAuthorization(await discover(idp.issuer, c.client_id, c.client_secret), REDIRECT, 'openid');
      const enrol = await agent.submitLogin(page, 'nina', PASSWORD, (l) => l.startsWith(REDIRECT));
      const app = new Totp(secretOf(enrol.html)!);
      const action = `${new URL(enrol.url).pathname}/enrol`;
      refusedAt(await agent.post(action, { code: CODE }), 'code');
      expect(recoveryCodesOf((await agent.post(action, { code: await app.next() })).html)).toHaveLength(10);
    });
  });

  it('is shown at the code texted to the number and at the new password of a reactivation, neither step taken', async () => {
    const { user } = await loggedInPerson(idp, 'rik', PASSWORD);
    const agent = new Agent(idp.issuer);
    const mobile = '+32470556677';
    // Where the activation token leaves a reactivation on the device it takes back: a flow of this browser, a code texted.
    const flow = await idp.services.flows.create<AccountData>(idp.db, {
      type: ACCOUNT_FLOW,
      state: 'phone',
      binding: knownBrowser(agent),
      userId: user.id,
      data: { mobile, cardNumber: '592123456789', generation: user.access_generation },
      ttlSeconds: 600,
    });
    await createPhoneVerification(idp.services).startPhoneVerification(idp.db, user, mobile, 'en', { again: true, anyCountry: true });
    const path = `/reactivation/account/${flow.id}`;
    expect((await agent.get(`${path}/phone`)).status).toBe(200);
    const before = await codesOf(user.id);
    refusedAt(await agent.post(`${path}/phone`, { code: CODE }), 'code');
    expect(await codesOf(user.id)).toEqual(before);
    expect((await agent.post(`${path}/phone`, { code: await codeSentTo(mobile) })).url).toBe(`${idp.issuer}${path}/password`);

    const password = `new ${PASSWORD}\u0000`;
    refusedAt(await agent.post(`${path}/password`, { password, confirm: password }), 'password');
    expect(await idp.db('self_service_flows').where({ id: flow.id }).first()).toMatchObject({ state: 'password' });
    expect(await idp.services.users.findById(idp.db, user.id)).toMatchObject({ password_hash: user.password_hash });
  });
});
