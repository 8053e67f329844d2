// The provider side of the eID (issue 7), end to end on loopback: a SoftHSM virtual eID, `eid-bridge` serve,
// `openssl ocsp` fed by the provisioned test CA, the provider with real SMTP and SMS sinks, Chromium. Linking with
// the consent page, eID login and step-up with acr/amr in the ID token, sign-up with the card, each refusal with its
// own message; and at the end no table or log line holds the national number in clear. Reactivation with the card:
// test/flows/reactivation/eid.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { Page } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { axeViolations } from '../../helpers/axe.ts';
import { login } from '../../helpers/rp.ts';
import type { User } from '../../../provider/domain/accounts/repository.ts';
import { CARD_NUMBER, type EidEnvironment } from './environment.ts';
import { eidSuite, OLD, type EidSuite } from './suite.ts';

describe.skipIf(!has('softhsm') || !has('chromium') || !has('openssl'))('eID flows on the provider', () => {
  const suite = eidSuite({ EID_REGISTRATION: 'true' });
  const { freshPage, signedIn, readCard, authorize, chooseEid } = suite;
  let e: EidEnvironment;
  let rp: EidSuite['rp'];
  let portal: client.Configuration;
  let ann: User;
  beforeAll(() => void ({ e, rp, portal, ann } = suite));

  /** The portal asks for an eID login over the password session of `page`: the login page offers only the eID. */
  async function askForEid(page: Page, params: Record<string, string>) {
    const exchange = await authorize(page, params);
    expect(await page.locator('main').innerText()).toContain('This application asks you to log in with your eID card.');
    expect(await page.locator('#password').count()).toBe(0);
    await chooseEid(page);
    return exchange;
  }

  describe('linking a card to the logged-in account', () => {
    it('shows exactly which card data are shared, and links the card after consent', async () => {
      const page = await signedIn('ann.peeters', OLD, '/eid/link');
      expect(await page.locator('h1').innerText()).toBe('Link your eID card');
      expect(await axeViolations(page)).toEqual([]);
      expect(await page.locator('fieldset.consents li').allInnerTexts()).toEqual([
        'your name (given names and surname)',
        'your national register number',
        'the number of your card',
      ]);
      await page.waitForSelector('[data-eid-start]:not([disabled])');
      expect(await page.locator('[data-eid-status]').innerText()).toContain(
        'Your eID card is ready. You will type your PIN in the window of the card bridge, never on this page.',
      );
      // Without consent nothing is read.
      await page.click('[data-eid-start]');
      expect(await page.locator('[data-eid-status]').innerText()).toBe('First tick that you agree to share these data.');
      await readCard(page);
      expect(await page.locator('h1').innerText()).toBe('Your eID card is linked');
      expect(await axeViolations(page)).toEqual([]);
      expect(await page.locator('main').innerText()).toContain('The card 592-1234567-89 is now linked to your account.');
      const { db } = e.idp.services;
      expect(await db('eid_links').where({ user_id: ann.id }).first()).toMatchObject({ national_number_hmac: e.hmac, card_number: CARD_NUMBER });
      const consent = await db('eid_consents').where({ user_id: ann.id, purpose: 'link' }).first();
      expect(typeof consent.data_shared === 'string' ? JSON.parse(consent.data_shared) : consent.data_shared).toEqual([
        'name',
        'national_number',
        'card_number',
      ]);
    }, 60_000);

    it('refuses a card already linked to another account, and changes nothing', async () => {
      const { db, users, hasher } = e.idp.services;
      const bob = await users.create(db, {
        username: 'bob.janssens',
        email: 'bob@example.be',
        emailVerified: true,
        passwordHash: await hasher.hash(OLD),
        status: 'active',
        locale: 'en',
      });
      const page = await signedIn('bob.janssens', OLD, '/eid/link');
      await readCard(page);
      expect(await page.locator('h1').innerText()).toBe('Your eID card was not accepted');
      expect(await axeViolations(page)).toEqual([]);
      expect(await page.locator('main').innerText()).toContain('This card is already linked to another account.');
      expect(await db('eid_links').where({ user_id: bob.id })).toHaveLength(0);
      expect(await db('eid_links').where({ national_number_hmac: e.hmac }).first()).toMatchObject({ user_id: ann.id });
    }, 60_000);
  });

  it('logs in with the eID, and steps a password session up to eID on acr_values: acr and amr in the ID token', async () => {
    const page = await freshPage();
    const first = await login(page, portal, { redirectUri: `${rp.url}/cb`, identifier: 'ann.peeters', password: OLD });
    expect(first.tokens.claims()).toMatchObject({ acr: 'urn:belid:acr:password', amr: ['pwd'] });

    const exchange = await askForEid(page, { acr_values: 'urn:belid:acr:eid' });
    expect(await axeViolations(page)).toEqual([]);
    await readCard(page, false);
    const tokens = await exchange();
    expect(tokens.claims()).toMatchObject({ sub: ann.sub, acr: 'urn:belid:acr:eid', amr: ['sc', 'pin', 'hwk'] });
  }, 90_000);

  it('steps up to eID when the app asks for the acr claim as essential (claims parameter)', async () => {
    const page = await freshPage();
    await login(page, portal, { redirectUri: `${rp.url}/cb`, identifier: 'ann.peeters', password: OLD });
    const exchange = await askForEid(page, { claims: JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:belid:acr:eid'] } } }) });
    await readCard(page, false);
    const tokens = await exchange();
    expect(tokens.claims()).toMatchObject({ sub: ann.sub, acr: 'urn:belid:acr:eid', amr: ['sc', 'pin', 'hwk'] });
  }, 90_000);

  describe('a card linked to no account (EID_REGISTRATION=true)', () => {
    const LUC = 'the card holder chose this passphrase';
    let luc: User;

    it('says so at an eID login, and registers the holder with the card: name from the card, mail, activation', async () => {
      const { db, users } = e.idp.services;
      // Ann's card is unlinked: it now belongs to no account.
      await db('eid_links').where({ user_id: ann.id }).delete();
      const page = await freshPage();
      await authorize(page, { scope: 'openid profile email' });
      await chooseEid(page);
      await readCard(page, false);
      expect(await page.locator('h1').innerText()).toBe('No account for this card');
      expect(await page.locator('main').innerText()).toContain('Create an account with your card, or log in with your password');
      expect(await axeViolations(page)).toEqual([]);

      await page.click('text=Create an account with my eID card');
      await page.waitForLoadState('domcontentloaded');
      expect(await page.locator('h1').innerText()).toBe('Create an account with your eID card');
      expect(await page.locator('fieldset.consents li').allInnerTexts()).toEqual([
        'your name (given names and surname)',
        'your national register number',
        'the number of your card',
      ]);
      await readCard(page);
      expect(await page.locator('h1').innerText()).toBe('Your e-mail address and a password');
      expect(await axeViolations(page)).toEqual([]);
      expect(await page.locator('#card-name').innerText()).toBe('Jan Karel Specimen');
      expect(await page.locator('#card-number').innerText()).toBe('592-1234567-89');
      // The name is not a field: it is the card's.
      expect(await page.locator('#given_name').count()).toBe(0);
      await page.fill('#email', 'luc@example.be');
      await page.fill('#password', LUC);
      await page.check('#accept_terms');
      await page.check('#accept_privacy');
      await page.click('button[type=submit].primary');
      await page.waitForLoadState('domcontentloaded');
      expect(await page.locator('h1').innerText()).toBe('Check your e-mail');

      const mail = await e.smtp.waitFor((m) => m.to.includes('luc@example.be'));
      expect(mail.text).toContain('Hello Jan Karel Specimen,');
      const link = /https?:\/\/\S+\/registration\/activate\?token=[\w-]+/.exec(mail.text)![0];
      await page.goto(link);
      await page.fill('#password', LUC);
      await page.click('form[action="/registration/activate"] button');
      await page.waitForLoadState('domcontentloaded');
      expect(await page.locator('main').innerText()).toContain('You can now log in with luc@example.be and your password.');

      luc = (await users.findByIdentifier(db, 'luc@example.be', 'email'))[0]!;
      expect(luc).toMatchObject({ given_name: 'Jan Karel', family_name: 'Specimen', status: 'active', email_verified: true });
      expect(await db('eid_links').where({ user_id: luc.id }).first()).toMatchObject({ national_number_hmac: e.hmac, card_number: CARD_NUMBER });
      expect(await db('eid_consents').where({ user_id: luc.id, purpose: 'registration' })).toHaveLength(1);

      // The card now logs in to the new account.
      const again = await freshPage();
      const exchange = await authorize(again, { scope: 'openid profile' });
      await chooseEid(again);
      await readCard(again, false);
      if (await again.locator('form[action$="/confirm"]').count()) await again.click('form[action$="/confirm"] button');
      const tokens = await exchange();
      expect(tokens.claims()).toMatchObject({ sub: luc.sub, acr: 'urn:belid:acr:eid' });
    }, 120_000);

    it('tells the holder of a card that has an account so, instead of registering it twice', async () => {
      const page = await freshPage();
      await page.goto(`${e.idp.issuer}/registration`);
      await page.click('text=With my eID card and a card reader');
      await page.waitForLoadState('domcontentloaded');
      await readCard(page);
      expect(await page.locator('h1').innerText()).toBe('This card already has an account');
      expect(await axeViolations(page)).toEqual([]);
      expect(await e.idp.db('users').whereRaw('lower(email) = ?', ['luc@example.be'])).toHaveLength(1);
    }, 60_000);

    it("refuses a step-up with another person's card, and keeps the session's account", async () => {
      const page = await freshPage();
      await login(page, portal, { redirectUri: `${rp.url}/cb`, identifier: 'ann.peeters', password: OLD });
      await askForEid(page, { acr_values: 'urn:belid:acr:eid' });
      await readCard(page, false);
      expect(await page.locator('h1').innerText()).toBe('Your eID card was not accepted');
      expect(await page.locator('main').innerText()).toContain('This card belongs to someone else than the person logged in. Use your own eID card.');
      expect(await axeViolations(page)).toEqual([]);
      // Ann's password session still logs her in; Luc's account was not entered.
      const back = await login(page, portal, { redirectUri: `${rp.url}/cb` });
      expect(back.tokens.claims()).toMatchObject({ sub: ann.sub, acr: 'urn:belid:acr:password' });
      expect(await e.idp.db('audit_log').where({ event: 'login.failure', user_id: luc.id })).not.toHaveLength(0);
    }, 90_000);
  });

  it('keeps the national number out of every table and every log line', () => suite.expectNationalNumberNowhere());
});
