// Customer-number deployments (REGISTRATION_MODES=customer): the recovery form asks for the customer number and
// the address, and only the account holding both gets a mail, whatever else shares the address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openForm, startWithSink, type ProviderWithSink } from './helpers.ts';

describe('recovery with a customer number', () => {
  let running: ProviderWithSink;

  beforeAll(async () => {
    running = await startWithSink({ UNIQUE_EMAIL: 'false', CAPTCHA: 'off', REGISTRATION_MODES: 'customer' });
    const { db, users } = running.idp.services;
    const customer = await users.create(db, { username: 'peeters.bvba', email: 'boekhouding@example.be', status: 'active' });
    await users.create(db, { username: 'other.customer', email: 'boekhouding@example.be', status: 'active' });
    await db('customers').insert({ customer_number: 'C12345', name: 'Peeters BVBA', name_key: 'peeters bvba', user_id: customer.id, imported_at: new Date() });
  });

  afterAll(() => running?.close());

  it('asks for the customer number and mails only the account that holds it', async () => {
    const { idp, sink } = running;
    const page = await (await fetch(`${idp.issuer}/recovery?ui_locales=nl`)).text();
    expect(page).toContain('<label for="customer_number">Klantnummer</label>');
    expect(page).toContain('Vul uw klantnummer in en het e-mailadres');

    const form = await openForm(idp.issuer, '/recovery');
    const missing = await form.post('/recovery', { email: 'boekhouding@example.be' });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('id="customer_number-error"');

    const wrong = await form.post('/recovery', { email: 'boekhouding@example.be', customer_number: 'C99999' });
    const right = await form.post('/recovery', { email: 'boekhouding@example.be', customer_number: 'c 12.345' });
    expect([wrong.status, right.status]).toEqual([200, 200]);
    expect(await wrong.text()).toBe(await right.text());

    const mail = await sink.waitFor((m) => m.to.includes('boekhouding@example.be'));
    expect(mail.text).toContain('the user peeters.bvba.');
    expect(mail.text).not.toContain('other.customer');
    await new Promise((r) => setTimeout(r, 400));
    expect(sink.messages).toHaveLength(1);
  });
});

// A deployment serving pupils, citizens and customers (REGISTRATION_MODES=open,invitation,customer): the number is
// optional, a pupil's address alone reaches the pupil, and a customer account still needs its number.
describe('recovery where customers are some of the accounts', () => {
  let running: ProviderWithSink;

  beforeAll(async () => {
    running = await startWithSink({ UNIQUE_EMAIL: 'false', CAPTCHA: 'off', REGISTRATION_MODES: 'open,invitation,customer' });
    const { db, users } = running.idp.services;
    await users.create(db, { username: 'lena.pupil', email: 'lena@example.be', status: 'active' });
    const customer = await users.create(db, { username: 'janssens.nv', email: 'facturen@example.be', status: 'active' });
    await users.create(db, { username: 'citizen.same.address', email: 'facturen@example.be', status: 'active' });
    await db('customers').insert({ customer_number: 'C777', name: 'Janssens NV', name_key: 'janssens nv', user_id: customer.id, imported_at: new Date() });
  });

  afterAll(() => running?.close());

  it('offers the number as optional and mails a pupil who gives none', async () => {
    const { idp, sink } = running;
    const page = await (await fetch(`${idp.issuer}/recovery?ui_locales=en`)).text();
    expect(page).toContain('<label for="customer_number">Customer number (customer accounts only)</label>');
    expect(page).not.toMatch(/id="customer_number"[^>]* required/);

    const form = await openForm(idp.issuer, '/recovery');
    const pupil = await form.post('/recovery', { email: 'lena@example.be', customer_number: '' });
    expect(pupil.status).toBe(200);
    const mail = await sink.waitFor((m) => m.to.includes('lena@example.be'));
    expect(mail.text).toContain('the user lena.pupil.');
  });

  it('names a customer account only with its number, the others at the address always, with one answer', async () => {
    const { idp, sink } = running;
    const form = await openForm(idp.issuer, '/recovery');
    const without = await form.post('/recovery', { email: 'facturen@example.be' });
    const first = await sink.waitFor((m) => m.to.includes('facturen@example.be'));
    expect(first.text).toContain('citizen.same.address');
    expect(first.text).not.toContain('janssens.nv');

    const withNumber = await form.post('/recovery', { email: 'facturen@example.be', customer_number: 'c-777' });
    const second = await sink.waitFor((m) => m.to.includes('facturen@example.be') && m !== first);
    expect(second.text).toContain('janssens.nv');
    expect(await without.text()).toBe(await withNumber.text());
  });
});
