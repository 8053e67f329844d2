// The profile's contact data, end to end over HTTP against a provider with a real SMS gateway (HTTP sink) and a real
// SMTP server (SMTP sink): a mobile number verified by an SMS code, an e-mail change with its two mails, alerts
// turned off by a change and on again, and the claims relying apps read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startHttpSink, type HttpSink } from '../../helpers/http-sink.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { discover } from '../../helpers/rp.ts';
import { createClient } from '../../../provider/oidc/clients.ts';
import { getAlertSettings } from '../../../provider/domain/accounts/alerts.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import { Agent, text, withOlderLogin } from './agent.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/cb';

describe('profile contact data: SMS code, e-mail change, alerts, claims', () => {
  let idp: TestProvider;
  let gateway: HttpSink;
  let smtp: SmtpSink;
  let rp: client.Configuration;

  beforeAll(async () => {
    [gateway, smtp] = await Promise.all([startHttpSink(), startSmtpSink()]);
    idp = await startTestProvider('pglite', { SMS_GATEWAY_URL: `${gateway.url}/sms`, SMTP_URL: smtp.url, OUTBOX_POLL_MS: '100' });
    const c = await createClient(idp.services.provider(), { name: 'Crisis portal', redirectUris: [REDIRECT], firstParty: true });
    rp = await discover(idp.issuer, c.client_id, c.client_secret);
  });
  afterAll(async () => {
    await idp?.close();
    await Promise.all([gateway?.stop(), smtp?.stop()]);
  });

  async function person(username: string, o: { phone?: string } = {}): Promise<User> {
    const { db, users, hasher } = idp.services;
    const u = await users.create(db, {
      username,
      email: `${username}@example.be`,
      emailVerified: true,
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
    });
    if (o.phone) await users.setVerifiedPhone(db, u.id, o.phone);
    return (await users.findById(db, u.id))!;
  }

  async function loggedIn(username: string) {
    const agent = new Agent(idp.issuer);
    const page = await agent.login(username, PASSWORD);
    expect(page.url).toBe(`${idp.issuer}/account`);
    return agent;
  }

  /** The code of the newest SMS the gateway received for `to`. */
  async function codeSentTo(to: string, after = 0): Promise<string> {
    const sms = await gateway.waitFor((r) => (r.json as { to?: string })?.to === to && gateway.requests.indexOf(r) >= after, 10_000);
    const code = /\b(\d{6})\b/.exec((sms.json as { text: string }).text)?.[1];
    expect(code).toBeDefined();
    return code!;
  }

  async function claims(agent: Agent, username: string) {
    const tokens = await agent.authorize(rp, REDIRECT, 'openid email phone', { identifier: username, password: PASSWORD });
    return client.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
  }

  it('verifies a typed number by SMS; the old number stays in force until then, and the claims follow', async () => {
    await person('ann', { phone: '+32470111111' });
    const agent = await loggedIn('ann');
    expect(await claims(agent, 'ann')).toMatchObject({ phone_number: '+32470111111', phone_number_verified: true });

    const sent = gateway.requests.length;
    const verify = await agent.post('/account/phone', { phone: '0490 12 34 56' });
    expect(verify.url).toBe(`${idp.issuer}/account/phone/verify`);
    expect(text(verify.html)).toContain('We sent a code of 6 digits by SMS to +32 490 12 34 56. It is valid for 10 minutes.');
    const code = await codeSentTo('+32490123456', sent);

    // Pending: the profile says so, and relying apps still see the verified number.
    const profile = text((await agent.get('/account')).html);
    expect(profile).toContain('+32 470 11 11 11 — verified');
    expect(profile).toContain('We sent a code by SMS to +32 490 12 34 56.');
    expect(await claims(agent, 'ann')).toMatchObject({ phone_number: '+32470111111', phone_number_verified: true });

    const wrong = await agent.post('/account/phone/verify', { code: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(text(wrong.html)).toContain('This code is not correct. You can try 4 more times.');

    const ok = await agent.post('/account/phone/verify', { code });
    expect(ok.url).toBe(`${idp.issuer}/account/alerts?done=phone_verified`);
    expect(text(ok.html)).toContain('Your mobile number is verified.');
    expect(text(ok.html)).toContain('Alerts by SMS are off since you changed your mobile number: turn them on again');
    expect(await claims(agent, 'ann')).toMatchObject({ phone_number: '+32490123456', phone_number_verified: true });
    // The owner is told at her address: apps receive the number, and a session left open could have changed it.
    const told = await smtp.waitFor((m) => m.to.includes('ann@example.be') && m.subject === 'Your mobile number was changed');
    expect(told.text).toContain('The mobile number of your account is now +32 490 12 34 56.');
    // Not "your SMS alerts go to it": the page has just turned them off, and the mail says so too.
    expect(told.text).toContain('Alerts by SMS to it stay off until you turn them on, on your alerts page.');

    // Single use: the same code again does nothing.
    const again = await agent.post('/account/phone/verify', { code });
    expect(again.status).toBe(400);
    expect(text(again.html)).toContain('This code can no longer be used.');
    expect(text((await agent.get('/account')).html)).toContain('+32 490 12 34 56 — verified');
  });

  it("writes mails and SMS in the language chosen on /account, whatever the page's language", async () => {
    await person('greta');
    const agent = await loggedIn('greta');
    // Before she chooses: the default is named in the page's language, and the list offers the page's language.
    agent.headers['accept-language'] = 'fr';
    const unset = await agent.get('/account');
    expect(text(unset.html)).toContain('nous vous écrivons dans la langue par défaut du service, anglais ;');
    expect(unset.html).toMatch(/<option value="fr" lang="fr" selected>Français<\/option>/);
    delete agent.headers['accept-language'];
    const saved = await agent.post('/account/language', { locale: 'de' });
    expect(saved.url).toBe(`${idp.issuer}/account?done=language_saved`);
    expect(saved.html).toMatch(/<option value="de" lang="de" selected>Deutsch<\/option>/);
    const refused = await agent.post('/account/language', { locale: 'xx' });
    expect(refused.status).toBe(400);
    expect(text(refused.html)).toContain('Choose one of the languages in the list.');

    // The pages stay in English (this browser's language); the code reaches the phone in German.
    const sent = gateway.requests.length;
    const verify = await agent.post('/account/phone', { phone: '0490 55 66 77' });
    expect(text(verify.html)).toContain('We sent a code of 6 digits by SMS');
    const sms = await gateway.waitFor((r) => (r.json as { to?: string })?.to === '+32490556677' && gateway.requests.indexOf(r) >= sent, 10_000);
    expect((sms.json as { text: string }).text).toContain('ist Ihr Code zur Bestätigung dieser Handynummer');
  });

  it('voids a code after five wrong tries and refuses an expired one', async () => {
    const user = await person('bob');
    const agent = await loggedIn('bob');
    expect((await claims(agent, 'bob')).phone_number).toBeUndefined();

    let sent = gateway.requests.length;
    await agent.post('/account/phone', { phone: '+32 490 22 33 44' });
    const code = await codeSentTo('+32490223344', sent);
    const wrong = code === '000000' ? '111111' : '000000';
    for (const left of ['4 more times', '3 more times', '2 more times', '1 more time'])
      expect(text((await agent.post('/account/phone/verify', { code: wrong })).html)).toContain(`You can try ${left}.`);
    const voided = await agent.post('/account/phone/verify', { code: wrong });
    expect(text(voided.html)).toContain('This code can no longer be used. Ask for a new one.');
    expect(text((await agent.post('/account/phone/verify', { code })).html)).not.toContain('verified');

    sent = gateway.requests.length;
    await agent.post('/account/phone', { phone: '0490223344' });
    const fresh = await codeSentTo('+32490223344', sent);
    // Ten minutes later (the token's expiry moved, as the clock would).
    await idp
      .db('one_time_tokens')
      .where({ user_id: user.id, purpose: 'phone_verification' })
      .update({ expires_at: new Date(Date.now() - 1000) });
    const expired = await agent.post('/account/phone/verify', { code: fresh });
    expect(text(expired.html)).toContain('This code has expired. Ask for a new one.');
    const u = (await idp.services.users.findById(idp.db, user.id))!;
    expect([u.phone_number, u.phone_number_verified]).toEqual([null, false]);
    expect((await claims(agent, 'bob')).phone_number).toBeUndefined();
  });

  it('refuses impossible and fixed-line numbers with the expected form, and limits the SMS sent', async () => {
    await person('cleo');
    const agent = await loggedIn('cleo');
    const fixed = await agent.post('/account/phone', { phone: '02 512 34 56' });
    expect(fixed.status).toBe(400);
    expect(fixed.html).toMatch(
      /<input id="phone" name="phone" type="tel" autocomplete="tel" value="02 512 34 56"[^>]*aria-invalid="true" aria-describedby="phone-hint phone-error">/,
    );
    expect(text(fixed.html)).toMatch(/This number cannot receive SMS\. Enter a mobile number such as 04\d\d \d\d \d\d \d\d or \+32 4\d\d \d\d \d\d \d\d\./);
    expect(text((await agent.post('/account/phone', { phone: '0490' })).html)).toContain('This is not a valid phone number.');

    // Only numbers of the countries in SMS_COUNTRIES (BE, NL, LU, FR, DE by default) on one's own pages: each costs a text.
    const british = await agent.post('/account/phone', { phone: '+44 7911 123456' });
    expect([british.status, text(british.html)]).toEqual([400, expect.stringContaining('We cannot send SMS to numbers of this country.')]);
    for (let i = 0; i < 5; i++) expect((await agent.post('/account/phone', { phone: '0490 55 66 77' })).url).toBe(`${idp.issuer}/account/phone/verify`);
    expect(text((await agent.post('/account/phone', { phone: '0490 55 66 77' })).html)).toMatch(
      /Too many codes were sent to you\. Try again in (1 minute|\d+ minutes|1 hour)\./,
    );
    // Numbers added for alerts draw on the same SMS budget; an address added for alerts is mailed its code.
    // (Countries first: a number SMS_COUNTRIES does not name is refused before any budget is spent.)
    const abroad = await agent.post('/account/alerts/contacts', { channel: 'sms', value: '+252 61 234 5678' });
    expect(text(abroad.html)).toContain('We cannot send SMS to numbers of this country.');
    const sms = await agent.post('/account/alerts/contacts', { channel: 'sms', value: '0490 55 66 88' });
    expect(text(sms.html)).toMatch(/Too many codes were sent to you\. Try again in (1 minute|\d+ minutes|1 hour)\./);
    const mail = await agent.post('/account/alerts/contacts', { channel: 'email', value: 'cleo.partner@example.org' });
    expect(mail.url).toMatch(/\/account\/alerts\/contacts\/[0-9a-f-]+\/verify$/);
  });

  it('asks a login older than five minutes for the password again before a new mobile number or alert contact', async () => {
    const user = await person('greet');
    const stale = withOlderLogin(await loggedIn('greet'), idp.services.cookieKeys[0]!, 600);
    const asked = (res: globalThis.Response) => {
      const to = new URL(res.headers.get('location') ?? '/', idp.issuer);
      return [res.status, to.pathname, to.searchParams.get('prompt'), to.searchParams.get('max_age')];
    };
    const again = [302, '/self/login', 'login', '0'];
    expect(asked(await stale.raw('/account/phone', { form: { phone: '0490 11 22 33' } }))).toEqual(again);
    expect(asked(await stale.raw('/account/alerts/contacts/new'))).toEqual(again);
    expect(asked(await stale.raw('/account/alerts/contacts', { form: { channel: 'email', value: 'mallory@evil.example' } }))).toEqual(again);
    // Nothing was started: no code sent, no contact stored.
    expect(await idp.services.db('alert_contacts').where({ user_id: user.id })).toEqual([]);
    expect(await idp.services.db('one_time_tokens').where({ user_id: user.id })).toEqual([]);
  });

  it('changes the e-mail address after re-authentication: link to the new address, notice to the old, old in force until verified', async () => {
    const user = await person('dirk');
    const agent = await loggedIn('dirk');

    // A login older than five minutes is asked for the password again.
    const stale = withOlderLogin(agent, idp.services.cookieKeys[0]!, 600);
    const reauth = await stale.raw('/account/email');
    expect(reauth.status).toBe(302);
    const to = new URL(reauth.headers.get('location')!, idp.issuer);
    expect([to.pathname, to.searchParams.get('prompt'), to.searchParams.get('max_age'), to.searchParams.get('return_to')]).toEqual([
      '/self/login',
      'login',
      '0',
      '/account/email',
    ]);

    const form = await agent.get('/account/email');
    expect(text(form.html)).toContain('Your current address stays in use until you follow the link.');
    const sent = await agent.post('/account/email', { email: 'dirk.new@example.org' });
    expect(text(sent.html)).toContain(
      'We sent a link to dirk.new@example.org. Follow it within 24 hours to confirm the new address. Until then, dirk@example.be stays in use.',
    );

    const link = await smtp.waitFor((m) => m.to.includes('dirk.new@example.org'));
    expect(link.subject).toBe('Confirm your new e-mail address');
    const href = /https?:\/\/\S+\/account\/email\/verify\?token=[\w-]+/.exec(link.text)?.[0];
    expect(href).toBeDefined();
    const notice = await smtp.waitFor((m) => m.to.includes('dirk@example.be'));
    expect(notice.subject).toBe('Your e-mail address is being changed');
    expect(notice.text).toContain('d•••@example.org');
    expect(notice.text).toContain('This address stays in use until the new one is confirmed.');
    expect(notice.text).not.toContain('token=');

    // Until the link is followed: the old address is the account's, for login and for relying apps.
    expect(text((await agent.get('/account')).html)).toContain('We sent a confirmation link to dirk.new@example.org');
    expect(await claims(new Agent(idp.issuer), 'dirk@example.be')).toMatchObject({ email: 'dirk@example.be', email_verified: true });

    // Opening the link changes nothing (mail scanners open links); the click does, without a login.
    const stranger = new Agent(idp.issuer);
    const confirm = await stranger.get(new URL(href!).pathname + new URL(href!).search);
    expect(text(confirm.html)).toContain('Use dirk.new@example.org as the e-mail address of your account?');
    expect((await idp.services.users.findById(idp.db, user.id))!.email).toBe('dirk@example.be');
    const token = new URL(href!).searchParams.get('token')!;
    const done = await stranger.post('/account/email/verify', { token });
    expect(text(done.html)).toContain('Your account now uses dirk.new@example.org. Alerts by e-mail are off since you changed your address');
    expect(text((await stranger.post('/account/email/verify', { token })).html)).toContain('This link is not valid or was already used.');

    const changed = (await idp.services.users.findById(idp.db, user.id))!;
    expect([changed.email, changed.email_verified]).toEqual(['dirk.new@example.org', true]);
    expect(await claims(new Agent(idp.issuer), 'dirk.new@example.org')).toMatchObject({ email: 'dirk.new@example.org', email_verified: true });
    expect(text((await agent.get('/account')).html)).not.toContain('We sent a confirmation link');
  });

  it('turns alerts off on a changed channel, says so on the pages, and on again when the user asks', async () => {
    const user = await person('eva');
    const agent = await loggedIn('eva');
    expect(await getAlertSettings(idp.db, user.id)).toMatchObject({ email: { enabled: true }, sms: { enabled: false } });
    let alerts = await agent.get('/account/alerts');
    expect(alerts.html).toMatch(/<input type="checkbox" id="alerts-email" name="email" value="on" checked>/);
    expect(alerts.html).toMatch(/<input type="checkbox" id="alerts-sms" name="sms" value="on" disabled/);

    const sent = gateway.requests.length;
    await agent.post('/account/phone', { phone: '0490 98 76 54' });
    await agent.post('/account/phone/verify', { code: await codeSentTo('+32490987654', sent) });
    alerts = await agent.post('/account/alerts', { email: 'on', sms: 'on' });
    expect(text(alerts.html)).toContain('Your alert settings have been saved.');
    expect(text(alerts.html)).not.toContain('are off since');
    expect(await getAlertSettings(idp.db, user.id)).toEqual({ email: { enabled: true, offReason: null }, sms: { enabled: true, offReason: null } });

    // A new address turns e-mail alerts off, and both pages say so until the user turns them on again.
    await agent.post('/account/email', { email: 'eva@example.org' });
    const mail = await smtp.waitFor((m) => m.to.includes('eva@example.org'));
    const token = new URL(/https?:\/\/\S+token=[\w-]+/.exec(mail.text)![0]).searchParams.get('token')!;
    await agent.post('/account/email/verify', { token });
    const pitfall = 'Alerts by e-mail are off since you changed your address: turn them on again';
    expect(text((await agent.get('/account')).html)).toContain(pitfall);
    alerts = await agent.get('/account/alerts');
    expect(text(alerts.html)).toContain(pitfall);
    expect(text(alerts.html)).not.toContain('Alerts by SMS are off');
    expect(alerts.html).toMatch(/<input type="checkbox" id="alerts-email" name="email" value="on">/);
    expect(alerts.html).toMatch(/<input type="checkbox" id="alerts-sms" name="sms" value="on" checked>/);

    alerts = await agent.post('/account/alerts', { email: 'on', sms: 'on' });
    expect(text(alerts.html)).not.toContain(pitfall);
    expect(text((await agent.get('/account')).html)).not.toContain(pitfall);
    expect(await getAlertSettings(idp.db, user.id)).toEqual({ email: { enabled: true, offReason: null }, sms: { enabled: true, offReason: null } });

    // Turned off by the user: no "since you changed" notice, nothing to fix.
    alerts = await agent.post('/account/alerts', { email: 'on' });
    expect(text(alerts.html)).not.toContain('are off since');
    expect(await getAlertSettings(idp.db, user.id)).toEqual({ email: { enabled: true, offReason: null }, sms: { enabled: false, offReason: null } });
  });

  it('sends the link to a new address past the mails others had sent there, to a person asking for the first time', async () => {
    // Four accounts ask five times each to move to one address: RATE_LIMIT_ADDRESS_MAILS (20) for the hour.
    for (const name of ['d1', 'd2', 'd3', 'd4']) {
      await person(name);
      const agent = await loggedIn(name);
      for (let i = 0; i < 5; i++) expect((await agent.post('/account/email', { email: 'newhome@example.net' })).status).toBe(200);
    }
    await person('erin');
    const erin = await loggedIn('erin');
    const sent = await erin.post('/account/email', { email: 'newhome@example.net' });
    expect(text(sent.html)).toContain('We sent a link to newhome@example.net.');
    // Her own second request within the hour meets the ceiling.
    const again = await erin.post('/account/email', { email: 'newhome@example.net' });
    expect([again.status, text(again.html)]).toEqual([429, expect.stringMatching(/Too many attempts\. Try again in/)]);
  });

  it("sends an account's links to as many addresses in all as to one address in an hour", async () => {
    // RATE_LIMIT_REGISTRATION_MAILS (5): a link to each of twenty addresses would be twenty mails to strangers.
    await person('hugo');
    const agent = await loggedIn('hugo');
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => agent.post('/account/email', { email: `hugo.${i}@example.net` })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(3);
    expect(text(refused[0]!.html)).toMatch(/Too many attempts\. Try again in/);
  });

  it('refuses, when its link is followed, an address another account holds', async () => {
    await person('fien');
    await person('gert');
    const agent = await loggedIn('fien');
    const page = await agent.post('/account/email', { email: 'GERT@example.be' });
    expect(text(page.html)).toContain('We sent a link to GERT@example.be.');
    const mail = await smtp.waitFor((m) => m.to.some((t) => t.toLowerCase() === 'gert@example.be') && m.subject === 'Confirm your new e-mail address');
    const token = new URL(/https?:\/\/\S+token=[\w-]+/.exec(mail.text)![0]).searchParams.get('token')!;
    const refused = await agent.post('/account/email/verify', { token });
    expect(refused.status).toBe(400);
    expect(text(refused.html)).toContain('This address is already used by another account. Your address has not been changed.');
    expect(text((await agent.get('/account')).html)).toContain('fien@example.be — verified');
  });
});
