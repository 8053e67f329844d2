// The registration and staff pages for the page catalogue (test/helpers/page-catalogue.ts): every sign-up form, its
// errors, the answers, the activation page, and /admin as staff. Needs REGISTRATION_MODES=open,invitation,customer.
import type { Page } from 'playwright-core';
import type { TestProvider } from '../../helpers/provider.ts';
import type { Visit } from '../../helpers/page-catalogue.ts';
import { knownBrowser } from '../../helpers/flow-visits.ts';
import { importInvitations } from '../../../provider/domain/invitations/import.ts';
import { ACTIVATION } from '../../../provider/flows/registration/activation.ts';
import { keyOf } from '../../../provider/domain/guards/throttle.ts';
import { putUnderReview } from './under-review.ts';

const STAFF = { username: 'office.visits', password: 'correct horse battery staple' };

export async function registrationVisits(idp: TestProvider, personId: string): Promise<Visit[]> {
  const { db, users, hasher, tokens, flows } = idp.services;
  if (!(await users.findByIdentifier(db, STAFF.username, 'username')).length) {
    await users.create(db, { username: STAFF.username, passwordHash: await hasher.hash(STAFF.password), status: 'active', roles: ['admin'] });
    await importInvitations({ db, hasher }, 'given name;family name;group\nZoë;Ölçer;3b\nNoah;Janssens;3b\n', { partial: false });
    // One of them corrected the name: the queue has an entry.
    await putUnderReview(db, 'noah.janssens', 'noah@example.be', { given: 'Noah', family: 'Janssen' });
  }
  const invitation = await db('invitations').where({ username: 'zoe.oelcer' }).first('id');
  // A pending account of an open sign-up, whose links offer to register again with its address.
  const MILA = 'mila@example.be';
  const mila =
    (await users.findByIdentifier(db, MILA, 'username_or_email'))[0] ??
    (await users.create(db, { email: MILA, givenName: 'Mila', familyName: 'Peeters', passwordHash: await hasher.hash(STAFF.password), status: 'pending' }));
  const milasLink = async () =>
    (
      await tokens.issue(db, {
        purpose: ACTIVATION,
        userId: mila.id,
        ttlSeconds: 600,
        format: { kind: 'link' },
        replacePrevious: true,
        data: { to: keyOf(MILA) },
      })
    ).token;
  const at = (path: string) => async (page: Page) => {
    await page.goto(`${idp.issuer}${path}`);
  };
  const submit = (path: string) => async (page: Page) => {
    await page.goto(`${idp.issuer}${path}`);
    await page.click('button[type=submit].primary');
    await page.waitForLoadState('domcontentloaded');
  };
  return [
    { name: 'registration-choose', go: at('/registration') },
    { name: 'registration-open', go: at('/registration/open') },
    { name: 'registration-open-errors', go: submit('/registration/open') },
    { name: 'registration-customer-errors', go: submit('/registration/customer') },
    { name: 'registration-invitation-errors', go: submit('/registration/invitation') },
    {
      name: 'registration-details',
      async go(page) {
        const flow = await flows.create(db, {
          type: 'registration',
          state: 'form',
          binding: await knownBrowser(idp, page),
          data: { mode: 'invitation', invitationId: invitation.id, username: 'zoe.oelcer' },
          ttlSeconds: 600,
        });
        await page.goto(`${idp.issuer}/registration/invitation/details?flow=${flow.id}`);
      },
    },
    { name: 'registration-sent', go: at('/registration/sent') },
    {
      name: 'registration-activate',
      async go(page) {
        const { token } = await tokens.issue(db, { purpose: ACTIVATION, userId: personId, ttlSeconds: 600, format: { kind: 'link' } });
        await page.goto(`${idp.issuer}/registration/activate?token=${token}`);
      },
    },
    {
      name: 'registration-activate-again',
      async go(page) {
        await page.goto(`${idp.issuer}/registration/activate?token=${await milasLink()}`);
      },
    },
    {
      name: 'registration-link-replaced-again',
      async go(page) {
        const older = await milasLink();
        await milasLink();
        await page.goto(`${idp.issuer}/registration/activate?token=${older}`);
      },
    },
    {
      name: 'registration-open-again',
      async go(page) {
        await page.goto(`${idp.issuer}/registration/activate?token=${await milasLink()}`);
        await page.click('form[action="/registration/open/again"] button');
        await page.waitForURL(/\/registration\/open\?flow=/);
      },
    },
    { name: 'registration-link-invalid', go: at('/registration/activate?token=tampered') },
    { name: 'registration-resend', go: at('/registration/resend') },
    {
      name: 'admin-queue',
      async go(page) {
        // Staff log in afresh: the person of the earlier visits has no admin role.
        await page.context().clearCookies();
        await page.goto(`${idp.issuer}/admin`);
        await page.fill('#identifier', STAFF.username);
        await page.fill('#password', STAFF.password);
        await page.click('button[type=submit].primary');
        await page.waitForURL(/\/admin$/);
      },
    },
    { name: 'admin-users', go: at('/admin/users?q=a') },
  ];
}
