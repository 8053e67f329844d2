// Every page a person can reach, and how to reach it: the accessibility test and `npm run screenshots` walk this
// list in each language and at each width. A new page is added here, and both then cover it.
import type { Page } from 'playwright-core';
import * as client from 'openid-client';
import type { TestProvider } from './provider.ts';
import type { Locale } from '../../provider/platform/web/i18n.ts';
import { createClient } from '../../provider/oidc/clients.ts';
import { discover } from './rp.ts';
import { registrationVisits } from '../flows/registration/visits.ts';
import { eidRegistrationVisits, reactivationVisits, upstreamLinkVisit } from './flow-visits.ts';
import { RESET_PURPOSE } from '../../provider/domain/accounts/reset-link.ts';
import { EMAIL_CHANGE_PURPOSE } from '../../provider/domain/accounts/email-change.ts';
import { passkeysOf } from '../../provider/domain/passkeys/repository.ts';
import { storedPasskey } from './passkeys.ts';
import { createSecondFactorStore } from '../../provider/domain/second-factors/store.ts';
import { Totp } from './totp.ts';

export interface Visit {
  name: string;
  /** Leaves the page showing what is to be checked. Visits run in order in one browser context. */
  go(page: Page): Promise<void>;
}

/** The provider's settings for the catalogue: every sign-up mode on, so that every page exists. */
export const CATALOGUE_SETTINGS = { REGISTRATION_MODES: 'open,invitation,customer', EID_REGISTRATION: 'true' };

export const PERSON = { username: 'marie.dubois', email: 'marie@example.be', password: 'correct horse battery staple', phone: '+32490123456' };
/** A person with an authenticator app and a passkey, for the login's second step. */
const WITH_APP = { username: 'jef.peeters', email: 'jef@example.be' };
/** A person with neither, for the enrolment an app requiring two factors leads to. */
const NO_FACTOR = { username: 'lotte.claes', email: 'lotte@example.be' };

/** Creates what the visits need (an account, in `locale` when given, and a third-party app) and returns the visits, in order. */
export async function pageCatalogue(idp: TestProvider, locale?: Locale): Promise<Visit[]> {
  const { db, users, hasher, tokens, provider } = idp.services;
  const user =
    (await users.findByIdentifier(db, PERSON.username, 'username'))[0] ??
    (await users.create(db, {
      username: PERSON.username,
      email: PERSON.email,
      emailVerified: true,
      givenName: 'Marie',
      familyName: 'Dubois',
      passwordHash: await hasher.hash(PERSON.password),
      status: 'active',
    }));
  const withApp =
    (await users.findByIdentifier(db, WITH_APP.username, 'username'))[0] ??
    (await users.create(db, { ...WITH_APP, emailVerified: true, passwordHash: await hasher.hash(PERSON.password), status: 'active' }));
  if (!(await users.findByIdentifier(db, NO_FACTOR.username, 'username')).length)
    await users.create(db, { ...NO_FACTOR, emailVerified: true, passwordHash: await hasher.hash(PERSON.password), status: 'active' });
  const factors = createSecondFactorStore(idp.services.config, db);
  if (!(await factors.hasTotp(db, withApp.id))) {
    await factors.start(db, withApp.id, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
    await factors.confirm(db, withApp.id, 1);
  }
  // …and a passkey, so that the second step offers both.
  if (!(await passkeysOf(db, withApp.id)).length) await storedPasskey(db, withApp.id, 'Phone', { credentialId: 'catalogue-second-step' });
  if (locale) await users.setLocale(db, user.id, locale);
  // Each walk adds the same extra contact for alerts anew and texts the mobile number a code: the hourly limits of
  // codes are reset, as an hour between walks would.
  await db('alert_contacts').where({ user_id: user.id }).delete();
  await db('rate_limits').whereLike('key', 'alert_contact_codes%').orWhereLike('key', 'sms_codes%').delete();
  // A passkey as an authenticator would have made it, so that the security page lists one and it can be removed.
  const passkey = (await passkeysOf(db, user.id))[0] ?? (await storedPasskey(db, user.id, 'Laptop', { credentialId: 'catalogue-passkey', synced: true }));
  const rp = await createClient(provider(), {
    name: 'Partner portal',
    redirectUris: ['http://127.0.0.1:9/cb'],
    postLogoutRedirectUris: ['http://127.0.0.1:9/bye'],
  });
  const partner = await discover(idp.issuer, rp.client_id, rp.client_secret);
  const s = await createClient(provider(), { name: 'Tax portal', redirectUris: ['http://127.0.0.1:9/cb'], requireMfa: true });
  const strict = await discover(idp.issuer, s.client_id, s.client_secret);
  const at = (path: string) => async (page: Page) => {
    await page.goto(`${idp.issuer}${path}`);
  };
  const authorize = async (page: Page, app = partner) => {
    await page.goto(
      client.buildAuthorizationUrl(app, {
        redirect_uri: 'http://127.0.0.1:9/cb',
        scope: 'openid profile email phone',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      }).href,
    );
  };

  return [
    { name: 'home', go: at('/') },
    { name: 'not-found', go: at('/no/such/page') },
    { name: 'login', go: authorize },
    {
      name: 'login-error',
      async go(page) {
        await authorize(page);
        await page.fill('#identifier', PERSON.username);
        await page.fill('#password', 'not the password');
        await page.click('button[type=submit].primary');
      },
    },
    {
      name: 'login-second-factor',
      async go(page) {
        await authorize(page);
        await page.fill('#identifier', WITH_APP.username);
        await page.fill('#password', PERSON.password);
        await page.click('button[type=submit].primary');
        await page.waitForURL('**/second-factor');
      },
    },
    {
      name: 'login-second-factor-enrol',
      async go(page) {
        await authorize(page, strict);
        await page.fill('#identifier', NO_FACTOR.username);
        await page.fill('#password', PERSON.password);
        await page.click('button[type=submit].primary');
        await page.waitForURL('**/second-factor');
        // The passkey offered beside the app, where the browser can make one.
        await page.locator('[data-passkey-offer]').waitFor();
      },
    },
    {
      name: 'eid-login',
      async go(page) {
        await authorize(page);
        await page.click('a[href$="/eid"]');
        await page.waitForLoadState('domcontentloaded');
      },
    },
    upstreamLinkVisit(idp),
    { name: 'reactivation-start', go: at('/reactivation') },
    ...reactivationVisits(idp, user.id, PERSON.phone),
    { name: 'reactivation-token-entry', go: at('/reactivation/token') },
    { name: 'recovery', go: at('/recovery') },
    {
      name: 'recovery-sent',
      async go(page) {
        await page.goto(`${idp.issuer}/recovery`);
        await page.fill('#email', PERSON.email);
        // The real proof-of-work widget, solved in the browser.
        await page.locator('altcha-widget [data-state="verified"]').waitFor();
        await page.click('button[type=submit].primary');
        await page.waitForLoadState('domcontentloaded');
      },
    },
    {
      name: 'recovery-reset',
      async go(page) {
        const { token } = await tokens.issue(db, { purpose: RESET_PURPOSE, userId: user.id, ttlSeconds: 900, format: { kind: 'link' } });
        await page.goto(`${idp.issuer}/recovery/reset?token=${token}`);
      },
    },
    { name: 'recovery-link-invalid', go: at('/recovery/reset?token=tampered') },
    {
      name: 'consent',
      async go(page) {
        await authorize(page);
        await page.fill('#identifier', PERSON.username);
        await page.fill('#password', PERSON.password);
        await page.click('button[type=submit].primary');
        await page.waitForSelector('form[action$="/confirm"]');
      },
    },
    { name: 'account-profile', go: at('/account') },
    {
      name: 'account-phone-verify',
      async go(page) {
        await page.goto(`${idp.issuer}/account`);
        await page.fill('#phone', '0490 12 34 56');
        await page.click('form[action="/account/phone"] button[type=submit]');
        await page.waitForLoadState('domcontentloaded');
      },
    },
    { name: 'account-email-change', go: at('/account/email') },
    { name: 'account-passkey-new', go: at('/account/passkeys/new') },
    { name: 'account-passkey-remove', go: at(`/account/passkeys/${passkey.id}/remove`) },
    {
      name: 'account-email-verify',
      async go(page) {
        const { token } = await tokens.issue(db, {
          purpose: EMAIL_CHANGE_PURPOSE,
          userId: user.id,
          ttlSeconds: 3600,
          format: { kind: 'link' },
          data: { email: 'marie.new@example.be' },
        });
        await page.goto(`${idp.issuer}/account/email/verify?token=${token}`);
      },
    },
    { name: 'account-security', go: at('/account/security') },
    {
      name: 'account-totp-enrol',
      async go(page) {
        await page.goto(`${idp.issuer}/account/security`);
        await page.click('form[action="/account/security/totp"] button[type=submit]');
        await page.waitForURL('**/account/security/totp');
      },
    },
    {
      name: 'account-totp-recovery-codes',
      async go(page) {
        await page.goto(`${idp.issuer}/account/security/totp`);
        await page.fill('#code', await new Totp(await page.locator('[data-secret]').innerText()).next());
        await page.click('button[type=submit].primary');
        await page.locator('[data-recovery-codes]').waitFor();
        // The page stays as shown; the app goes again so that the next visits log in with the password alone.
        await factors.remove(db, user.id);
      },
    },
    { name: 'eid-link-consent', go: at('/eid/link') },
    { name: 'account-sessions', go: at('/account/sessions') },
    { name: 'account-alerts', go: at('/account/alerts') },
    { name: 'account-alert-contact-add', go: at('/account/alerts/contacts/new') },
    {
      name: 'account-alert-contact-verify',
      async go(page) {
        await page.goto(`${idp.issuer}/account/alerts/contacts/new`);
        await page.check('#channel-email');
        await page.fill('#value', 'partner@example.org');
        await page.click('form[action="/account/alerts/contacts"] button[type=submit]');
        await page.waitForSelector('form[action$="/verify"]');
      },
    },
    { name: 'account-connections', go: at('/account/connections') },
    ...(await registrationVisits(idp, user.id)),
    ...eidRegistrationVisits(idp),
    { name: 'dev-messages', go: at('/dev/messages') },
    { name: 'logout', go: at('/session/end') },
  ];
}
