// The staff's pages for an account's status, in Chromium: find a person, block (logging them out everywhere), lock
// (only staff lift it), unblock, and send a new activation mail to an account not yet activated; and the pages kept
// from accounts without the admin role.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '../../helpers/components.ts';
import { importInvitations, type IssuedInvitation } from '../../../provider/domain/invitations/import.ts';
import {
  activate,
  activationLink,
  details,
  expectHeading,
  loginThroughApp,
  loginToAdmin,
  nextMail,
  slip,
  startWorld,
  type World,
} from '../registration/helpers.ts';

const PASSWORD = 'correct horse battery staple';
const CSV = '\uFEFFVorname;Nachname;Klasse;E-Mail\r\nOle;Braun;10b;\r\n';

describe.skipIf(!has('chromium'))('staff pages for the status of an account', () => {
  let w: World;
  let slips: Record<string, IssuedInvitation>;

  beforeAll(async () => {
    w = await startWorld('pglite');
    const { db, users, hasher } = w.idp.services;
    const passwordHash = await hasher.hash(PASSWORD);
    await users.create(db, { username: 'office', email: 'office@school.example', emailVerified: true, passwordHash, status: 'active', roles: ['admin'] });
    await users.create(db, {
      username: 'max.mueller',
      email: 'max@example.de',
      emailVerified: true,
      givenName: 'Max',
      familyName: 'Müller',
      passwordHash,
      status: 'active',
    });
    await users.create(db, { username: 'lea.schmitt', email: 'lea@example.de', emailVerified: true, passwordHash, status: 'active' });
    const report = await importInvitations({ db, hasher }, CSV, { partial: false });
    expect(report.errors).toEqual([]);
    slips = Object.fromEntries(report.imported.map((i) => [i.givenName, i]));
  });
  afterAll(() => w?.close());

  it('lets staff find, block (logging the person out everywhere), lock, unblock and send a new activation mail', async () => {
    // Ole registers but does not activate.
    const pupil = await w.page();
    await slip(w, pupil, 'ole.braun', slips.Ole!.initialPassword);
    await details(pupil, PASSWORD, { email: 'ole@example.de' });
    const first = activationLink(await nextMail(w.sink, 'ole@example.de'));

    const staff = await loginToAdmin(w, await w.page(), 'office', PASSWORD);
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

    // Max is logged in to the app; blocking ends that session and refuses the next login. A pupil has no eID card
    // linked, so the login sends him to the helpdesk, not to the card reactivation.
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
    expect(blocked.ok === false && blocked.text).toContain('Your account is blocked, and no eID card is linked to it. Ask the helpdesk to give it back.');
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
    // Each in the trail of the person acted on, with the staff member as the one who acted.
    const id = async (username: string) => (await w.idp.services.users.findByIdentifier(w.idp.db, username, 'username'))[0]!.id;
    const events = await w.idp
      .db('audit_log')
      .whereIn('event', ['admin.blocked', 'admin.locked', 'admin.unblocked', 'admin.activation_resent'])
      .orderBy('id')
      .select('event', 'user_id', 'details');
    const by = await id('office');
    expect(events.map((e) => [e.event, e.user_id, e.details.by])).toEqual([
      ['admin.activation_resent', await id('ole.braun'), by],
      ['admin.blocked', await id('max.mueller'), by],
      ['admin.locked', await id('max.mueller'), by],
      ['admin.unblocked', await id('max.mueller'), by],
    ]);
  }, 90_000);

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
