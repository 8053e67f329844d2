// Found by an attack pass: with customer numbers as login names, the throttle counted the number as typed, while the
// lookup drops spaces, dots, dashes and slashes: each way of writing one number had its own allowance, and a guesser
// was never delayed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { importCustomers, linkCustomer } from '../../../provider/domain/customers/customers.ts';
import { Agent } from '../account/agent.ts';

describe('the login throttle with customer numbers', () => {
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startTestProvider('pglite', { LOGIN_IDENTIFIER: 'email_or_customer_number', RATE_LIMIT_LOGIN: '3', RATE_LIMIT_IP: '1000' });
    const { db, users, hasher } = idp.services;
    await importCustomers(db, 'customer number,name\nK1002,Peeters\n', { partial: false });
    const u = await users.create(db, {
      email: 'peeters@example.be',
      emailVerified: true,
      passwordHash: await hasher.hash('correct horse battery staple'),
      status: 'active',
    });
    await linkCustomer(db, 'K1002', u.id);
  });
  afterAll(() => idp?.close());

  it('counts every way of writing one number as that number: past the allowance the next guess waits', async () => {
    const agent = new Agent(idp.issuer);
    const page = await agent.get('/self/login?return_to=%2Faccount');
    const action = /<form method="post" action="([^"]+\/login)"/.exec(page.html)![1]!;
    const guess = async (identifier: string) => {
      const started = performance.now();
      const answer = await agent.raw(action, { form: { identifier, password: `wrong for ${identifier}` } });
      await answer.text();
      return performance.now() - started;
    };
    for (const spelling of ['K-1002', 'k 1002', 'K.1002']) expect(await guess(spelling)).toBeLessThan(900);
    // The fourth wrong password for K1002, in a fourth spelling: delayed a second, as the same spelling would be.
    expect(await guess('K/1002')).toBeGreaterThan(900);
  });
});
