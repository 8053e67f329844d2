// Teacher-issued credentials in Chromium: a pupil registers with the slip, checks the data, gets the activation
// mail; a corrected name waits for the office, which approves it with a new username (mail) or rejects it (mail);
// staff pages for search, block, unblock and a new activation mail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { importInvitations, type IssuedInvitation } from '../../../provider/domain/invitations/import.ts';
import { activate, activationLink, expectHeading, loginThroughApp, nextMail, startWorld, type World } from './helpers.ts';

const PASSWORD = 'correct horse battery staple';
const CSV =
  '\uFEFFVorname;Nachname;Klasse;E-Mail\r\nMax;Müller;10a;\r\nLea;Schmitt;10a;lea@example.de\r\nTim;Meier;10b;\r\nJana;Koch;10b;\r\nOle;Braun;10b;\r\n';

describe.skipIf(!has('chromium'))('registration with teacher-issued credentials', () => {
  let w: World;
  let slips: Record<string, IssuedInvitation>;

  beforeAll(async () => {
    w = await startWorld('pglite');
    const { db, users, hasher } = w.idp.services;
    await users.create(db, {
      username: 'office',
      email: 'office@school.example',
      emailVerified: true,
      passwordHash: await hasher.hash(PASSWORD),
      status: 'active',
      roles: ['admin'],
    });
    const report = await importInvitations({ db, hasher }, CSV, { partial: false });
    expect(report.errors).toEqual([]);
    slips = Object.fromEntries(report.imported.map((i) => [i.givenName, i]));
  });
  afterAll(() => w?.close());

  /** The slip's step; returns the page, now on the details form (or on a message). */
  async function slip(page: Page, username: string, initialPassword: string) {
    await page.goto(`${w.idp.issuer}/registration`);
    await page.click('text=With the username and initial password I received from my school');
    await page.fill('#username', username);
    await page.fill('#initial_password', initialPassword);
    await page.click('button[type=submit].primary');
  }

  async function details(page: Page, o: { email: string; given?: string; family?: string }) {
    if (o.given !== undefined) await page.fill('#given_name', o.given);
    if (o.family !== undefined) await page.fill('#family_name', o.family);
    await page.fill('#email', o.email);
    await page.fill('#password', PASSWORD);
    await page.check('#accept_terms');
    await page.check('#accept_privacy');
    await page.click('button[type=submit].primary');
  }

  let office: Page | undefined;
  /** The office's browser, logged in to /admin through the provider once. */
  async function staffPage(): Promise<Page> {
    if (office) {
      await office.goto(`${w.idp.issuer}/admin`);
      return office;
    }
    const page = (office = await w.page());
    await page.goto(`${w.idp.issuer}/admin`);
    await page.fill('#identifier', 'office');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await expectHeading(page, 'Registrations to review');
    return page;
  }

  it('issues usernames from the names and initial passwords shown only on the slips', async () => {
    expect(Object.values(slips).map((s) => s.username)).toEqual(['max.mueller', 'lea.schmitt', 'tim.meier', 'jana.koch', 'ole.braun']);
    expect(slips.Max!.initialPassword).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    const row = await w.idp.db('invitations').where({ username: 'max.mueller' }).first();
    expect(row.initial_password_hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(row)).not.toContain(slips.Max!.initialPassword);
  });

  it('registers with the slip: data checked, e-mail and new password, activation, login by username', async () => {
    const page = await w.page();
    // Typed as people copy from paper: other case, no dashes.
    await slip(page, 'Max.Mueller', slips.Max!.initialPassword.replace(/-/g, '').toUpperCase());
    await expectHeading(page, 'Check your data');
    expect(await page.locator('#username').innerText()).toBe('max.mueller');
    expect(await page.inputValue('#family_name')).toBe('Müller');
    await details(page, { email: 'max@example.de' });
    await expectHeading(page, 'Check your e-mail');
    expect(await page.locator('main').innerText()).toContain('After activation, log in with the username max.mueller.');
    const mail = await nextMail(w.sink, 'max@example.de');
    expect(mail.text).toContain('Your username is max.mueller. It cannot be changed.');
    expect(await activate(page, activationLink(mail), PASSWORD)).toContain('You can now log in with the username max.mueller and your password.');
    const login = await loginThroughApp(w, await w.page(), 'max.mueller', PASSWORD);
    expect(login.ok && login.claims).toMatchObject({ preferred_username: 'max.mueller', email: 'max@example.de', family_name: 'Müller' });
    // The slip now only says that the registration is done.
    await slip(page, 'max.mueller', slips.Max!.initialPassword);
    await expectHeading(page, 'You are already registered');
  });

  it('answers a wrong username and a wrong initial password the same way', async () => {
    const answer = async (username: string, password: string) => {
      const page = await w.page();
      await slip(page, username, password);
      return page.locator('main').innerText();
    };
    const unknown = await answer('nobody.here', 'abcd-efgh-jkmn');
    const wrong = await answer('ole.braun', 'abcd-efgh-jkmn');
    expect(unknown).toContain('The username or the initial password is not correct.');
    expect(wrong).toBe(unknown);
  });

  it('lets the pupil register again with another address before activation: the earlier link is void', async () => {
    const page = await w.page();
    await slip(page, 'lea.schmitt', slips.Lea!.initialPassword);
    expect(await page.inputValue('#email')).toBe('lea@example.de');
    await details(page, { email: 'lea@example.de' });
    const first = activationLink(await nextMail(w.sink, 'lea@example.de'));
    await slip(page, 'lea.schmitt', slips.Lea!.initialPassword);
    await details(page, { email: 'lea.neu@example.de' });
    const second = activationLink(await nextMail(w.sink, 'lea.neu@example.de'));
    await page.goto(first);
    await expectHeading(page, 'This link has been replaced');
    expect(await activate(page, second, PASSWORD)).toContain('lea.schmitt');
    expect(await w.idp.db('users').where({ username: 'lea.schmitt' }).first('email', 'status')).toEqual({ email: 'lea.neu@example.de', status: 'active' });
  });

  it('locks a registration with corrected names until the office approves it with a new username, then mails the pupil', async () => {
    const page = await w.page();
    await slip(page, 'tim.meier', slips.Tim!.initialPassword);
    await details(page, { email: 'tim@example.de', family: 'Maier' });
    await expectHeading(page, 'Your data is being checked');
    expect(await page.locator('main').innerText()).toContain('You will receive an e-mail at tim@example.de when your registration is unlocked');
    await slip(page, 'tim.meier', slips.Tim!.initialPassword);
    await expectHeading(page, 'Your registration is being checked');
    // Before the review there is no account to activate or log in to.
    expect(await w.idp.services.users.findByIdentifier(w.idp.db, 'tim.meier', 'username')).toEqual([]);

    const staff = await staffPage();
    const entry = staff.locator('section.review', { hasText: 'tim.meier' });
    expect(await entry.innerText()).toContain('Maier');
    expect(await entry.locator('input[name=username]').inputValue()).toBe('tim.maier');
    await entry.locator('form[action$="/approve"] button').click();
    expect(await staff.locator('[role=status]').innerText()).toContain('Approved. The username is tim.maier');
    expect(await staff.locator('section.review').count()).toBe(0);

    const mail = await nextMail(w.sink, 'tim@example.de');
    expect(mail.subject).toBe('Your registration is unlocked');
    expect(mail.text).toContain('Your username is now tim.maier.');
    expect(await activate(page, activationLink(mail), PASSWORD)).toContain('You can now log in with the username tim.maier');
    const login = await loginThroughApp(w, await w.page(), 'tim.maier', PASSWORD);
    expect(login.ok && login.claims).toMatchObject({ preferred_username: 'tim.maier', family_name: 'Maier' });
    expect((await loginThroughApp(w, await w.page(), 'tim.meier', PASSWORD)).ok).toBe(false);
    expect(await w.idp.db('audit_log').where({ event: 'registration.approved' }).count('* as n').first()).toMatchObject({ n: expect.anything() });
  });

  it('tells the pupil by e-mail when the office rejects a registration, with the reason', async () => {
    const page = await w.page();
    await slip(page, 'jana.koch', slips.Jana!.initialPassword);
    await details(page, { email: 'jana@example.de', given: 'Jana Superstar' });
    const staff = await staffPage();
    const entry = staff.locator('section.review', { hasText: 'jana.koch' });
    await entry.locator('input[name=reason]').fill('Please use your name as registered at the school.');
    await entry.locator('form[action$="/reject"] button').click();
    expect(await staff.locator('[role=status]').innerText()).toContain('Rejected.');
    const mail = await nextMail(w.sink, 'jana@example.de');
    expect(mail.subject).toBe('Your registration was not approved');
    expect(mail.text).toContain('Reason: Please use your name as registered at the school.');
    await slip(page, 'jana.koch', slips.Jana!.initialPassword);
    await expectHeading(page, 'Your registration was not approved');
  });

  it('lets staff find, block (logging the person out everywhere), lock, unblock and send a new activation mail', async () => {
    // Ole registers but does not activate.
    const pupil = await w.page();
    await slip(pupil, 'ole.braun', slips.Ole!.initialPassword);
    await details(pupil, { email: 'ole@example.de' });
    const first = activationLink(await nextMail(w.sink, 'ole@example.de'));

    const staff = await staffPage();
    await staff.click('nav >> text=Users');
    await staff.fill('#q', 'ole');
    await staff.click('form[role=search] button');
    const row = staff.locator('tr[data-user="ole.braun"]');
    expect(await row.innerText()).toContain('not activated');
    await row.locator('form[action$="/resend-activation"] button').click();
    expect(await staff.locator('[role=status]').innerText()).toContain('A new activation e-mail was sent to ole.braun');
    const second = activationLink(await nextMail(w.sink, 'ole@example.de', 1));
    await pupil.goto(first);
    await expectHeading(pupil, 'This link has been replaced');
    await activate(pupil, second, PASSWORD);

    // Max is logged in to the app; blocking ends that session and refuses the next login, with the generic answer.
    const max = await w.page();
    expect((await loginThroughApp(w, max, 'max.mueller', PASSWORD)).ok).toBe(true);
    const sub = (await w.idp.services.users.findByIdentifier(w.idp.db, 'max.mueller', 'username'))[0]!.sub;
    expect(Number((await w.idp.db('oidc_models').where({ account_id: sub }).count('* as n').first())!.n)).toBeGreaterThan(0);
    await staff.fill('#q', 'Müller');
    await staff.click('form[role=search] button');
    await staff.locator('tr[data-user="max.mueller"] form[action$="/block"] button').click();
    expect(await staff.locator('[role=status]').innerText()).toContain('max.mueller is blocked');
    expect(Number((await w.idp.db('oidc_models').where({ account_id: sub }).count('* as n').first())!.n)).toBe(0);
    const blocked = await loginThroughApp(w, await w.page(), 'max.mueller', PASSWORD);
    expect(blocked.ok === false && blocked.text).toContain('Your account is blocked. You can reactivate it with your eID card.');
    // A lock is the staff's to lift: the login says so, and points to no reactivation.
    await staff.locator('tr[data-user="max.mueller"] form[action$="/lock"] button').click();
    expect(await staff.locator('[role=status]').innerText()).toContain('max.mueller is locked and logged out everywhere. Only staff can unlock the account.');
    expect(await staff.locator('tr[data-user="max.mueller"]').innerText()).toContain('locked by staff');
    const locked = await loginThroughApp(w, await w.page(), 'max.mueller', PASSWORD);
    expect(locked.ok === false && locked.text).toContain('Your account is locked by the service desk. Contact them to unlock it.');
    await staff.locator('tr[data-user="max.mueller"] form[action$="/unblock"] button').click();
    expect(await staff.locator('[role=status]').innerText()).toContain('max.mueller is unblocked');
    expect(await staff.locator('tr[data-user="max.mueller"]').innerText()).toContain('active');
    expect((await loginThroughApp(w, await w.page(), 'max.mueller', PASSWORD)).ok).toBe(true);
    const events = (
      await w.idp.db('audit_log').whereIn('event', ['admin.blocked', 'admin.locked', 'admin.unblocked', 'admin.activation_resent']).select('event')
    ).map((e) => e.event);
    expect(events.sort()).toEqual(['admin.activation_resent', 'admin.blocked', 'admin.locked', 'admin.unblocked']);
  });

  it('keeps the staff pages from accounts without the admin role', async () => {
    const page = await w.page();
    await page.goto(`${w.idp.issuer}/admin/users?q=a`);
    await page.fill('#identifier', 'lea.schmitt');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    expect(await page.locator('main').innerText()).toContain('This page is for staff only.');
    const res = await fetch(`${w.idp.issuer}/admin`, { redirect: 'manual' });
    expect(res.headers.get('location')).toMatch(/^\/self\/login/);
  });
});
