// Portal profiles (PORTAL_PROFILES): a person coming from a school's app sees no alert settings and no mobile number
// and is offered the invitation sign-up only; one coming from a shop's app sees their customer number; from an app
// naming no profile, everything again. Staff name a profile with the client; registration cannot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { discover } from '../helpers/rp.ts';
import { Agent, text } from '../flows/account/agent.ts';
import { createClient } from '../../provider/oidc/clients.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/cb';
const PROFILES = { school: { registrationModes: ['invitation'], alerts: false, phone: false }, shop: { customerNumber: true } };

describe('portal profiles', () => {
  let idp: TestProvider;
  const apps: Record<'school' | 'shop' | 'plain', client.Configuration> = {} as never;

  beforeAll(async () => {
    idp = await startTestProvider('pglite', { PORTAL_PROFILES: JSON.stringify(PROFILES), REGISTRATION_MODES: 'open,invitation,customer' });
    const { db, users, hasher, provider } = idp.services;
    const passwordHash = await hasher.hash(PASSWORD);
    await users.create(db, { username: 'pupil', email: 'pupil@example.be', emailVerified: true, passwordHash, status: 'active' });
    const shopper = await users.create(db, { username: 'shopper', email: 'shopper@example.be', emailVerified: true, passwordHash, status: 'active' });
    await db('customers').insert({ customer_number: 'K4711', name: 'Shopper', name_key: 'shopper', user_id: shopper.id, imported_at: new Date() });
    for (const [name, profile] of [
      ['school', 'school'],
      ['shop', 'shop'],
      ['plain', undefined],
    ] as const) {
      const c = await createClient(provider(), { name, redirectUris: [REDIRECT], firstParty: true, portalProfile: profile });
      apps[name] = await discover(idp.issuer, c.client_id, c.client_secret);
    }
  });
  afterAll(() => idp?.close());

  it("shapes the account pages and the sign-up by the app the person came from, until another app's", async () => {
    const pupil = new Agent(idp.issuer);
    await pupil.authorize(apps.school, REDIRECT, 'openid', { identifier: 'pupil', password: PASSWORD });
    const page = await pupil.get('/account');
    expect(page.html).not.toContain('href="/account/alerts"');
    expect(page.html).not.toContain('id="phone-heading"');
    expect(text(page.html)).toContain('Username pupil');

    expect((await pupil.get('/registration')).url).toBe(`${idp.issuer}/registration/invitation`);

    await pupil.authorize(apps.plain, REDIRECT, 'openid');
    const plain = await pupil.get('/account');
    expect(plain.html).toContain('href="/account/alerts"');
    expect(plain.html).toContain('id="phone-heading"');
    expect((await pupil.get('/registration')).url).toBe(`${idp.issuer}/registration`);
  });

  it('shows a customer their customer number in a shop portal', async () => {
    const shopper = new Agent(idp.issuer);
    await shopper.authorize(apps.shop, REDIRECT, 'openid', { identifier: 'shopper', password: PASSWORD });
    expect(text((await shopper.get('/account')).html)).toContain('Customer number K4711');
  });

  it('takes only a profile PORTAL_PROFILES declares', async () => {
    await expect(createClient(idp.services.provider(), { name: 'x', redirectUris: [REDIRECT], portalProfile: 'nowhere' })).rejects.toMatchObject({
      error_description: expect.stringContaining('portal_profile'),
    });
  });
});
