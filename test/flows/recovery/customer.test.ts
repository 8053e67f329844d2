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
