// Teacher-issued credentials in Chromium: a pupil registers with the slip, checks the data, gets the activation
// mail; a corrected name waits for the office, which approves it with a new username (mail) or rejects it (mail).
// The staff's pages for an account's status are tested in test/flows/admin/account-status.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { importInvitations, type IssuedInvitation } from '../../../provider/domain/invitations/import.ts';
import { activate, activationLink, details, expectHeading, loginThroughApp, loginToAdmin, nextMail, slip, startWorld, type World } from './helpers.ts';

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

  let office: Page | undefined;
  /** The office's browser, logged in to /admin through the provider once. */
  async function staffPage(): Promise<Page> {
    if (office) {
      await office.goto(`${w.idp.issuer}/admin`);
      return office;
    }
    return loginToAdmin(w, (office = await w.page()), 'office', PASSWORD);
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
    await slip(w, page, 'Max.Mueller', slips.Max!.initialPassword.replace(/-/g, '').toUpperCase());
    await expectHeading(page, 'Check your data');
    expect(await page.locator('#username').innerText()).toBe('max.mueller');
    expect(await page.inputValue('#family_name')).toBe('Müller');
    await details(page, PASSWORD, { email: 'max@example.de' });
    await expectHeading(page, 'Check your e-mail');
    expect(await page.locator('main').innerText()).toContain('After activation, log in with the username max.mueller.');
    const mail = await nextMail(w.sink, 'max@example.de');
    expect(mail.text).toContain('Your username is max.mueller. It cannot be changed.');
    expect(await activate(page, activationLink(mail), PASSWORD)).toContain('You can now log in with the username max.mueller and your password.');
    const login = await loginThroughApp(w, await w.page(), 'max.mueller', PASSWORD);
    expect(login.ok && login.claims).toMatchObject({ preferred_username: 'max.mueller', email: 'max@example.de', family_name: 'Müller' });
    // The slip now only says that the registration is done.
    await slip(w, page, 'max.mueller', slips.Max!.initialPassword);
    await expectHeading(page, 'You are already registered');
  });

  it('answers a wrong username and a wrong initial password the same way', async () => {
    const answer = async (username: string, password: string) => {
      const page = await w.page();
      await slip(w, page, username, password);
      return page.locator('main').innerText();
    };
    const unknown = await answer('nobody.here', 'abcd-efgh-jkmn');
    const wrong = await answer('ole.braun', 'abcd-efgh-jkmn');
    expect(unknown).toContain('The username or the initial password is not correct.');
    expect(wrong).toBe(unknown);
  });

  it('lets the pupil register again with another address before activation: the earlier link is void', async () => {
    const page = await w.page();
    await slip(w, page, 'lea.schmitt', slips.Lea!.initialPassword);
    expect(await page.inputValue('#email')).toBe('lea@example.de');
    await details(page, PASSWORD, { email: 'lea@example.de' });
    const first = activationLink(await nextMail(w.sink, 'lea@example.de'));
    await slip(w, page, 'lea.schmitt', slips.Lea!.initialPassword);
    await details(page, PASSWORD, { email: 'lea.neu@example.de' });
    const second = activationLink(await nextMail(w.sink, 'lea.neu@example.de'));
    await page.goto(first);
    await expectHeading(page, 'This link has been replaced');
    expect(await activate(page, second, PASSWORD)).toContain('lea.schmitt');
    expect(await w.idp.db('users').where({ username: 'lea.schmitt' }).first('email', 'status')).toEqual({ email: 'lea.neu@example.de', status: 'active' });
  });

  it('locks a registration with corrected names until the office approves it with a new username, then mails the pupil', async () => {
    const page = await w.page();
    await slip(w, page, 'tim.meier', slips.Tim!.initialPassword);
    await details(page, PASSWORD, { email: 'tim@example.de', family: 'Maier' });
    await expectHeading(page, 'Your data is being checked');
    expect(await page.locator('main').innerText()).toContain('You will receive an e-mail at tim@example.de when your registration is unlocked');
    await slip(w, page, 'tim.meier', slips.Tim!.initialPassword);
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
    // In the pupil's trail, with the office as the one who approved.
    const [tim] = await w.idp.services.users.findByIdentifier(w.idp.db, 'tim.maier', 'username');
    const [office] = await w.idp.services.users.findByIdentifier(w.idp.db, 'office', 'username');
    expect(await w.idp.db('audit_log').where({ event: 'registration.approved' }).first('user_id', 'details')).toMatchObject({
      user_id: tim!.id,
      details: { username: 'tim.maier', by: office!.id },
    });
  });

  it('tells the pupil by e-mail when the office rejects a registration, with the reason', async () => {
    const page = await w.page();
    await slip(w, page, 'jana.koch', slips.Jana!.initialPassword);
    await details(page, PASSWORD, { email: 'jana@example.de', given: 'Jana Superstar' });
    const staff = await staffPage();
    const entry = staff.locator('section.review', { hasText: 'jana.koch' });
    await entry.locator('input[name=reason]').fill('Please use your name as registered at the school.');
    await entry.locator('form[action$="/reject"] button').click();
    expect(await staff.locator('[role=status]').innerText()).toContain('Rejected.');
    const mail = await nextMail(w.sink, 'jana@example.de');
    expect(mail.subject).toBe('Your registration was not approved');
    expect(mail.text).toContain('Reason: Please use your name as registered at the school.');
    // No account was made: the refusal names the office as who refused, and is nobody's own event.
    const [office] = await w.idp.services.users.findByIdentifier(w.idp.db, 'office', 'username');
    expect(await w.idp.db('audit_log').where({ event: 'registration.rejected' }).first('user_id', 'details')).toMatchObject({
      user_id: null,
      details: { username: 'jana.koch', by: office!.id },
    });
    await slip(w, page, 'jana.koch', slips.Jana!.initialPassword);
    await expectHeading(page, 'Your registration was not approved');
  });
});
