// A refused form on the account and staff pages answers its POST with the page again, its error beside the field.
// That answer names the address a GET shows the same page at, so that Back or a reload loads that page instead of
// Chromium's "Confirm form resubmission" (the login, recovery and sign-up pages did so; these did not).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { launchBrowser } from '../../helpers/browser.ts';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { createOrganisation } from '../../../provider/domain/accounts/organisations.ts';
import { loggedInPerson } from './people.ts';
import { text, type Agent, type Response } from './agent.ts';

const PASSWORD = 'correct horse battery staple';

/** The address the answer's history entry becomes, if it names one. */
const reloadAddress = (html: string) => /<script src="\/static\/form-answer\.js" data-address="([^"]*)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
const heading = (html: string) => text(/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1] ?? '').trim();

describe('a refused form on the account and staff pages', () => {
  let idp: TestProvider;
  let browser: Browser | undefined;
  beforeAll(async () => {
    idp = await startTestProvider('pglite');
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
  });

  /** Posts the form, expects it refused, and the named address to show the same page by GET. */
  async function refusedThenReloaded(agent: Agent, path: string, form: Record<string, string>, address: string, error: string): Promise<Response> {
    const answer = await agent.post(path, form);
    expect([answer.status, text(answer.html)]).toEqual([400, expect.stringContaining(error)]);
    expect(reloadAddress(answer.html)).toBe(address);
    const again = await agent.get(address);
    expect([again.status, again.url, heading(again.html)]).toEqual([200, `${idp.issuer}${address}`, heading(answer.html)]);
    expect(reloadAddress(again.html)).toBeUndefined();
    return answer;
  }

  it('names the page of each of the person’s own forms', async () => {
    const { agent } = await loggedInPerson(idp, 'nora', PASSWORD);
    await refusedThenReloaded(agent, '/account/profile', { given_name: 'N'.repeat(101), family_name: 'Peeters' }, '/account', 'name');
    await refusedThenReloaded(agent, '/account/phone', { phone: '' }, '/account', 'mobile');
    await refusedThenReloaded(agent, '/account/email', { email: 'not an address' }, '/account/email', 'address');
    await refusedThenReloaded(
      agent,
      '/account/password',
      { current: 'not the password', password: 'quiet rivers carry seven lanterns home', password_confirm: 'quiet rivers carry seven lanterns home' },
      '/account/security',
      'current password is not correct',
    );
    await refusedThenReloaded(agent, '/account/delete', {}, '/account/delete', 'Tick');
    await refusedThenReloaded(agent, '/account/passkeys', { name: '' }, '/account/passkeys/new', 'passkey');
    await refusedThenReloaded(agent, '/account/alerts/contacts', { channel: 'email', value: '' }, '/account/alerts/contacts/new', 'address');

    // The pages that ask for a code someone was sent.
    expect((await agent.post('/account/phone', { phone: '+32 470 12 34 56' })).url).toBe(`${idp.issuer}/account/phone/verify`);
    await refusedThenReloaded(agent, '/account/phone/verify', { code: '000000' }, '/account/phone/verify', 'not correct');
    const added = await agent.post('/account/alerts/contacts', { channel: 'email', value: 'nora.work@example.be' });
    const verify = new URL(added.url).pathname;
    expect(verify).toMatch(/^\/account\/alerts\/contacts\/[0-9a-f-]{36}\/verify$/);
    await refusedThenReloaded(agent, verify, { code: '000000' }, verify, 'not correct');
    expect((await agent.post('/account/security/totp', {})).url).toBe(`${idp.issuer}/account/security/totp`);
    await refusedThenReloaded(agent, '/account/security/totp/confirm', { code: '000000' }, '/account/security/totp', 'This code is not right');
  });

  it('names the page of each of staff’s forms', async () => {
    const { user: person } = await loggedInPerson(idp, 'pieter', PASSWORD);
    const { agent: staff } = await loggedInPerson(idp, 'sofie', PASSWORD, { roles: ['admin'] });
    await refusedThenReloaded(staff, `/admin/users/${person.id}/email`, { email: 'not an address' }, `/admin/users/${person.id}`, 'address');
    await refusedThenReloaded(staff, '/admin/organisations', { name: 'x' }, '/admin/organisations', 'name');
    // A page with no GET of its own names none: the sign-up's, recovery's and reactivation's pages named their own
    // address for every page route mounted after theirs, the staff's among them, and a reload got "Page not found".
    const nobody = await staff.post('/admin/users/00000000-0000-4000-8000-000000000000/name', { given_name: 'X', family_name: 'Y' });
    expect([nobody.status, reloadAddress(nobody.html)]).toEqual([404, undefined]);
    const org = await createOrganisation(idp.db, 'Schepenkabinet Gent', true);
    await refusedThenReloaded(
      staff,
      `/admin/organisations/${org.id}/members`,
      { username: 'nobody' },
      `/admin/organisations/${org.id}`,
      'No account has this username',
    );
  });

  it.skipIf(!has('chromium'))('goes Back to the page loaded again by GET, in Chromium', async () => {
    const { agent } = await loggedInPerson(idp, 'lotte', PASSWORD);
    browser = await launchBrowser();
    const context = await browser.newContext({ locale: 'en' });
    await context.addCookies([...agent.jar].map(([name, value]) => ({ name, value, url: idp.issuer })));
    const page = await context.newPage();
    await page.goto(`${idp.issuer}/account/security`);
    await page.getByLabel('Current password').fill('not the password');
    await page.getByLabel('New password', { exact: true }).fill('quiet rivers carry seven lanterns home');
    await page.getByLabel('New password again').fill('quiet rivers carry seven lanterns home');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.locator('#current-error').textContent()).resolves.toContain('not correct');
    // The answer's deferred script names the page's own address in the address bar (the form went to /account/password).
    await page.waitForURL(`${idp.issuer}/account/security`);
    await page.goto(`${idp.issuer}/account`);
    // Chromium's offer to send the form again is no page: goBack fails with net::ERR_CACHE_MISS.
    const back = await page.goBack();
    expect([back?.request().method(), page.url()]).toEqual(['GET', `${idp.issuer}/account/security`]);
    await expect(page.getByLabel('Current password').inputValue()).resolves.toBe('');
  });
});
