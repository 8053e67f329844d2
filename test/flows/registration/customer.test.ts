// Customer-number sign-up in Chromium, with the customer portal's password rules (the composition preset): the
// number and name must match an imported record; activation by mail; login by e-mail address afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { has } from '../../helpers/components.ts';
import { importCustomers } from '../../../provider/domain/customers/customers.ts';
import { activate, activationLink, expectHeading, loginThroughApp, mailsTo, nextMail, startWorld, type World } from './helpers.ts';

const PASSWORD = 'Kw!8mqpt-Zeit';

describe.skipIf(!has('chromium'))('customer-number sign-up', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld('pglite', { PASSWORD_POLICY: 'composition' });
    const report = await importCustomers(w.idp.db, 'Kundennummer,Nachname/Firmenname\nK-1001,Müller GmbH\nK 1002,"Dupont, Jean"\nK1003,Peeters\n', {
      partial: false,
    });
    expect(report.imported.map((c) => c.customerNumber)).toEqual(['K1001', 'K1002', 'K1003']);
  });
  afterAll(() => w?.close());

  async function fill(page: Page, o: { name: string; number: string; email: string; password?: string }) {
    await page.goto(`${w.idp.issuer}/registration/customer`);
    await page.fill('#name', o.name);
    await page.fill('#customer_number', o.number);
    await page.fill('#email', o.email);
    await page.fill('#password', o.password ?? PASSWORD);
    await page.check('#accept_terms');
    await page.check('#accept_privacy');
    await page.click('button[type=submit].primary');
  }

  it('refuses a number and name that do not match a record, next to the field', async () => {
    const page = await w.page();
    await fill(page, { name: 'Schmidt GmbH', number: 'K-1001', email: 'info@mueller.example' });
    expect(await page.locator('#customer_number-error').innerText()).toContain('The customer number and the name do not match our records.');
    expect(await page.inputValue('#email')).toBe('info@mueller.example');
    expect(mailsTo(w.sink, 'info@mueller.example')).toHaveLength(0);
  });

  it('matches the record as a person types it, mails the link, and logs in by e-mail after activation', async () => {
    const page = await w.page();
    await fill(page, { name: 'mueller  gmbh', number: 'k 1001', email: 'info@mueller.example' });
    await expectHeading(page, 'Check your e-mail');
    const link = activationLink(await nextMail(w.sink, 'info@mueller.example'));
    expect(await activate(page, link, PASSWORD)).toContain('You can now log in with info@mueller.example and your password.');
    const login = await loginThroughApp(w, await w.page(), 'info@mueller.example', PASSWORD);
    expect(login.ok && login.claims).toMatchObject({ email: 'info@mueller.example', email_verified: true, family_name: 'Müller GmbH' });
  });

  it('answers a second sign-up for a customer with an account as usual, and tells the address by mail', async () => {
    const page = await w.page();
    await fill(page, { name: 'Müller GmbH', number: 'K1001', email: 'someone.else@example.org' });
    await expectHeading(page, 'Check your e-mail');
    const mail = await nextMail(w.sink, 'someone.else@example.org');
    expect(mail.subject).toBe('You already have an account');
    expect(mail.text).toContain('a customer number that already has an account');
  });

  it('replaces the address and voids the earlier link when the customer signs up again before activating', async () => {
    const page = await w.page();
    await fill(page, { name: 'Dupont, Jean', number: 'K1002', email: 'jean@old.example' });
    const first = activationLink(await nextMail(w.sink, 'jean@old.example'));
    await fill(page, { name: 'dupont jean', number: 'K1002', email: 'jean@new.example' });
    const second = activationLink(await nextMail(w.sink, 'jean@new.example'));
    await page.goto(first);
    await expectHeading(page, 'This link has been replaced');
    expect(await activate(page, second, PASSWORD)).toContain('jean@new.example');
    expect(Number((await w.idp.db('users').where({ family_name: 'Dupont, Jean' }).count('* as n').first())!.n)).toBe(1);
  });

  it('explains the composition rules before typing and lists each failed one', async () => {
    const page = await w.page('nl-BE');
    await page.goto(`${w.idp.issuer}/registration/customer`);
    expect(await page.locator('#password-rules li').allInnerTexts()).toEqual([
      'Minstens 8 tekens',
      'Hoogstens 128 tekens',
      'Minstens één kleine letter',
      'Minstens één hoofdletter',
      'Minstens één cijfer',
      'Minstens één speciaal teken, zoals ! ? # of een spatie',
      'Geen 3 opeenvolgende letters of cijfers, zoals abc, CBA, 123 of 987',
    ]);
    const rules = (page: Page) => page.locator('#password-error li').allInnerTexts();
    // Password → how many rules it fails (the unit table in test/accounts has them rule by rule).
    const table: [string, number][] = [
      ['Kw8xmqpt', 1],
      ['Abc12345!', 1],
      ['kw!8mqpt', 1],
      ['Xy9!aBc', 2],
    ];
    for (const [password, failures] of table) {
      await fill(page, { name: 'Peeters', number: 'K1003', email: 'peeters@example.be', password });
      expect({ password, shown: (await rules(page)).length }).toEqual({ password, shown: failures });
    }
    await fill(page, { name: 'Peeters', number: 'K1003', email: 'peeters@example.be', password: 'abc' });
    expect(await rules(page)).toEqual([
      'Het wachtwoord is te kort: gebruik minstens 8 tekens.',
      'Voeg minstens één hoofdletter toe.',
      'Voeg minstens één cijfer toe.',
      'Voeg minstens één speciaal teken toe, zoals ! ? # of een spatie.',
      'Verwijder de opeenvolgende letters of cijfers, zoals abc, CBA, 123 of 987.',
    ]);
    await fill(page, { name: 'Peeters', number: 'K1003', email: 'peeters@example.be', password: 'Passw0rd!' });
    await expectHeading(page, 'Kijk in uw mailbox');
  });
});
