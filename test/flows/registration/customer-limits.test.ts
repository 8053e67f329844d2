// Found by an attack pass: the customer sign-up's limit was taken on a miss only, after the lookup, so that past it a
// miss answered 429 and a match still went through: the guessing of numbers never stopped, and a right guess linked
// the customer's record to the guesser's account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { importCustomers } from '../../../provider/domain/customers/customers.ts';
import { Agent } from '../account/agent.ts';

describe('the customer sign-up limit', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { REGISTRATION_MODES: 'customer', RATE_LIMIT_CUSTOMER: '3', CAPTCHA: 'off', TRUST_PROXY: 'true' });
    await importCustomers(idp.db, 'customer number,name\nK1001,Müller GmbH\nK1002,Peeters\n', { partial: false });
  });
  afterAll(() => idp?.close());

  it('counts the numbers that matched nothing, and past the limit looks up none, a right one included', async () => {
    // Each person in a browser of their own, all from one address.
    const signUp = async () => {
      const agent = new Agent(idp.issuer);
      const flow = /name="flow" value="([^"]+)"/.exec((await agent.go('/registration/customer')).html)![1]!;
      return async (number: string, name: string, email: string) =>
        (
          await agent.raw('/registration/customer', {
            form: { flow, name, customer_number: number, email, password: 'quiet rivers carry seven lanterns', accept_terms: 'yes', accept_privacy: 'yes' },
          })
        ).status;
    };
    // A customer who mistypes twice, then types it right: the match gives its point back.
    const customer = await signUp();
    expect([await customer('K9001', 'Müller GmbH', 'a@mueller.example'), await customer('K9002', 'Müller GmbH', 'a@mueller.example')]).toEqual([400, 400]);
    expect(await customer('K1001', 'Müller GmbH', 'a@mueller.example')).toBe(303);
    // A guesser: one more miss spends the allowance; then a right number is refused like a wrong one.
    const guesser = await signUp();
    expect(await guesser('K9003', 'Peeters', 'guesser@evil.example')).toBe(400);
    expect([await guesser('K9004', 'Peeters', 'guesser@evil.example'), await guesser('K1002', 'Peeters', 'guesser@evil.example')]).toEqual([429, 429]);
    expect(await idp.db('customers').where({ customer_number: 'K1002' }).first('user_id')).toEqual({ user_id: null });
  });

  it('counts an IPv6 client by its /64, whichever of its addresses it sends each guess from', async () => {
    const agent = new Agent(idp.issuer);
    const html = (await agent.go('/registration/customer')).html;
    const flow = /name="flow" value="([^"]+)"/.exec(html)![1]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    const statuses = [];
    for (const host of ['1', '2', '3', '4'])
      statuses.push(
        (
          await fetch(`${idp.issuer}/registration/customer`, {
            method: 'POST',
            redirect: 'manual',
            headers: {
              cookie: [...agent.jar].map(([k, v]) => `${k}=${v}`).join('; '),
              'content-type': 'application/x-www-form-urlencoded',
              'x-forwarded-for': `2001:db8:1:2::${host}`,
            },
            body: new URLSearchParams({
              _csrf: csrf,
              flow,
              name: 'Peeters',
              customer_number: `K90${host}`,
              email: 'g@evil.example',
              password: 'quiet rivers carry seven lanterns',
              accept_terms: 'yes',
              accept_privacy: 'yes',
            }),
          })
        ).status,
      );
    expect(statuses).toEqual([400, 400, 400, 429]);
  });
});
