// The helpdesk call "I lost my phone": staff see a person's passkeys (added, last used), authenticator app (recovery
// codes left) and mobile number on /admin/users/:id, and take one away from its confirmation page only. The person is
// mailed, the removal audited with who did it, and nothing else ends: the person stays logged in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { Agent, text, withOlderLogin } from '../account/agent.ts';
import { storedPasskey } from '../../helpers/passkeys.ts';
import { enrolOnAccount } from '../../helpers/totp.ts';
import { inStaffBrowser } from './staff-browser.ts';
import { axeViolations } from '../../helpers/axe.ts';
import { passkeysOf, recordPasskeyUse } from '../../../provider/domain/passkeys/repository.ts';
import { getAlertSettings, setAlertChannels } from '../../../provider/domain/accounts/alerts.ts';
import { pendingContacts } from '../../../provider/domain/accounts/pending-contacts.ts';

const PASSWORD = 'correct horse battery staple';

describe("a person's passkeys, authenticator app and mobile number on the staff pages", { timeout: 60_000 }, () => {
  let idp: TestProvider;
  let staff: Agent;
  let noor: Agent;
  let staffId: string;
  let noorId: string;
  let codes: string[];

  const page = async (path = '') => text((await staff.get(`/admin/users/${noorId}${path}`)).html);
  const mailTo = (subject: string) => idp.db('outbox').where({ user_id: noorId, subject }).first();
  const audited = (event: string) => idp.db('audit_log').where({ user_id: noorId, event }).pluck('details');
  /** The person's own session, untouched by what staff removed. */
  const stillLoggedIn = async () => expect((await noor.get('/account')).url).toBe(`${idp.issuer}/account`);

  beforeAll(async () => {
    idp = await startTestProvider('pglite');
    const { db, users, hasher } = idp.services;
    const passwordHash = await hasher.hash(PASSWORD);
    staffId = (await users.create(db, { username: 'staff', email: 'staff@example.be', emailVerified: true, passwordHash, status: 'active', roles: ['admin'] }))
      .id;
    noorId = (await users.create(db, { username: 'noor', email: 'noor@example.be', emailVerified: true, passwordHash, status: 'active' })).id;
    await users.setVerifiedPhone(db, noorId, '+32470111222');
    noor = new Agent(idp.issuer);
    await noor.login('noor', PASSWORD);
    ({ codes } = await enrolOnAccount(noor));
    staff = new Agent(idp.issuer);
    await staff.login('staff', PASSWORD, `/admin/users/${noorId}`);
  });
  afterAll(() => idp?.close());

  it('shows when each passkey was added and last used, and how many recovery codes are left', async () => {
    const lost = await storedPasskey(idp.db, noorId, 'Lost phone');
    await storedPasskey(idp.db, noorId, 'Laptop');
    await recordPasskeyUse(idp.db, lost, { counter: 1, backedUp: false }, new Date('2026-11-30T09:15:00Z'));
    const shown = await page();
    expect(shown).toMatch(/Lost phone: added .+, last used November 30, 2026/);
    expect(shown).toMatch(/Laptop: added .+, last used never/);
    expect(codes.length).toBeGreaterThan(0);
    expect(shown).toContain(`Authenticator app set up; recovery codes left: ${codes.length}`);
    expect(shown).toContain('Mobile number +32470111222 (verified)');
  });

  it("records each confirmation page shown, under the person, with who looked and what it offered to remove; not among the person's recent events", async () => {
    const [lost] = await passkeysOf(idp.db, noorId);
    for (const path of [`/passkeys/${lost!.id}/remove`, '/second-factor/remove', '/phone/remove']) await page(path);
    const trail = text(
      /<table id="audit-events">[\s\S]*?<\/table>/.exec((await staff.get('/admin/audit?user=noor&type=admin.factor_removal_viewed')).html)?.[0] ?? '',
    );
    const viewed = (details: string) => `admin\\.factor_removal_viewed noor \\S+ \\{"by":"${staffId}","factor":${details}\\}`;
    expect(trail).toMatch(new RegExp(`Details .*${viewed('"phone"')} .*${viewed('"second_factor"')} .*${viewed(`"passkey","passkey":"${lost!.id}"`)}$`));
    expect(await page()).not.toContain('admin.factor_removal_viewed');
  });

  it('removes a passkey only from its confirmation page, audited and mailed, and ends nothing else', async () => {
    const [lost, laptop] = await passkeysOf(idp.db, noorId);
    const question = await page(`/passkeys/${lost!.id}/remove`);
    expect(question).toContain('Remove the passkey “Lost phone”?');
    expect(question).toContain('Account: noor. The person is told by e-mail.');
    expect(await passkeysOf(idp.db, noorId)).toHaveLength(2);

    const done = await staff.post(`/admin/users/${noorId}/passkeys/${lost!.id}/remove`, {});
    expect(done.url).toBe(`${idp.issuer}/admin/users/${noorId}?notice=passkey_removed`);
    expect(text(done.html)).toContain('The passkey has been removed; the person was told by e-mail.');
    expect((await passkeysOf(idp.db, noorId)).map((p) => p.name)).toEqual([laptop!.name]);
    expect(await audited('passkey.removed')).toEqual([{ by: staffId, passkey: lost!.id }]);
    expect((await mailTo('A passkey was removed from your account')).body_text).toContain('The service desk removed the passkey “Lost phone”');
    await stillLoggedIn();
    // Gone, its confirmation page is gone too.
    expect((await staff.get(`/admin/users/${noorId}/passkeys/${lost!.id}/remove`)).status).toBe(404);
  });

  it('removes the authenticator app with its recovery codes only from its confirmation page, and ends nothing else', async () => {
    expect(await page('/second-factor/remove')).toContain('Remove the authenticator app and its recovery codes?');
    expect(await idp.services.db('audit_log').where({ user_id: noorId, event: 'second_factor.removed' })).toEqual([]);

    const done = text((await staff.post(`/admin/users/${noorId}/second-factor/remove`, {})).html);
    expect(done).toContain('The authenticator app and the recovery codes have been removed');
    expect(done).toContain('Authenticator app not set up');
    expect(await audited('second_factor.removed')).toEqual([{ kind: 'totp', by: 'staff', staffId }]);
    expect(await mailTo('The authenticator app was removed from your account')).toBeDefined();
    await stillLoggedIn();
    expect((await staff.get(`/admin/users/${noorId}/second-factor/remove`)).status).toBe(404);
  });

  it('removes the mobile number from its confirmation page; a new one counts only once the person types its code', async () => {
    await setAlertChannels(idp.db, noorId, { email: true, sms: true });
    expect(await page('/phone/remove')).toContain('Remove the mobile number +32470111222?');
    const done = text((await staff.post(`/admin/users/${noorId}/phone/remove`, {})).html);
    expect(done).toContain('The mobile number has been removed; the person was told by e-mail.');
    expect(done).toContain('Mobile number —');
    const user = (await idp.services.users.findById(idp.db, noorId))!;
    expect([user.phone_number, user.phone_number_verified]).toEqual([null, false]);
    expect((await getAlertSettings(idp.db, noorId)).sms).toEqual({ enabled: false, offReason: 'contact_changed' });
    expect(await audited('admin.phone_removed')).toEqual([{ by: staffId }]);
    expect((await mailTo('Your mobile number was removed from your account')).body_text).toContain('removed the mobile number +32470111222');
    await stillLoggedIn();
    // Her pages say her SMS alerts are off, and that the way on is a number: with none, there is nothing to turn on.
    const off = /<div class="alert alert-error" id="alerts-off-sms">([\s\S]*?)<\/div>/.exec((await noor.get('/account/alerts')).html)![1]!;
    expect(text(off)).toBe('Alerts by SMS are off since the mobile number of your account was removed: add a mobile number');
    expect(off).toContain('href="/account#phone-heading"');
    expect((await staff.get(`/admin/users/${noorId}/phone/remove`)).status).toBe(404);

    // Staff start the change; the person, told by mail where to go, types the code texted to the new number.
    expect(text((await staff.post(`/admin/users/${noorId}/phone`, { phone: '0470 33 44 55' })).html)).toContain('A code was texted to the new number.');
    expect(await page()).toMatch(/Mobile number —\s*New: \+32470334455, in force once its owner confirms it \(until /);
    // The account has no number since its removal: to the person this adds one, as a first number does.
    const mail = await mailTo('Confirm your mobile number');
    expect(mail.body_text).toContain('The service desk started adding the mobile number +32470334455 to your account.');
    expect(mail.body_text).toContain('If you did not ask for this, do nothing: your account stays without a mobile number.');
    expect(mail.body_text).toContain(`${idp.issuer}/account/phone/verify`);
    const sms = await idp.db('outbox').where({ recipient: '+32470334455', channel: 'sms' }).first();
    const verified = await noor.post('/account/phone/verify', { code: /\b(\d{6})\b/.exec(sms.body_text)![1]! });
    expect(verified.url).toBe(`${idp.issuer}/account/alerts?done=phone_verified`);
    expect((await idp.services.users.findById(idp.db, noorId))!.phone_number).toBe('+32470334455');
    expect(await page()).not.toContain('in force once its owner confirms');
    // No "off since you changed your number": it reads as the first number it now is, on the pages and in the mail.
    for (const html of [verified.html, (await noor.get('/account')).html]) expect(text(html)).not.toContain('since you changed your mobile number');
    expect((await getAlertSettings(idp.db, noorId)).sms).toEqual({ enabled: false, offReason: null });
    expect((await mailTo('A mobile number was added to your account')).body_text).toContain('The mobile number of your account is now +32 470 33 44 55.');
    expect(await mailTo('Your mobile number was changed')).toBeUndefined();
  });

  it('answers 404 for what the person does not have', async () => {
    expect((await staff.get(`/admin/users/${noorId}/passkeys/00000000-0000-0000-0000-000000000000/remove`)).status).toBe(404);
    expect((await staff.post(`/admin/users/${noorId}/passkeys/not-a-passkey/remove`, {})).status).toBe(404);
  });

  it("answers 404, and removes nothing, for a person's passkey asked under another person, or for ids no one has", async () => {
    const { db, users } = idp.services;
    const otherId = (await users.create(db, { username: 'other', email: 'other@example.be', status: 'active' })).id;
    const [noors] = await passkeysOf(db, noorId);
    const odd = ['%00', `${noors!.id}%00`, 'x'.repeat(4000), '%E2%98%83', '%E0%A4%A', '..%2F..%2Fphone'];
    const paths = [`/admin/users/${otherId}/passkeys/${noors!.id}/remove`, ...odd.map((id) => `/admin/users/${noorId}/passkeys/${id}/remove`)];
    for (const id of odd) paths.push(`/admin/users/${id}/phone/remove`, `/admin/users/${id}/second-factor/remove`);
    for (const path of paths) {
      for (const r of [await staff.get(path), await staff.post(path, {})])
        expect([path.slice(0, 80), r.status, text(r.html)]).toEqual([path.slice(0, 80), 404, expect.stringContaining('Page not found')]);
    }
    expect((await passkeysOf(db, noorId)).map((p) => p.id)).toContain(noors!.id);
    expect(await db('audit_log').where({ user_id: otherId })).toEqual([]);
  });

  it('lets no one but staff near the removals: not the person, not a stranger, not a form from another session', async () => {
    const [key] = await passkeysOf(idp.db, noorId);
    const removals = [`/passkeys/${key!.id}/remove`, '/phone/remove', '/second-factor/remove'].map((p) => `/admin/users/${noorId}${p}`);
    const stranger = new Agent(idp.issuer);
    for (const path of removals) {
      for (const r of [await noor.get(path), await noor.post(path, {})])
        expect([r.status, text(r.html)]).toEqual([403, expect.stringContaining('This page is for staff only')]);
      for (const r of [await stranger.get(path), await stranger.post(path, {})]) expect(r.url).toMatch(/\/interaction\//);
      // Staff's own session, with the form token of the person's.
      const forged = await staff.raw(path, { form: { _csrf: noor.jar.get('csrf')! } });
      expect(forged.status).toBe(403);
    }
    expect((await passkeysOf(idp.db, noorId)).map((p) => p.id)).toContain(key!.id);
  });

  it('asks staff whose login is older than five minutes for their password again before removing anything or changing what holds the account', async () => {
    const key = await storedPasskey(idp.db, noorId, 'Old login key');
    // The same staff session, logged in ten minutes ago.
    const stale = withOlderLogin(staff, idp.services.cookieKeys[0]!, 600);
    const path = `/admin/users/${noorId}/passkeys/${key.id}/remove`;
    for (const asked of [await stale.raw(path), await stale.raw(path, { form: {} })]) {
      const to = new URL(asked.headers.get('location') ?? '', idp.issuer);
      expect([asked.status, to.pathname, to.searchParams.get('prompt')]).toEqual([302, '/self/login', 'login']);
    }
    expect((await passkeysOf(idp.db, noorId)).map((p) => p.name)).toContain('Old login key');
    // So do the changes that could hand the account to someone else or take it away.
    const changes: [string, Record<string, string>][] = [
      ['/email', { email: 'elsewhere@example.be' }],
      ['/phone', { phone: '+32470111222' }],
      ['/role', { admin: 'on' }],
      ['/delete', { confirm: 'on' }],
    ];
    const pendingBefore = await pendingContacts(idp.db, noorId);
    for (const [change, form] of changes) {
      const asked = await stale.raw(`/admin/users/${noorId}${change}`, { form });
      expect([change, asked.status, new URL(asked.headers.get('location') ?? '', idp.issuer).pathname]).toEqual([change, 302, '/self/login']);
    }
    const noor = await idp.services.users.findById(idp.db, noorId);
    expect([noor?.roles, noor?.status]).toEqual([[], 'active']);
    expect(await pendingContacts(idp.db, noorId)).toEqual(pendingBefore);
    // The password typed again leads back to the question.
    const login = await stale.get(path);
    expect(text((await stale.submitLogin(login, 'staff', PASSWORD)).html)).toContain('Remove the passkey “Old login key”?');
    await stale.post(path, {});
    expect((await passkeysOf(idp.db, noorId)).map((p) => p.name)).not.toContain('Old login key');
  });

  it('refuses staff their own passkeys, app and number, which their own pages remove after a recent login', async () => {
    const { db, users } = idp.services;
    await users.setVerifiedPhone(db, staffId, '+32470999888');
    const own = await storedPasskey(db, staffId, 'Own key');
    const mine = text((await staff.get(`/admin/users/${staffId}`)).html);
    expect(mine).toContain('Own key');
    expect(mine).not.toContain('Remove the passkey');
    expect(mine).not.toContain('Remove the number');
    for (const path of [`/passkeys/${own.id}/remove`, '/phone/remove', '/second-factor/remove']) {
      for (const r of [await staff.get(`/admin/users/${staffId}${path}`), await staff.post(`/admin/users/${staffId}${path}`, {})]) {
        expect(r.status).toBe(403);
        expect(text(r.html)).toContain('Staff remove their own passkeys, authenticator app and mobile number on their own account pages.');
      }
    }
    expect((await passkeysOf(db, staffId)).map((p) => p.id)).toEqual([own.id]);
    expect((await users.findById(db, staffId))!.phone_number).toBe('+32470999888');
    expect(await db('audit_log').where({ user_id: staffId }).whereIn('event', ['passkey.removed', 'admin.phone_removed'])).toEqual([]);
  });

  // Staff reach any country's numbers and skip the mail quotas for a person; their own account goes by the rules of everyone's.
  it('refuses staff a new address or number for their own account, which their own pages change', async () => {
    const { db, users } = idp.services;
    const mailed = await db('outbox').where({ user_id: staffId }).pluck('id');
    const mine = text((await staff.get(`/admin/users/${staffId}`)).html);
    expect(mine).not.toContain('Send the confirmation link');
    expect(mine).toContain('Staff change their own e-mail address and mobile number on their own account pages, as everyone does.');
    for (const [path, form] of [
      ['/email', { email: 'staff.elsewhere@example.be' }],
      ['/phone', { phone: '+1 202 555 0143' }],
    ] as const) {
      const r = await staff.post(`/admin/users/${staffId}${path}`, form);
      expect(r.status).toBe(403);
      expect(text(r.html)).toContain('Staff change their own e-mail address and mobile number on their own account pages, as everyone does.');
    }
    expect(await pendingContacts(db, staffId)).toEqual({});
    expect(await db('outbox').where({ user_id: staffId }).pluck('id')).toEqual(mailed);
    expect(await db('audit_log').where({ user_id: staffId }).whereIn('event', ['admin.email_change_started', 'admin.phone_change_started'])).toEqual([]);
    expect((await users.findById(db, staffId))!.email).toBe('staff@example.be');
  });

  it('passes axe on the person page, a refused form and a confirmation page, at a phone and a desktop width', async () => {
    await storedPasskey(idp.db, noorId, 'Tablet');
    await inStaffBrowser(staff, idp.issuer, async (tab, locale) => {
      await tab.goto(`${idp.issuer}/admin/users/${noorId}`);
      expect(await axeViolations(tab)).toEqual([]);
      await tab.fill('#phone', '02 123 45 67');
      await tab.locator('form[action$="/phone"] button').click();
      await tab.waitForSelector('#form-error');
      expect(await tab.getAttribute('#phone', 'aria-describedby')).toBe('phone-hint phone-error');
      expect(await axeViolations(tab)).toEqual([]);
      await tab.goto(`${idp.issuer}/admin/users/${noorId}`);
      await tab.locator('#passkeys a').last().click();
      await tab.waitForURL(/\/remove$/);
      if (locale === 'nl') expect(await tab.locator('h1').innerText()).toBe('De passkey “Tablet” verwijderen?');
      expect(await axeViolations(tab)).toEqual([]);
    });
  });
});
